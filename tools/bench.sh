#!/usr/bin/env bash
# `make bench`: the collection against the tools users run today (benchmarks/bench.py).
# Installs what it needs: the Debian packages of benchmarks/system-packages.txt (as root), the
# test environment .venv/py311, and the peers' own environment .venv/peers (the ansible package
# with community.general and ansible.utils, checkdmarc). Arguments go to benchmarks/bench.py,
# e.g. `make bench BENCH_ARGS="--only B2 --repeat 5"`; BENCH_ARGS=--short is what CI runs.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bash "$ROOT/tools/system-packages.sh" "$ROOT/tests/system-packages.txt" "$ROOT/benchmarks/system-packages.txt"
# Inside `make test` (tests/run.sh's bench-short stage) the environments are already there, and
# tests/run.sh holds the checkout's lock.
if [ -z "${MAILOPS_CAUSE_FILE:-}" ]; then
    bash "$ROOT/tests/run.sh" setup-py311 >/dev/null
fi
PEERS="$ROOT/.venv/peers"
REQ="$ROOT/benchmarks/requirements-peers.txt"
digest=$(sha256sum "$REQ" | cut -d' ' -f1)
# Rebuilt when the requirements changed, or when the environment was moved (its scripts then
# name an interpreter that is gone).
if [ "$(cat "$PEERS/.requirements-digest" 2>/dev/null)" != "$digest" ] \
    || ! "$PEERS/bin/ansible-playbook" --version >/dev/null 2>&1; then
    echo "==== creating the peers' environment $PEERS"
    rm -rf "$PEERS"
    python=$(readlink -f "$ROOT/.venv/py311/bin/python")
    "$python" -m venv "$PEERS"
    "$PEERS/bin/python" -m pip install --quiet --progress-bar off -r "$REQ" 2>&1 \
        | { grep -v -E "^WARNING: Location '.*' is ignored" || true; }
    echo "$digest" > "$PEERS/.requirements-digest"
fi
# B1-B5 (benchmarks/bench.py), then B6, the scale run (benchmarks/validate_scale_bench.py), with the same
# arguments; `--only` may name B6 with the others or alone.
args=() only=() in_only=false
for arg in "$@"; do
    case "$arg" in
        --only) in_only=true; continue ;;
        --*) in_only=false ;;
    esac
    if [ "$in_only" = true ]; then only+=("$arg"); elif [ "$arg" != B6 ]; then args+=("$arg"); fi
done
status=0
if [ "${#only[@]}" -eq 0 ]; then
    "$ROOT/.venv/py311/bin/python" "$ROOT/benchmarks/bench.py" "${args[@]}" || status=$?
    "$ROOT/.venv/py311/bin/python" "$ROOT/benchmarks/validate_scale_bench.py" "${args[@]}" || status=$?
else
    others=()
    for id in "${only[@]}"; do [ "$id" = B6 ] || others+=("$id"); done
    if [ "${#others[@]}" -gt 0 ]; then
        "$ROOT/.venv/py311/bin/python" "$ROOT/benchmarks/bench.py" "${args[@]}" --only "${others[@]}" || status=$?
    fi
    if [ "${#others[@]}" -lt "${#only[@]}" ]; then
        "$ROOT/.venv/py311/bin/python" "$ROOT/benchmarks/validate_scale_bench.py" "${args[@]}" || status=$?
    fi
fi
exit "$status"
