#!/usr/bin/env bash
# The IMAP side of delivery_check against a real Dovecot (extensions/servers/dovecot_instance.py):
# probes found in INBOX and the SPECIAL-USE \Junk folder, DSNs in a bounce mailbox, cleanup that
# leaves every other message alone; then the module with an aiosmtpd relay that never delivers
# (not_arrived, mailbox_error, check mode, one deadline) and a -vvv run that must not show any
# password. Servers are stopped whatever happens.
set -eu

PY=${ANSIBLE_TEST_PYTHON_INTERPRETER:-python3}
# shellcheck source=../setup_mailops_servers/servers.sh
. "$(dirname "$0")/../setup_mailops_servers/servers.sh"
STATE=$(mktemp -d)
chmod 755 "$STATE"

cleanup() {
    "$PY" "$SERVERS/smtp_server.py" --state-dir "$STATE/smtp" --config servers.json --stop || true
    "$PY" "$SERVERS/dovecot_instance.py" --state-dir "$STATE/reader" --stop || true
    "$PY" "$SERVERS/dovecot_instance.py" --state-dir "$STATE/module" --stop || true
    "$PY" "$SERVERS/dns_server.py" --state-dir "$STATE/dns" --stop || true
    rm -rf "$STATE"
}
trap cleanup EXIT

# 1. The reader, straight against Dovecot.
"$PY" "$SERVERS/dovecot_instance.py" --state-dir "$STATE/reader" \
    --user probe:Imap-S3cret --user postmaster:B0unce-pw --background > /dev/null
PYTHONPATH="$MAILOPS_COLLECTION/../../..${PYTHONPATH:+:$PYTHONPATH}" \
    "$PY" check_reader.py "$STATE/reader/dovecot.json"

# 2. The module.
DOVECOT=$("$PY" "$SERVERS/dovecot_instance.py" --state-dir "$STATE/module" \
    --user probe:Imap-S3cret-91 --background)
SMTP=$("$PY" "$SERVERS/smtp_server.py" --state-dir "$STATE/smtp" --config servers.json --background)
DNS=$("$PY" "$SERVERS/dns_server.py" --state-dir "$STATE/dns" --background)
printf '{"smtp": %s, "smtp_dir": "%s", "dovecot": %s, "dns": %s, "state_file": "%s"}\n' \
    "$SMTP" "$STATE/smtp" "$DOVECOT" "$DNS" "$STATE/ansible/delivery.json" > "$STATE/vars.json"

export ANSIBLE_NOCOLOR=1
ansible-playbook -i localhost, -c local -e "ansible_python_interpreter=$PY" -e "@$STATE/vars.json" \
    -e "@secrets.yml" delivery_check.yml -vvv > "$STATE/vvv.log" 2>&1 || { tail -n 120 "$STATE/vvv.log"; exit 1; }
grep -E '^(TASK|ok|changed|fatal|failed|PLAY RECAP)' "$STATE/vvv.log" | grep -v '^ok: \[localhost\] => {$' || true
for secret in Relay-S3cret-42 Imap-S3cret-91 Wr0ng-Imap-S3cret-13; do
    if grep -q -- "$secret" "$STATE/vvv.log" "$STATE"/ansible/delivery.json*; then
        echo "FAILED: a password appears in the -vvv output or the state files" >&2
        exit 1
    fi
done
echo "secrets: no relay or mailbox password appears in the -vvv output or the state files"
