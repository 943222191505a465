#!/usr/bin/env bash
# Runs the playbook at -vvv with --diff, then reads the log: which runs the module made and which
# one read of the files decided, and that no password appears anywhere in it.
set -eu

PY=${ANSIBLE_TEST_PYTHON_INTERPRETER:-python3}
STATE=$(mktemp -d)
trap 'rm -rf "$STATE"' EXIT

export ANSIBLE_NOCOLOR=1
ansible-playbook -i localhost, -c local -e "ansible_python_interpreter=$PY" -e "work_dir=$STATE/work" \
    playbook.yml --diff -vvv > "$STATE/run.log" 2>&1 || { cat "$STATE/run.log"; exit 1; }
tail -3 "$STATE/run.log"
if grep -n -e 'Unchanged-S3cret' "$STATE/run.log"; then
    echo "FAILED: a password appears in the -vvv --diff output" >&2
    exit 1
fi
# The no-change reruns of msmtp and env were decided from the files (one line each) ...
decided=$(grep -c 'as one read of the files showed: the module did not run' "$STATE/run.log" || true)
if [ "$decided" != 3 ]; then
    grep -n 'mailops.smtp.connector' "$STATE/run.log" >&2 || true
    echo "FAILED: expected 3 runs decided from one read of the files, found $decided" >&2
    exit 1
fi
# The first applies of msmtp and env created their files with one command, and check mode on the
# absent msmtprc was decided from the read ...
created=$(grep -c 'after one read of the files showed none: the module did not run' "$STATE/run.log" || true)
checked=$(grep -c 'check mode, what would change in .* follows from one read of the files: the module did not run' \
    "$STATE/run.log" || true)
if [ "$created" != 2 ] || [ "$checked" != 1 ]; then
    grep -n 'mailops.smtp.connector' "$STATE/run.log" >&2 || true
    echo "FAILED: expected 2 first applies created after one read and 1 check mode run decided from it," \
        "found $created and $checked" >&2
    exit 1
fi
# ... and the others, where the module must judge, went to the module.
left=$(grep -c 'mailops.smtp.connector: the module decides (Unreadable)' "$STATE/run.log" || true)
if [ "$left" != 2 ]; then
    echo "FAILED: expected 2 runs left to the module (a stale temporary file, an unknown owner), found $left" >&2
    exit 1
fi
echo "connector_unchanged: 3 reruns decided from the files, 2 first applies created after one read, check mode decided; every other case by the module; no password in the log"
