#!/usr/bin/env bash
# `make validate-examples`: validate the example environments the way a CI job validates an
# environment (mailops.smtp.validate_environment, JUnit XML under build/).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
COLLECTIONS="$ROOT/build/collections"
bash "$ROOT/tests/run.sh" setup-py311
mkdir -p "$COLLECTIONS/ansible_collections/mailops" "$ROOT/build/junit"
ln -sfn "$ROOT" "$COLLECTIONS/ansible_collections/mailops/smtp"
for env in staging production; do
    PATH="$ROOT/.venv/py311/bin:$PATH" ANSIBLE_COLLECTIONS_PATH="$COLLECTIONS" \
        ansible-playbook mailops.smtp.validate_environment -i "$ROOT/examples/inventories/$env" \
        -e "validate_junit_file=$ROOT/build/junit/validate-$env.xml"
done
