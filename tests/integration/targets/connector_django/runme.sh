#!/usr/bin/env bash
# Starts the SMTP sinks, runs the playbook (which runs the real 'django-admin sendtestemail' with
# the written settings), stops the sinks whatever happens, and proves no password reached the
# -vvv --diff output.
set -eu

PY=${ANSIBLE_TEST_PYTHON_INTERPRETER:-python3}
# shellcheck source=../setup_mailops_servers/servers.sh
. "$(dirname "$0")/../setup_mailops_servers/servers.sh"
STATE=$(mktemp -d)

cleanup() {
    "$PY" "$SERVERS/smtp_server.py" --state-dir "$STATE/sinks" --config "$STATE/sinks.json" --stop || true
    rm -rf "$STATE"
}
trap cleanup EXIT


cat > "$STATE/sinks.json" <<JSON
[
  {"name": "submission", "mode": "starttls", "require_starttls": true, "auth": "mailer:Dj-S3cret pw", "auth_mechanisms": "PLAIN,LOGIN"},
  {"name": "submission_env", "mode": "starttls", "require_starttls": true, "auth": "envuser:Dj-Env \$HOME 'q' #x", "auth_mechanisms": "PLAIN"},
  {"name": "smtps", "mode": "tls", "auth": "other:Dj-Other-S3cret", "auth_mechanisms": "LOGIN"},
  {"name": "nostarttls", "mode": "plain", "auth": "mailer:Dj-S3cret pw", "auth_in_clear": true}
]
JSON
mkdir -p "$STATE/sinks" "$STATE/work"
SINKS=$("$PY" "$SERVERS/smtp_server.py" --state-dir "$STATE/sinks" --config "$STATE/sinks.json" --background)
printf '{"sinks": %s, "work_dir": "%s"}\n' "$SINKS" "$STATE/work" > "$STATE/vars.json"

export ANSIBLE_NOCOLOR=1
ansible-playbook -i localhost, -c local -e "ansible_python_interpreter=$PY" -e "@$STATE/vars.json" \
    playbook.yml --diff -vvv > "$STATE/run.log" 2>&1 || { cat "$STATE/run.log"; exit 1; }
tail -5 "$STATE/run.log"
if grep -n -e 'Dj-S3cret' -e 'Dj-Other-S3cret' -e 'Dj-Env' "$STATE/run.log"; then
    echo "FAILED: a password appears in the -vvv --diff output" >&2
    exit 1
fi
echo "django: sendtestemail sent with the written settings; no password in the -vvv --diff output"
