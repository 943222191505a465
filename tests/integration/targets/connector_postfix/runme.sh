#!/usr/bin/env bash
# Starts two SMTP sinks (STARTTLS required, AUTH, one CA) and an isolated Postfix instance
# listening on 127.0.0.1 only, runs the playbook, and stops everything whatever happens.
set -eu

PY=${ANSIBLE_TEST_PYTHON_INTERPRETER:-python3}
# shellcheck source=../setup_mailops_servers/servers.sh
. "$(dirname "$0")/../setup_mailops_servers/servers.sh"
STATE=$(mktemp -d)
chmod 755 "$STATE"

cleanup() {
    sh "$SERVERS/postfix_instance.sh" stop "$STATE/postfix" || true
    "$PY" "$SERVERS/smtp_server.py" --state-dir "$STATE/sinks" --config "$STATE/sinks.json" --stop || true
    rm -rf "$STATE"
}
trap cleanup EXIT

cat > "$STATE/sinks.json" <<JSON
[
  {"name": "relay", "mode": "starttls", "require_starttls": true, "auth": "mailer:Pf-S3cret pw", "auth_mechanisms": "PLAIN,LOGIN"},
  {"name": "grades", "mode": "starttls", "require_starttls": true, "auth": "grades:Gr-S3cret", "auth_mechanisms": "PLAIN,LOGIN"}
]
JSON
mkdir -p "$STATE/sinks"
SINKS=$("$PY" "$SERVERS/smtp_server.py" --state-dir "$STATE/sinks" --config "$STATE/sinks.json" --background)
PORT=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
sh "$SERVERS/postfix_instance.sh" start "$STATE/postfix" "$PORT"
printf '{"sinks": %s, "postfix_dir": "%s", "postfix_port": %s, "state_dir": "%s"}\n' \
    "$SINKS" "$STATE/postfix/conf" "$PORT" "$STATE" > "$STATE/vars.json"

export ANSIBLE_NOCOLOR=1
ansible-playbook -i localhost, -c local -e "ansible_python_interpreter=$PY" -e "@$STATE/vars.json" \
    playbook.yml --diff -vvv > "$STATE/run.log" 2>&1 || { cat "$STATE/run.log"; tail -50 "$STATE/postfix/postfix.log" || true; exit 1; }
tail -30 "$STATE/run.log"
if grep -n -e 'Pf-S3cret' -e 'Gr-S3cret' "$STATE/run.log"; then
    echo "FAILED: a password appears in the -vvv --diff output" >&2
    exit 1
fi
echo "postfix: relayed through the sinks; no password in the -vvv --diff output"
