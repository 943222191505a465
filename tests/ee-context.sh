#!/usr/bin/env bash
# Checks execution-environment.yml the way ansible-builder reads it, without a container engine:
# `ansible-builder create` writes the build context, and the context must carry the collection
# tarball and every Python and system dependency of the collection. Then ansible-builder's own
# introspection script (from that context) runs on the installed tarball, as the image build
# would, and must find the same dependencies through the collection's meta/execution-environment.yml.
# Called by the build stage of tests/run.sh.
#
# Usage: tests/ee-context.sh TARBALL VENV WORKDIR
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
tarball=$1 venv=$2 work=$3
rm -rf "$work"
mkdir -p "$work"
fail() { printf 'FAIL: %s\n' "$*"; exit 1; }
requirement_lines() { sed -e 's/#.*//' -e 's/[[:space:]]*$//' "$1" | grep -v '^$' || true; }

version=$("$venv/bin/python" -c 'import sys, yaml; print(yaml.safe_load(open(sys.argv[1]))["version"])' "$ROOT/galaxy.yml")
expected="mailops-smtp-$version.tar.gz"
[ "$(basename "$tarball")" = "$expected" ] || fail "built $(basename "$tarball"), expected $expected"
grep -q -F "collections/$expected" "$ROOT/execution-environment.yml" \
    || fail "execution-environment.yml does not install $expected (update its version to galaxy.yml's $version)"

cd "$ROOT"
"$venv/bin/ansible-builder" create -f execution-environment.yml -c "$work/context" --output-filename Containerfile
context="$work/context"
[ -f "$context/Containerfile" ] || fail "ansible-builder wrote no Containerfile"
cmp -s "$tarball" "$context/_build/collections/$expected" || fail "the context does not carry the built tarball"
grep -q -F "collections/$expected" "$context/_build/requirements.yml" || fail "the context's requirements.yml does not install the tarball"
grep -q -E '^ARG ANSIBLE_INSTALL_REFS=.*ansible-core.*ansible-runner' "$context/Containerfile" \
    || fail "the Containerfile installs no ansible-core and ansible-runner"
grep -q 'ansible-galaxy collection install .*-r requirements.yml' "$context/Containerfile" \
    || fail "the Containerfile installs no collections"

missing=0
while IFS= read -r line; do
    grep -q -x -F "$line" <(requirement_lines "$context/_build/requirements.txt") \
        || { echo "missing from the context's requirements.txt: $line"; missing=1; }
done < <(requirement_lines "$ROOT/requirements.txt")
while IFS= read -r line; do
    grep -q -x -F "$line" <(requirement_lines "$context/_build/bindep.txt") \
        || { echo "missing from the context's bindep.txt: $line"; missing=1; }
done < <(requirement_lines "$ROOT/bindep.txt")
[ "$missing" = 0 ] || fail "the build context does not list every dependency"
echo "ok: ansible-builder create wrote a context with the tarball, $(requirement_lines "$ROOT/requirements.txt" | wc -l) Python and $(requirement_lines "$ROOT/bindep.txt" | wc -l) system dependencies"

# What the image build's introspection finds in the installed collection.
ANSIBLE_COLLECTIONS_PATH="$work/collections" "$venv/bin/ansible-galaxy" collection install --offline -p "$work/collections" "$tarball" > "$work/install.log"
"$venv/bin/python" "$context/_build/scripts/introspect.py" introspect \
    --write-pip "$work/introspected-requirements.txt" --write-bindep "$work/introspected-bindep.txt" \
    "$work/collections" > "$work/introspect.log"
while IFS= read -r line; do
    grep -q -x -F "$line  # from collection mailops.smtp" "$work/introspected-requirements.txt" \
        || { echo "introspection of the installed collection misses: $line"; missing=1; }
done < <(requirement_lines "$ROOT/requirements.txt")
while IFS= read -r line; do
    grep -q -x -F "$line  # from collection mailops.smtp" "$work/introspected-bindep.txt" \
        || { echo "introspection of the installed collection misses: $line"; missing=1; }
done < <(requirement_lines "$ROOT/bindep.txt")
[ "$missing" = 0 ] || fail "meta/execution-environment.yml of the installed collection does not declare every dependency"
echo "ok: ansible-builder's introspection finds every dependency in the installed collection"
