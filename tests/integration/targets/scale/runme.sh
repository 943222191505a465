#!/usr/bin/env bash
# probe, test_send and tls_check over a few hundred targets at a concurrency the open-file limit
# cannot hold: loopback listeners of extensions/servers/smtp_server.py plus one that accepts and
# never greets. benchmarks/scale_bench.py runs each module as its own process under a 256
# descriptor limit and fails unless every result is at its position, the working targets pass,
# the silent ones fail at the greeting within their timeout and the settling look, the process
# never held 256 descriptors, and its memory stayed bounded. `make bench` runs the same at 10,000.
set -eu

PY=${ANSIBLE_TEST_PYTHON_INTERPRETER:-python3}
# shellcheck source=../setup_mailops_servers/servers.sh
. "$(dirname "$0")/../setup_mailops_servers/servers.sh"
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT

"$PY" "$MAILOPS_COLLECTION/benchmarks/scale_bench.py" --count 400 --silent-every 40 --timeout 1 \
    --concurrency 500 --fd-limit 256 --max-rss-mb 300 --out "$OUT/scale.json"
"$PY" - "$OUT/scale.json" <<'PYEOF'
import json, sys
rows = json.load(open(sys.argv[1]))["rows"]
assert [row["module"] for row in rows] == ["probe", "test_send", "tls_check"], rows
for row in rows:
    assert row["count"] == 400 and row["silent"] == 10 and not row["problems"], row
    # Sampled while the module ran: more than the process's start-up descriptors were in use.
    assert row["samples"] > 10 and 8 < row["peak_fds"] < 256, row
print("scale: order, results, silent listeners, descriptors, memory and progress checked for", [row["module"] for row in rows])
PYEOF
