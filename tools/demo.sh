#!/usr/bin/env bash
# `make demo`: set up what the demo needs, then run the collection playbook mailops.smtp.demo
# on the bundled staging environment. Everything it starts listens on loopback and is stopped
# before it returns; the files it writes (hosts' configuration, the audit report) stay under
# build/demo for you to read.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DEMO_DIR=${MAILOPS_DEMO_DIR:-"$ROOT/build/demo"}
COLLECTIONS="$ROOT/build/collections"
start=$(date +%s)

# The Debian packages it needs (nsd for the DNS server): installed when run as root,
# otherwise the exact apt-get command is printed.
bash "$ROOT/tools/system-packages.sh" "$ROOT/tools/demo-packages.txt"
# The delivery part (a signing relay, a judging receiver, a mailbox) only when they can be had.
bash "$ROOT/tools/system-packages.sh" --optional "$ROOT/tools/demo-delivery-packages.txt"

# The Python environment (ansible-core 2.19, aiosmtplib, dnspython, jsonschema, aiosmtpd, ...).
bash "$ROOT/tests/run.sh" setup-py311
PY="$ROOT/.venv/py311"

# Make this checkout the collection mailops.smtp for ansible-playbook.
mkdir -p "$COLLECTIONS/ansible_collections/mailops"
ln -sfn "$ROOT" "$COLLECTIONS/ansible_collections/mailops/smtp"

echo "==== running mailops.smtp.demo"
PATH="$PY/bin:$PATH" ANSIBLE_COLLECTIONS_PATH="$COLLECTIONS" ANSIBLE_NOCOWS=1 \
    "$PY/bin/ansible-playbook" mailops.smtp.demo -i "$ROOT/examples/inventories/staging" \
    -e "mailops_demo_dir=$DEMO_DIR" "$@"

echo
echo "Demo finished in $(($(date +%s) - start)) s. Open the audit report: $DEMO_DIR/report/audit.html"
echo "The hosts' files it wrote are under $DEMO_DIR/hosts; nothing it started is still running."
