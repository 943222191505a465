#!/usr/bin/env bash
# Starts aiosmtpd test servers (valid, expired, expiring, misnamed, untrusted certificates, TLS 1.2
# only, STARTTLS enforced or not) and nsd serving TLSA records on loopback, runs the TLS checks
# against them, and stops everything whatever happens.
set -eu

PY=${ANSIBLE_TEST_PYTHON_INTERPRETER:-python3}
# shellcheck source=../setup_mailops_servers/servers.sh
. "$(dirname "$0")/../setup_mailops_servers/servers.sh"
STATE=$(mktemp -d)
NSD_PID=

cleanup() {
    "$PY" "$SERVERS/smtp_server.py" --state-dir "$STATE/smtp" --config servers.json --stop || true
    if [ -n "$NSD_PID" ]; then kill "$NSD_PID" 2>/dev/null || true; wait "$NSD_PID" 2>/dev/null || true; fi
    rm -rf "$STATE"
}
trap cleanup EXIT

SMTP=$("$PY" "$SERVERS/smtp_server.py" --state-dir "$STATE/smtp" --config servers.json --background)

NSD=$(command -v nsd || echo /usr/sbin/nsd)
DNS_PORT=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
"$PY" dane_zone.py "$STATE/dns" "$STATE/smtp/submission.json" "$DNS_PORT"
"$NSD" -d -c "$STATE/dns/nsd.conf" > "$STATE/dns/nsd.out" 2>&1 &
NSD_PID=$!
for _ in $(seq 1 100); do
    if "$PY" -c 'import sys, dns.resolver as r; x = r.Resolver(configure=False); x.nameservers = ["127.0.0.1"]; x.port = int(sys.argv[1]); x.lifetime = 0.3; x.resolve("dane.test.", "SOA")' "$DNS_PORT" 2>/dev/null; then
        break
    fi
    sleep 0.1
done

printf '{"smtp": %s, "dns_port": %s}\n' "$SMTP" "$DNS_PORT" > "$STATE/vars.json"

export ANSIBLE_NOCOLOR=1
ansible-playbook -i localhost, -c local -e "ansible_python_interpreter=$PY" -e "@$STATE/vars.json" \
    tls_check.yml "$@"
