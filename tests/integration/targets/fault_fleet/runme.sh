#!/usr/bin/env bash
# The fault fleet: one aiosmtpd test server per fault behaviour listed in fleet.yml, plus nsd
# serving fleet.test; runs probe, test_send and tls_check once each over all rows and asserts
# every row's verdict. Everything is stopped whatever happens.
set -eu

PY=${ANSIBLE_TEST_PYTHON_INTERPRETER:-python3}
# shellcheck source=../setup_mailops_servers/servers.sh
. "$(dirname "$0")/../setup_mailops_servers/servers.sh"
STATE=$(mktemp -d)

cleanup() {
    if [ -f "$STATE/servers.json" ]; then
        "$PY" "$SERVERS/smtp_server.py" --state-dir "$STATE/smtp" --config "$STATE/servers.json" --stop || true
    fi
    "$PY" "$SERVERS/dns_server.py" --state-dir "$STATE/dns" --stop || true
    rm -rf "$STATE"
}
trap cleanup EXIT

# docs/troubleshooting.md lists every category with the fleet rows that produce it.
"$PY" fleet.py documented fleet.yml "$MAILOPS_COLLECTION/docs/troubleshooting.md"

"$PY" fleet.py servers fleet.yml "$STATE/servers.json"
"$PY" "$SERVERS/smtp_server.py" --state-dir "$STATE/smtp" --config "$STATE/servers.json" --background > /dev/null
"$PY" "$SERVERS/dns_server.py" --state-dir "$STATE/dns" --zone "fleet.test=files/fleet.test.zone" --background > /dev/null
"$PY" fleet.py vars fleet.yml "$STATE" "$STATE/vars.json"

export ANSIBLE_NOCOLOR=1
ansible-playbook -i localhost, -c local -e "ansible_python_interpreter=$PY" -e "@$STATE/vars.json" \
    fleet_playbook.yml "$@"
