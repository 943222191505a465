#!/usr/bin/env bash
# Runs the connector playbook twice: once normally, once at -vvv with --diff, and then
# proves that the password appears nowhere in that output.
set -eu

PY=${ANSIBLE_TEST_PYTHON_INTERPRETER:-python3}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
export ANSIBLE_NOCOLOR=1

ansible-playbook -i localhost, -c local -e "ansible_python_interpreter=$PY" -e "work_dir=$WORK/a" \
    playbook.yml "$@"

ansible-playbook -i localhost, -c local -e "ansible_python_interpreter=$PY" -e "work_dir=$WORK/b" \
    playbook.yml --diff -vvv > "$WORK/vvv.log" 2>&1 || { cat "$WORK/vvv.log"; exit 1; }
if grep -n -e 'Int3gr-S3cret' -e 'Int3gr\\-S3cret' "$WORK/vvv.log"; then
    echo "FAILED: the connector password appears in the -vvv --diff output" >&2
    exit 1
fi
grep -q 'password \*\*\*\*\*\*\*\*' "$WORK/vvv.log" || { echo "FAILED: no masked diff in the output" >&2; exit 1; }
echo "secrets: the password appears nowhere in the -vvv --diff output"
