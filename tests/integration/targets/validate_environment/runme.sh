#!/usr/bin/env bash
# mailops.smtp.validate_environment against the example environments (valid) and a broken
# inventory (every problem named by host, connector, field and rule; no host contacted).
set -eux
export ANSIBLE_FORCE_COLOR=0 ANSIBLE_NOCOLOR=1
here=$(cd "$(dirname "$0")" && pwd)
# The examples are in the collection under test.
# shellcheck source=../setup_mailops_servers/servers.sh
. "$(dirname "$0")/../setup_mailops_servers/servers.sh"
collection=$MAILOPS_COLLECTION
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
python=${ANSIBLE_TEST_PYTHON_INTERPRETER:-python}

for env in staging production; do
    ansible-playbook mailops.smtp.validate_environment -i "$collection/examples/inventories/$env" \
        -e "validate_junit_file=$out/$env.xml" > "$out/$env.log" 2>&1 || { cat "$out/$env.log"; exit 1; }
    grep -q "hosts: 5, connectors: 6, errors: 0, warnings: 0" "$out/$env.log"
    "$python" - "$out/$env.xml" <<'PY'
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
cases = root.findall(".//testcase")
assert len(cases) == 6, len(cases)
assert root.get("failures") == "0" and not root.findall(".//failure")
PY
done

# The broken inventory: non-zero exit, every problem listed, nothing reached, no secret printed.
set +e
ANSIBLE_TIMEOUT=5 ansible-playbook mailops.smtp.validate_environment -i "$here/files/broken" \
    -e "validate_junit_file=$out/broken.xml" -vvv > "$out/broken.log" 2>&1
rc=$?
set -e
cat "$out/broken.log"
test "$rc" -ne 0
for leak in UNREACHABLE Leaky-Secret-Value 12345678901234; do
    if grep -q -- "$leak" "$out/broken.log"; then echo "unexpected in output: $leak"; exit 1; fi
done
for line in \
    "ERROR SMTP101 app-1 relay /0/port:" \
    "ERROR SMTP107 app-1 relay /0/senders/default:" \
    "ERROR SMTP004 app-1 relay /1/timeout:" \
    "ERROR SMTP108 app-1 relay /1/name:" \
    "ERROR SMTP001 app-2 portal /0/smtp_password:" \
    "ERROR SMTP102 app-2 portal /0/auth:" \
    "ERROR SMTP105 app-2 portal /0/senders/default:" \
    "ERROR SMTP004 app-2 portal /0/delivery/throttle_per_second:" \
    "WARNING SMTP116 app-2 portal /0/port:" \
    "ERROR SMTP003 app-3 messenger /0/auth/password:" \
    "WARNING SMTP103 app-3 messenger /0/tls/verify:" \
    "WARNING SMTP106 app-1 relay /0/senders/default:" \
    "hosts: 4, connectors: 5, errors: 9, warnings: 3"; do
    grep -qF -- "$line" "$out/broken.log" || { echo "missing in output: $line"; exit 1; }
done
"$python" - "$out/broken.xml" <<'PY'
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
cases = {(c.get("classname"), c.get("name")): c for c in root.findall(".//testcase")}
assert set(cases) == {("app-1", "relay (#0)"), ("app-1", "relay (#1)"), ("app-2", "portal"), ("app-3", "messenger"),
                      ("clean-1", "clean")}, cases
assert len(cases[("app-1", "relay (#0)")].findall("failure")) == 2
assert len(cases[("app-1", "relay (#1)")].findall("failure")) == 2
assert len(cases[("app-2", "portal")].findall("failure")) == 4
assert len(cases[("app-3", "messenger")].findall("failure")) == 1
assert not cases[("clean-1", "clean")].findall("failure")
assert "Leaky-Secret-Value" not in open(sys.argv[1]).read()
PY

# --limit and warnings as failures: the clean host alone passes; app-3 alone fails only with fail_on warning.
ansible-playbook mailops.smtp.validate_environment -i "$here/files/broken" --limit clean-1 > "$out/clean.log" 2>&1
grep -q "hosts: 1, connectors: 1, errors: 0, warnings: 0" "$out/clean.log"
set +e
ansible-playbook mailops.smtp.validate_environment -i "$here/files/broken" --limit clean-1,app-3 -e validate_fail_on=warning \
    > "$out/warn.log" 2>&1
rc=$?
set -e
test "$rc" -ne 0
grep -q "1 error(s) and 1 warning(s)" "$out/warn.log"
# A host whose connectors cannot be templated (an undefined variable) is not validated, and says
# so as an error; the other hosts are still validated, in the one task that runs for the play.
mkdir -p "$out/undef/host_vars"
printf 'all:\n  hosts:\n    undef-1:\n    fine-1:\n' > "$out/undef/hosts.yml"
printf 'smtp_connectors:\n  - name: relay\n    host: smtp.example.org\n    port: 587\n    security: starttls\n    auth:\n      username: a@example.org\n      password: "{{ not_defined_anywhere }}"\n    senders:\n      default: a@example.org\n' \
    > "$out/undef/host_vars/undef-1.yml"
printf 'smtp_connectors:\n  - name: relay\n    host: smtp.example.org\n    port: 587\n    security: starttls\n    senders:\n      default: "b@{{ mail_domain }}"\nmail_domain: example.org\n' \
    > "$out/undef/host_vars/fine-1.yml"
set +e
ansible-playbook mailops.smtp.validate_environment -i "$out/undef" -e "validate_junit_file=$out/undef.xml" > "$out/undef.log" 2>&1
rc=$?
set -e
cat "$out/undef.log"
test "$rc" -ne 0
grep -q "ERROR - undef-1 - /: validation did not run: smtp_connectors: .*not_defined_anywhere" "$out/undef.log"
grep -q "hosts: 2, connectors: 1, errors: 1, warnings: 0" "$out/undef.log"
test "$(grep -c '^TASK \[Validate smtp_connectors of every host\]' "$out/undef.log")" -eq 1
"$python" - "$out/undef.xml" <<'PY'
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
cases = {(c.get("classname"), c.get("name")): c for c in root.findall(".//testcase")}
assert set(cases) == {("undef-1", "(validation)"), ("fine-1", "relay")}, cases
assert cases[("undef-1", "(validation)")].findall("failure") and not cases[("fine-1", "relay")].findall("failure")
PY
# mailops.smtp.validate over one list: details all and errors, and a retried attempt (the playbook
# asserts them). Callbacks receive the connectors argument as written, not resolved with its password.
ANSIBLE_CALLBACK_PLUGINS=$MAILOPS_TEST_CALLBACKS ANSIBLE_CALLBACKS_ENABLED=mailops_task_args \
    MAILOPS_TASK_ARGS_FILE="$out/task_args.jsonl" \
    ansible-playbook "$here/files/details.yml" -vvvv > "$out/details.log" 2>&1 || { cat "$out/details.log"; exit 1; }
if grep -q Details-Secret-Value "$out/details.log"; then echo "password in the -vvvv output"; exit 1; fi
grep -q "FAILED - RETRYING: \[localhost\]: A retried attempt validates the same list again" "$out/details.log"
"$python" - "$out/task_args.jsonl" <<'PY'
import json, sys
from ansible.release import __version__
seen = [json.loads(line) for line in open(sys.argv[1], encoding="utf-8")]
validates = [s for s in seen if s["action"] == "mailops.smtp.validate" and "connectors" in s["args"]]
assert len(validates) == 4, seen
if tuple(int(p) for p in __version__.split(".")[:2]) >= (2, 19):
    # ansible-core 2.18 templates every argument itself, before the plugin runs
    assert all(s["args"]["connectors"] == "{{ listed }}" for s in validates), validates
    assert "Details-Secret-Value" not in json.dumps(validates)
PY
echo "validate_environment: all assertions passed"
