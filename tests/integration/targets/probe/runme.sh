#!/usr/bin/env bash
# Starts aiosmtpd test servers on loopback (one per behaviour), probes them, and stops them
# whatever happens. A second, -vvv run (on fresh servers: greylisting remembers the first run)
# must not show the connectors' password anywhere.
set -eu

PY=${ANSIBLE_TEST_PYTHON_INTERPRETER:-python3}
# shellcheck source=../setup_mailops_servers/servers.sh
. "$(dirname "$0")/../setup_mailops_servers/servers.sh"
STATE=$(mktemp -d)

stop_servers() {
    "$PY" "$SERVERS/smtp_server.py" --state-dir "$STATE/smtp" --config servers.json --stop || true
}
POSTFIX_STARTED=
cleanup() {
    stop_servers
    if [ -n "$POSTFIX_STARTED" ]; then sh ./postfix_server.sh stop "$STATE/postfix" || true; fi
    rm -rf "$STATE"
}
trap cleanup EXIT

start_servers() {
    rm -rf "$STATE/smtp"
    SMTP=$("$PY" "$SERVERS/smtp_server.py" --state-dir "$STATE/smtp" --config servers.json --background)
    # A port nobody listens on: bind, read the number, close.
    CLOSED_PORT=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
    printf '{"smtp": %s, "state_dir": "%s", "closed_port": %s}\n' "$SMTP" "$STATE/smtp" "$CLOSED_PORT" > "$STATE/vars.json"
}

export ANSIBLE_NOCOLOR=1
start_servers
ansible-playbook -i localhost, -c local -e "ansible_python_interpreter=$PY" -e "@$STATE/vars.json" \
    -e "@secrets.yml" probe.yml "$@"

stop_servers
start_servers
ansible-playbook -i localhost, -c local -e "ansible_python_interpreter=$PY" -e "@$STATE/vars.json" \
    -e "@secrets.yml" probe.yml -vvv > "$STATE/vvv.log" 2>&1 || { tail -n 80 "$STATE/vvv.log"; exit 1; }
if grep -q 'Pr0be-S3cret-9f8e' "$STATE/vvv.log"; then
    echo "FAILED: the connector password appears in the -vvv output" >&2
    exit 1
fi
grep -q '535 5.7.8' "$STATE/vvv.log" || { echo "FAILED: the -vvv run did not show the auth failure" >&2; exit 1; }
echo "secrets: the password appears nowhere in the -vvv output"

# The real Postfix (Debian package postfix) as the server; starting it needs root.
if [ "$(id -u)" != 0 ] || ! command -v postfix >/dev/null 2>&1; then
    echo "FAILED: the Postfix part needs root and the postfix package (tests/system-packages.txt)" >&2
    exit 1
fi
POSTFIX_PORT=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
POSTFIX_STARTED=1
chmod 0755 "$STATE"  # Postfix's own user must reach its data directory below it
sh ./postfix_server.sh start "$STATE/postfix" "$POSTFIX_PORT" "$PY" "$SERVERS"
for _ in $(seq 1 50); do
    "$PY" -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1).close()' "$POSTFIX_PORT" 2>/dev/null && break
    sleep 0.2
done
ansible-playbook -i localhost, -c local -e "ansible_python_interpreter=$PY" -e "@secrets.yml" \
    -e "postfix_port=$POSTFIX_PORT" -e "postfix_ca=$STATE/postfix/ca.pem" postfix.yml "$@"
