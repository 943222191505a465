#!/usr/bin/env bash
# Starts an SMTP server (STARTTLS, AUTH) and nsd on loopback, runs the check modules with their
# shared options set once for the action group mailops.smtp.checks, and stops both whatever happens.
set -eu

PY=${ANSIBLE_TEST_PYTHON_INTERPRETER:-python3}
# shellcheck source=../setup_mailops_servers/servers.sh
. "$(dirname "$0")/../setup_mailops_servers/servers.sh"
STATE=$(mktemp -d)

cleanup() {
    "$PY" "$SERVERS/smtp_server.py" --state-dir "$STATE" --name relay --stop || true
    "$PY" "$SERVERS/dns_server.py" --state-dir "$STATE" --stop || true
    rm -rf "$STATE"
}
trap cleanup EXIT

SMTP=$("$PY" "$SERVERS/smtp_server.py" --state-dir "$STATE" --name relay --mode starttls --require-starttls \
    --auth "mailer:Gr0up-Default-Pw" --background)
DNS=$("$PY" "$SERVERS/dns_server.py" --state-dir "$STATE" --background)
# A loopback port nothing listens on: connections to it are refused.
CLOSED=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
printf '{"smtp": %s, "dns": %s, "closed_port": %s, "state_dir": "%s"}\n' "$SMTP" "$DNS" "$CLOSED" "$STATE" \
    > "$STATE/vars.json"

export ANSIBLE_NOCOLOR=1
ansible-playbook -i localhost, -c local -e "ansible_python_interpreter=$PY" -e "@$STATE/vars.json" \
    module_defaults.yml "$@"

# The AWX credential type for relay accounts: inject its extra variables as AWX does, then a
# connector built from them authenticates; the password is in no output, even at -vvv.
COLLECTION_AWX="$MAILOPS_COLLECTION/extensions/awx/smtp_relay_credential_type.yml"
"$PY" awx_injector.py "$COLLECTION_AWX" \
    "$(printf '{"host": "localhost", "port": "%s", "username": "mailer", "password": "Gr0up-Default-Pw"}' \
        "$("$PY" -c 'import json, sys; print(json.load(open(sys.argv[1]))["smtp"]["relay"]["port"])' "$STATE/vars.json")")" \
    "$STATE/awx-extra-vars.json"
ansible-playbook -i localhost, -c local -e "ansible_python_interpreter=$PY" -e "@$STATE/vars.json" \
    -e "@$STATE/awx-extra-vars.json" awx_credential.yml -vvv > "$STATE/awx.log" 2>&1 || { tail -n 60 "$STATE/awx.log"; exit 1; }
if grep -q 'Gr0up-Default-Pw' "$STATE/awx.log"; then
    echo "FAILED: the injected password appears in the -vvv output" >&2
    exit 1
fi
echo "awx credential type: injected account authenticated; password in no output"
