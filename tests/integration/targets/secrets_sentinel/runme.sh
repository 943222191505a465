#!/usr/bin/env bash
# Every plugin, playbook and role of the collection runs with a random sentinel password: at -vvvv,
# with --diff, in check mode, and in failing situations (wrong password at the test server, an
# unreachable host, an invalid connector). Then every byte written below the output directory
# (stdout, stderr, Ansible's log, reports in every format, state files, backups, temp files) is
# scanned for the sentinel, raw and encoded (base64 as in AUTH PLAIN/LOGIN, URL, JSON, HTML, hex).
# Only the managed configuration files and their backups may hold it, and they must be 0600.
set -eu

PY=${ANSIBLE_TEST_PYTHON_INTERPRETER:-python3}
# shellcheck source=../setup_mailops_servers/servers.sh
. "$(dirname "$0")/../setup_mailops_servers/servers.sh"
HERE=$(cd "$(dirname "$0")" && pwd)
IN=$(mktemp -d)    # what the test gives: inventories, server configuration (not scanned)
OUT=$(mktemp -d)   # everything the collection and Ansible write (scanned)
chmod 0755 "$OUT"  # Postfix's own user must reach the instance's directories below it
mkdir -p "$OUT/logs" "$OUT/tmp" "$OUT/reports/validate" "$OUT/reports/validate-apps" "$OUT/state" "$OUT/applied"
SENTINEL="Snt1-$("$PY" -c 'import secrets; print(secrets.token_hex(10))')-k/p+q="

POSTFIX_STARTED=
cleanup() {
    "$PY" "$SERVERS/smtp_server.py" --state-dir "$IN/smtp" --config "$IN/servers.json" --stop || true
    if [ -n "$POSTFIX_STARTED" ]; then sh "$SERVERS/postfix_instance.sh" stop "$OUT/postfix" || true; fi
    rm -rf "$IN" "$OUT"
}
trap cleanup EXIT

cat > "$IN/servers.json" <<JSON
[
  {"name": "sink", "mode": "starttls", "require_starttls": true, "auth": "mailer:$SENTINEL"},
  {"name": "smtps", "mode": "tls", "auth": "mailer:$SENTINEL", "auth_mechanisms": "LOGIN"},
  {"name": "bad_password", "mode": "starttls", "auth": "mailer:$SENTINEL", "behaviour": "reject-auth-535"}
]
JSON
SMTP=$("$PY" "$SERVERS/smtp_server.py" --state-dir "$IN/smtp" --config "$IN/servers.json" --background)
free_port() { "$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'; }
CLOSED_PORT=$(free_port)
POSTFIX_PORT=$(free_port)
"$PY" - "$IN/vars.json" "$SMTP" "$SENTINEL" "$OUT" "$IN" "$CLOSED_PORT" <<'PYTHON'
import json, sys
path, smtp, sentinel, out, inp, closed = sys.argv[1:]
json.dump({"smtp": json.loads(smtp), "sentinel": sentinel, "out": out, "inventories": inp,
           "closed_port": int(closed), "postfix_conf": out + "/postfix/conf"}, open(path, "w"))
PYTHON

# Inventories: application hosts for the roles and the audit, two environments for the comparison,
# and one with invalid connectors for validate_environment.
connector_yaml() {  # connector_yaml PASSWORD_EXPRESSION
    cat <<YAML
smtp_connectors:
  - name: sink
    host: 127.0.0.1
    port: "{{ smtp.sink.port }}"
    security: starttls
    tls: {ca_file: "{{ smtp.sink.ca_file }}"}
    auth: {username: mailer, password: "$1"}
    senders: {default: '"Sentinel Test" <noreply@example.org>'}
    test: {to: [inbox@example.org]}
YAML
}
mkdir -p "$IN/apps/group_vars" "$IN/left/group_vars" "$IN/right/group_vars" "$IN/broken/group_vars"
cat > "$IN/apps/hosts.yml" <<YAML
all:
  children:
    apps:
      hosts:
        app1: {smtp_connector_format: env, smtp_connector_path: "$OUT/applied/app1.env"}
        app2: {smtp_connector_format: msmtp, smtp_connector_path: "$OUT/applied/app2.msmtprc"}
        app3: {smtp_connector_format: json, smtp_connector_path: "$OUT/applied/app3.json"}
YAML
{
    echo "ansible_connection: local"
    echo "ansible_python_interpreter: $PY"
    echo "connector_backup: true"
    echo "connector_test_send_state_file: $OUT/state/role_test_send.json"
    echo "connector_tls_check: true"
    connector_yaml "{{ sentinel }}"
} > "$IN/apps/group_vars/all.yml"
for side in left right; do
    echo "all: {hosts: {$side-1: {}}}" > "$IN/$side/hosts.yml"
    suffix=
    if [ "$side" = right ]; then suffix=-right; fi
    connector_yaml "{{ sentinel }}$suffix" > "$IN/$side/group_vars/all.yml"
done
echo "all: {hosts: {broken-1: {ansible_connection: local}}}" > "$IN/broken/hosts.yml"
cat > "$IN/broken/group_vars/all.yml" <<'YAML'
smtp_connectors:
  - name: broken
    host: "smtp.example.org\n"
    smtp_password: "{{ sentinel }}"
    auth: {username: mailer, password: "{{ sentinel }}\n"}
    senders: {default: "\u202Eroot@example.org"}
YAML

export ANSIBLE_NOCOLOR=1 ANSIBLE_FORCE_COLOR=0
export TMPDIR="$OUT/tmp" ANSIBLE_LOCAL_TEMP="$OUT/tmp/ansible-local" ANSIBLE_REMOTE_TEMP="$OUT/tmp/ansible-remote"
export ANSIBLE_LOG_PATH="$OUT/logs/ansible.log"
RUNS=0
run() {  # run NAME EXPECT(ok|fail|any) ansible-playbook ARGS...: output into OUT/logs/NAME.{out,err}
    local name=$1 expect=$2 rc=0
    shift 2
    ansible-playbook -e "@$IN/vars.json" -e "ansible_python_interpreter=$PY" -vvvv "$@" \
        > "$OUT/logs/$name.out" 2> "$OUT/logs/$name.err" || rc=$?
    RUNS=$((RUNS + 1))
    if { [ "$expect" = ok ] && [ "$rc" != 0 ]; } || { [ "$expect" = fail ] && [ "$rc" = 0 ]; }; then
        tail -n 60 "$OUT/logs/$name.out" "$OUT/logs/$name.err"
        echo "FAILED: run $name exited $rc, expected $expect" >&2
        exit 1
    fi
    echo "run $name: exit $rc"
}

# The isolated Postfix instance the postfix_relay role manages (needs root and the postfix package).
POSTFIX_STARTED=1
sh "$SERVERS/postfix_instance.sh" start "$OUT/postfix" "$POSTFIX_PORT"

cd "$HERE/files"
run plugins ok -i localhost, -c local --diff plugins.yml
run plugins-check ok -i localhost, -c local --diff --check plugins.yml
run roles ok -i "$IN/apps" --diff roles.yml
run roles-check ok -i "$IN/apps" --diff --check roles.yml
run audit ok -i "$IN/apps" mailops.smtp.audit -e "audit_report_dir=$OUT/reports/audit" \
    -e "audit_junit=$OUT/reports/audit/junit.xml" -e audit_hosts=apps
run audit-check ok -i "$IN/apps" --check mailops.smtp.audit -e "audit_report_dir=$OUT/reports/audit-check" \
    -e audit_hosts=apps
# The two sides differ only in the password: an expected difference under the default policy
# (credentials differ between environments), so the comparison passes and reports it apart.
run compare ok mailops.smtp.compare_environments -e "left_inventory=$IN/left" -e "right_inventory=$IN/right" \
    -e compare_match_by=name -e "compare_report_dir=$OUT/reports/compare" \
    -e "compare_junit=$OUT/reports/compare/junit.xml" -e fail_on_difference=true
grep -q 'auth.password' "$OUT/reports/compare/comparison.md" \
    || { echo "FAILED: the comparison report does not name the changed password field" >&2; exit 1; }
run validate-environment fail -i "$IN/broken" mailops.smtp.validate_environment \
    -e "validate_junit_file=$OUT/reports/validate/junit.xml"
run validate-environment-apps ok -i "$IN/apps" mailops.smtp.validate_environment \
    -e "validate_junit_file=$OUT/reports/validate-apps/junit.xml"

# The runs really did their work: mail was accepted, the wrong password was refused, reports exist.
grep -q 'queued as sink-' "$OUT/logs/plugins.out" || { echo "FAILED: no test message was accepted" >&2; exit 1; }
grep -q '535' "$OUT/logs/plugins.out" || { echo "FAILED: the wrong password was not refused" >&2; exit 1; }
grep -q 'SMTP117' "$OUT/logs/plugins.out" || { echo "FAILED: the invalid connector was not refused" >&2; exit 1; }
for report in audit-unredacted/audit.json audit-unredacted/audit.md audit-unredacted/audit.html \
        audit-unredacted/junit.xml comparison/comparison.html audit/audit.html audit/junit.xml \
        compare/comparison.md compare/junit.xml validate/junit.xml; do
    [ -s "$OUT/reports/$report" ] || { echo "FAILED: report $report was not written" >&2; exit 1; }
done
ls "$OUT"/applied/*/*~ > /dev/null || { echo "FAILED: no backup was written" >&2; exit 1; }

echo "$RUNS ansible-playbook runs"
# The scan can fail: a planted AUTH PLAIN line (base64 of NUL mailer NUL sentinel) is found.
"$PY" -c 'import base64, sys; print("AUTH PLAIN " + base64.b64encode(b"\0mailer\0" + sys.argv[1].encode()).decode())' \
    "$SENTINEL" > "$OUT/tmp/planted.log"
if "$PY" "$HERE/files/scan.py" "$OUT/tmp" "$SENTINEL" --user mailer > "$OUT/tmp/planted.scan"; then
    cat "$OUT/tmp/planted.scan"
    echo "FAILED: the scan missed a planted AUTH PLAIN line" >&2
    exit 1
fi
grep -q 'LEAK .*planted.log: .*auth-plain' "$OUT/tmp/planted.scan" || { cat "$OUT/tmp/planted.scan"; exit 1; }
rm -f "$OUT/tmp/planted.log" "$OUT/tmp/planted.scan"
"$PY" "$HERE/files/scan.py" "$OUT" "$SENTINEL" --user mailer --holder "$OUT/applied" --holder "$OUT/postfix/conf"
