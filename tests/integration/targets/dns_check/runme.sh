#!/usr/bin/env bash
# Starts the test DNS server (nsd with generated zones) and the MTA-STS HTTPS server on loopback,
# runs the playbook against them, and stops both whatever happens.
set -eu

PY=${ANSIBLE_TEST_PYTHON_INTERPRETER:-python3}
# shellcheck source=../setup_mailops_servers/servers.sh
. "$(dirname "$0")/../setup_mailops_servers/servers.sh"
STATE=$(mktemp -d)

cleanup() {
    "$PY" "$SERVERS/https_server.py" --state-dir "$STATE" --stop || true
    "$PY" "$SERVERS/dns_server.py" --state-dir "$STATE" --stop || true
    rm -rf "$STATE"
}
trap cleanup EXIT

# MTA-STS policies are fetched from port 443 like a real sender does; a random loopback address
# keeps parallel runs (and anything else on 127.0.0.1:443) apart.
HTTPS_ADDRESS="127.$((RANDOM % 250 + 1)).$((RANDOM % 250 + 1)).44"
DNS=$("$PY" "$SERVERS/dns_server.py" --state-dir "$STATE" --https-address "$HTTPS_ADDRESS" --background)
HTTPS=$("$PY" "$SERVERS/https_server.py" --state-dir "$STATE" --host "$HTTPS_ADDRESS" \
    --cert-names-file "$STATE/mta-sts-cert-names.json" --background)
printf '{"dns": %s, "https": %s}\n' "$DNS" "$HTTPS" > "$STATE/servers.json"

export ANSIBLE_NOCOLOR=1
ansible-playbook -i localhost, -c local -e "ansible_python_interpreter=$PY" -e "@$STATE/servers.json" \
    tasks.yml "$@"

# A -vvv run with a connector password: the secret must appear nowhere in the output.
ansible-playbook -i localhost, -c local -e "ansible_python_interpreter=$PY" -e "@$STATE/servers.json" \
    secrets.yml -vvv > "$STATE/secrets.log" 2>&1 || { cat "$STATE/secrets.log"; exit 1; }
if grep -q 'Sup3r-S3cret-Pw' "$STATE/secrets.log"; then
    echo "FAILED: the connector password appears in the -vvv output" >&2
    exit 1
fi
grep -q 'relay.mail.test is forward-confirmed' "$STATE/secrets.log" || {
    echo "FAILED: secrets.yml did not report the expected result" >&2; exit 1; }
echo "secrets: the password appears nowhere in the -vvv output"
