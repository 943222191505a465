#!/usr/bin/env bash
# The check modules print progress lines while they run on the controller: a test server that greets
# after a second, 24 connectors at a concurrency of 4 (about 6 s), progress_interval 1. The lines of
# ansible-playbook's output must show growing counts, counts only, and the results must be the same
# as without progress; progress_interval 0 prints none.
set -eu

PY=${ANSIBLE_TEST_PYTHON_INTERPRETER:-python3}
# shellcheck source=../setup_mailops_servers/servers.sh
. "$(dirname "$0")/../setup_mailops_servers/servers.sh"
STATE=$(mktemp -d)

cleanup() {
    "$PY" "$SERVERS/smtp_server.py" --state-dir "$STATE" --name slow --stop || true
    rm -rf "$STATE"
}
trap cleanup EXIT

SMTP=$("$PY" "$SERVERS/smtp_server.py" --state-dir "$STATE" --name slow --mode starttls --require-starttls \
    --banner-delay 1 --background)
# A loopback port nothing listens on: its two connectors fail at once (connection refused).
CLOSED=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
"$PY" - "$SMTP" "$CLOSED" > "$STATE/vars.json" <<'PYEOF'
import json, sys
server = json.loads(sys.argv[1])["slow"]
conns = [{"name": "refused-%d" % i, "host": "127.0.0.1", "port": int(sys.argv[2]), "security": "starttls",
          "senders": {"default": "app@example.org"}} for i in range(2)]
conns += [{"name": "slow-%02d" % i, "host": "127.0.0.1", "port": server["port"], "security": "starttls",
           "tls": {"ca_file": server["ca_file"]}, "senders": {"default": "app%d@example.org" % i}} for i in range(22)]
print(json.dumps({"conns": conns}))
PYEOF

export ANSIBLE_NOCOLOR=1
# The two runs side by side: each mostly waits for the slow server.
run_with() {  # run_with INTERVAL: one run, its output into out-INTERVAL.log
    ansible-playbook -i localhost, -c local -e "ansible_python_interpreter=$PY" -e "@$STATE/vars.json" \
        -e "interval=$1" progress.yml "${@:2}" > "$STATE/out-$1.log" 2>&1
}
run_with 1 "$@" &
with_lines=$!
run_with 0 "$@" &
without_lines=$!
wait "$with_lines" || { cat "$STATE/out-1.log"; exit 1; }
wait "$without_lines" || { cat "$STATE/out-0.log"; exit 1; }

"$PY" - "$STATE/out-1.log" "$STATE/out-0.log" <<'PYEOF'
import re, sys
on, off = (open(path, encoding="utf-8").read() for path in sys.argv[1:3])
pattern = re.compile(r"^mailops\.smtp\.(probe|tls_check) \[localhost\]: (.*)$", re.M)
line = re.compile(r"^(\d+)/(\d+) done \((\d+) failed\), (\d+) s elapsed$")
# the probe, the TLS check, then the probe again as an async job, which prints none
tasks = on.split("TASK [")
assert len(tasks) == 7, tasks
assert not pattern.search(tasks[5]) and "ASYNC POLL" in tasks[5], tasks[5]
for module in ("probe", "tls_check"):
    texts = [text for name, text in pattern.findall(on) if name == module]
    counts = [tuple(int(n) for n in line.match(text).groups()) for text in texts if line.match(text)]
    # about 6 s at one line a second; the first may come before the module wrote its counts ("starting")
    assert len(counts) >= 3 and len(texts) - len(counts) <= 2, (module, texts)
    done = [c[0] for c in counts]
    assert all(c[1] == 24 for c in counts), (module, counts)
    assert done == sorted(done) and done[0] < done[-1] <= 24, (module, counts)
    assert [c[3] for c in counts] == sorted(c[3] for c in counts), (module, counts)
    # the refused connectors fail in the first second; the slow ones never
    assert [c[2] for c in counts] == sorted(c[2] for c in counts) and counts[-1][2] == 2, (module, counts)
    assert not any("slow-" in text or "refused-" in text or "127.0.0.1" in text for text in texts), texts
    print("%s: %d progress lines, done %s" % (module, len(texts), done))
assert "done (" not in off and not pattern.search(off), off
# the same results either way (asserted in the playbook), and the playbook says so
assert on.count("RESULTS UNCHANGED") == off.count("RESULTS UNCHANGED") == 3, (on, off)
print("progress_interval 0: no progress line")
PYEOF
