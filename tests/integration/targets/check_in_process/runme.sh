#!/usr/bin/env bash
# The check modules run in the controller's worker process when the module would run there anyway
# (plugins/plugin_utils/_in_process.py). This runs every check both ways on the same loopback
# servers (aiosmtpd and nsd) and requires the same results, the same failures and the same
# messages; that the in-process way is really taken, and the module way wherever the task asks for
# it; and, at -vvvv, the connectors' password nowhere in the output of either way.
set -eu

PY=${ANSIBLE_TEST_PYTHON_INTERPRETER:-python3}
# shellcheck source=../setup_mailops_servers/servers.sh
. "$(dirname "$0")/../setup_mailops_servers/servers.sh"
STATE=$(mktemp -d)

cleanup() {
    "$PY" "$SERVERS/smtp_server.py" --state-dir "$STATE/smtp" --config servers.json --stop || true
    "$PY" "$SERVERS/dns_server.py" --state-dir "$STATE/dns" --stop || true
    rm -rf "$STATE"
}
trap cleanup EXIT

SMTP=$("$PY" "$SERVERS/smtp_server.py" --state-dir "$STATE/smtp" --config servers.json --background)
mkdir -p "$STATE/dns"
DNS=$("$PY" "$SERVERS/dns_server.py" --state-dir "$STATE/dns" --background)
CLOSED_PORT=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
printf '{"smtp": %s, "dns": %s, "closed_port": %s, "out": "%s"}\n' "$SMTP" "$DNS" "$CLOSED_PORT" "$STATE/routes.json" \
    > "$STATE/vars.json"

export ANSIBLE_NOCOLOR=1
ANSIBLE_CALLBACK_PLUGINS=$MAILOPS_TEST_CALLBACKS ANSIBLE_CALLBACKS_ENABLED=mailops_task_args \
    MAILOPS_TASK_ARGS_FILE="$STATE/task_args.jsonl" \
    ansible-playbook -i localhost, -c local -e "ansible_python_interpreter=$PY" -e "@$STATE/vars.json" \
    routes.yml -vvvv "$@" > "$STATE/routes.log" 2>&1 || { tail -n 100 "$STATE/routes.log"; exit 1; }

"$PY" compare.py "$STATE/routes.json"

# Which way each task went: -vvv names it. Seven tasks each way, plus one with an environment and
# one async task, which run as modules.
expect() {
    local found
    found=$(grep -c "$2" "$STATE/routes.log" || true)
    echo "$found x $2"
    [ "$found" -eq "$1" ] || { echo "FAILED: expected $1 tasks that say '$2', found $found" >&2; exit 1; }
}
expect 7 "runs in the controller's worker process"
expect 7 "runs as a module: mailops_smtp_in_process is false"
expect 1 "runs as a module: the task sets an environment"
expect 1 "runs as a module: the task is async"

# A module's warning is shown either way.
for route in true false; do
    ansible-playbook -i localhost, -c local -e "ansible_python_interpreter=$PY" -e "@$STATE/vars.json" \
        -e "mailops_smtp_in_process=$route" warnings.yml > "$STATE/warnings.log" 2>&1 || { cat "$STATE/warnings.log"; exit 1; }
    grep -q 'WARNING.*unverified: The certificate was not verified' "$STATE/warnings.log" || {
        cat "$STATE/warnings.log"; echo "FAILED: no warning shown with mailops_smtp_in_process=$route" >&2; exit 1; }
done
echo "warnings: shown both ways"

if grep -q 'InProc-S3cret-4c1d' "$STATE/routes.log"; then
    echo "FAILED: the connectors' password appears in the -vvvv output" >&2
    grep -n 'InProc-S3cret-4c1d' "$STATE/routes.log" | cut -c1-300 >&2
    exit 1
fi
echo "secrets: the password appears nowhere in the -vvvv output of either way"

# What callbacks receive with each check's result: its connectors as the play wrote them, without the
# password (ansible-core 2.18 templates every argument itself, before the plugin runs).
"$PY" - "$STATE/task_args.jsonl" <<'PYTHON'
import json, sys
from ansible.release import __version__
seen = [json.loads(line) for line in open(sys.argv[1], encoding="utf-8")]
checks = [s for s in seen if s["action"].startswith("mailops.smtp.") and "connectors" in s["args"]]
assert len(checks) >= 9, checks
if tuple(int(p) for p in __version__.split(".")[:2]) >= (2, 19):
    assert "InProc-S3cret-4c1d" not in json.dumps(checks), "a check's password reached the callbacks"
    assert any(s["args"]["connectors"] == "{{ connectors }}" for s in checks), checks
    print("callbacks: %d check results, connectors as written, no password" % len(checks))
PYTHON
