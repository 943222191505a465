#!/usr/bin/env bash
# Runs galaxy-importer, the check Galaxy runs on upload, on the built tarball, offline. Its
# ansible-test run is switched off here: the sanity stages run ansible-test on every supported
# ansible-core already. Any warning or error it logs fails the check. Called by the build stage.
#
# Usage: tests/galaxy-importer.sh TARBALL VENV WORKDIR
set -euo pipefail

tarball=$1 venv=$2 work=$3
rm -rf "$work"
mkdir -p "$work"
cat > "$work/galaxy-importer.cfg" <<CFG
[galaxy-importer]
RUN_ANSIBLE_TEST = False
RUN_ANSIBLE_LINT = True
RUN_FLAKE8 = False
ANSIBLE_LOCAL_TMP = $work/ansible-tmp
CFG
cd "$work"
rc=0
GALAXY_IMPORTER_CONFIG="$work/galaxy-importer.cfg" PATH="$venv/bin:$PATH" ANSIBLE_HOME="$work/ansible-home" \
    "$venv/bin/python" -m galaxy_importer.main "$tarball" > "$work/import.log" 2>&1 || rc=$?
if [ "$rc" != 0 ] || grep -q -i -E 'warning|error' "$work/import.log" \
    || ! grep -q 'Importer processing completed successfully' "$work/import.log"; then
    cat "$work/import.log"
    echo "FAIL: galaxy-importer did not accept $(basename "$tarball") cleanly (exit $rc)"
    exit 1
fi
echo "ok: galaxy-importer accepted $(basename "$tarball") ($(grep -c '^Loading ' "$work/import.log") contents loaded, ansible-lint clean)"
