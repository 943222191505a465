#!/usr/bin/env bash
# Starts the SMTP sinks, makes a Java trust store from the sinks' CA (the JVM reads no PEM),
# runs the playbook, and stops the sinks whatever happens.
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
  {"name": "submission", "mode": "starttls", "require_starttls": true, "auth": "mailer:Jm-S3cret pw", "auth_mechanisms": "PLAIN,LOGIN"},
  {"name": "smtps", "mode": "tls", "auth": "other:Jm-Other-S3cret", "auth_mechanisms": "LOGIN"},
  {"name": "wrongname", "mode": "starttls", "cert": "wrong_name", "auth": "mailer:Jm-S3cret pw"}
]
JSON
mkdir -p "$STATE/sinks" "$STATE/work"
SINKS=$("$PY" "$SERVERS/smtp_server.py" --state-dir "$STATE/sinks" --config "$STATE/sinks.json" --background)
CA=$("$PY" -c 'import json, sys; print(json.load(sys.stdin)["submission"]["ca_file"])' <<<"$SINKS")
keytool -importcert -noprompt -alias mailops-test-ca -file "$CA" -keystore "$STATE/truststore.p12" \
    -storetype PKCS12 -storepass changeit >/dev/null
printf '{"sinks": %s, "work_dir": "%s", "truststore": "%s"}\n' "$SINKS" "$STATE/work" "$STATE/truststore.p12" \
    > "$STATE/vars.json"

export ANSIBLE_NOCOLOR=1
ansible-playbook -i localhost, -c local -e "ansible_python_interpreter=$PY" -e "@$STATE/vars.json" \
    playbook.yml --diff -vvv > "$STATE/run.log" 2>&1 || { cat "$STATE/run.log"; exit 1; }
tail -5 "$STATE/run.log"
if grep -n -e 'Jm-S3cret' -e 'Jm-Other-S3cret' "$STATE/run.log"; then
    echo "FAILED: a password appears in the -vvv --diff output" >&2
    exit 1
fi
echo "javamail: Jakarta Mail sent with the written properties; no password in the -vvv --diff output"
