#!/usr/bin/env bash
# Starts aiosmtpd sinks on loopback, runs test_send against them (idempotence, check mode,
# partial refusal, retries, pacing) and stops them whatever happens. A -vvv run must not show
# the password anywhere.
set -eu

PY=${ANSIBLE_TEST_PYTHON_INTERPRETER:-python3}
# shellcheck source=../setup_mailops_servers/servers.sh
. "$(dirname "$0")/../setup_mailops_servers/servers.sh"
STATE=$(mktemp -d)

cleanup() {
    "$PY" "$SERVERS/smtp_server.py" --state-dir "$STATE/smtp" --config servers.json --stop || true
    rm -rf "$STATE"
}
trap cleanup EXIT

SMTP=$("$PY" "$SERVERS/smtp_server.py" --state-dir "$STATE/smtp" --config servers.json --background)
printf '{"smtp": %s, "smtp_dir": "%s", "state_file": "%s"}\n' "$SMTP" "$STATE/smtp" "$STATE/ansible/test_send.json" \
    > "$STATE/vars.json"

export ANSIBLE_NOCOLOR=1
ansible-playbook -i localhost, -c local -e "ansible_python_interpreter=$PY" -e "@$STATE/vars.json" \
    -e "@secrets.yml" test_send.yml "$@"

# Secrets: a fresh state file, so this run sends (and fails on the partial refusal) again.
rm -rf "$STATE/ansible"
ansible-playbook -i localhost, -c local -e "ansible_python_interpreter=$PY" -e "@$STATE/vars.json" \
    -e "@secrets.yml" secrets_run.yml -vvv > "$STATE/vvv.log" 2>&1 || { tail -n 80 "$STATE/vvv.log"; exit 1; }
if grep -q 'T3st-Send-S3cret-77' "$STATE/vvv.log" "$STATE/ansible/test_send.json" "$STATE/ansible/test_send.json.key"; then
    echo "FAILED: the connector password appears in the -vvv output or the state files" >&2
    exit 1
fi
grep -q 'queued as sink-' "$STATE/vvv.log" || { echo "FAILED: the -vvv run sent nothing" >&2; exit 1; }
grep -q 'nobody@example.org' "$STATE/vvv.log" || { echo "FAILED: the -vvv run did not report the refusal" >&2; exit 1; }
echo "secrets: the password appears nowhere in the -vvv output or the state files"
