#!/usr/bin/env bash
# Runs mailops.smtp.demo the way a Galaxy user meets it: the collection installed from the built
# tarball into an empty collections directory, ansible-playbook started in a directory that is
# not the checkout, on the example environment the collection ships. Called by the build stage
# of tests/run.sh.
#
# Usage: tests/installed-demo.sh TARBALL VENV WORKDIR
set -euo pipefail

tarball=$1 venv=$2 work=$3
rm -rf "$work"
mkdir -p "$work/collections" "$work/cwd"
export PATH="$venv/bin:$PATH" ANSIBLE_NOCOWS=1 ANSIBLE_COLLECTIONS_PATH="$work/collections"
# An ANSIBLE_HOME of its own: nothing from ~/.ansible may stand in for the installed copy.
export ANSIBLE_HOME="$work/ansible-home"
ansible-galaxy collection install --offline -p "$work/collections" "$tarball"
installed="$work/collections/ansible_collections/mailops/smtp"
inventory="$installed/examples/inventories/staging"
cd "$work/cwd"

fail() { printf 'FAIL: %s\n' "$*"; exit 1; }

# 1. Without an inventory: the demo stops at once and gives the command to run.
if ansible-playbook mailops.smtp.demo > no-inventory.log 2>&1; then
    fail "the demo without an inventory succeeded"
fi
grep -q -F "ansible-playbook mailops.smtp.demo -i $inventory" no-inventory.log \
    || { cat no-inventory.log; fail "the demo without an inventory did not name the bundled example inventory"; }
echo "ok: without an inventory the demo names the command to run"

# 2. With a Python that lacks the servers' packages: it stops before starting anything and
#    names the pip command.
python3 -m venv "$work/bare-python"
if ansible-playbook mailops.smtp.demo -i "$inventory" -e "mailops_demo_python=$work/bare-python/bin/python" \
    -e "mailops_demo_dir=$work/demo" > missing-packages.log 2>&1; then
    fail "the demo with a bare Python succeeded"
fi
grep -q -F "$work/bare-python/bin/python -m pip install aiosmtpd trustme cryptography aiosmtplib dnspython jsonschema" \
    missing-packages.log || { cat missing-packages.log; fail "the demo did not name the missing Python packages"; }
if grep -q "Start the SMTP server" missing-packages.log; then
    fail "the demo started servers although packages were missing"
fi
echo "ok: with missing Python packages the demo names the pip command and starts nothing"

# 3. The demo itself, from the installed copy only.
ansible-playbook mailops.smtp.demo -i "$inventory" -e "mailops_demo_dir=$work/demo" | tee demo.log
[ -f "$work/demo/report/audit.html" ] || fail "the demo wrote no audit report"
grep -q "audit      1 drifted field(s)" demo.log || fail "the demo summary does not show the hand-edited field"
grep -q "programs   grafana.ini and nullmailer remotes written; reload: grafana-server to be restarted" demo.log \
    || fail "the demo summary does not show the application and MTA files and their reload"
grep -q -E '"nullmailer (sent 1 message through the relay|not run: )' demo.log \
    || fail "the demo summary does not say whether nullmailer sent through the relay"
echo "ok: mailops.smtp.demo ran from the installed tarball in $work/cwd"
