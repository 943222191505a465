#!/usr/bin/env bash
# Audit an inventory whose hosts were configured by mailops.smtp.connector, then hand-edit
# one field of one host's file: the report must name exactly that field on that host, in
# JSON, Markdown, HTML (rendered by headless Chromium) and JUnit, and never a secret value.
# Last, the audit also verifies the connectors (audit_verify) against loopback servers and
# the report carries that evidence next to declared-vs-actual.
set -eux

WORK="$(mktemp -d)"
trap 'rm -rf "${WORK}"' EXIT
files/make_inventory.sh "${WORK}"
INV="${WORK}/inventory"
audit() {
    # audit NAME [ansible-playbook args...]: run the audit, keep its log, return its exit status
    local name="$1"; shift
    ansible-playbook mailops.smtp.audit -vvv -i "${INV}" -e audit_report_dir="${WORK}/${name}" "$@" \
        > "${WORK}/${name}.log" 2>&1
}

# 1. Configure app1 (json), app2 (env) and app5 (template) with the real connector module.
ansible-playbook -i "${INV}" -l app1,app2,app5 files/apply.yml > "${WORK}/apply.log" 2>&1 \
    || { cat "${WORK}/apply.log"; exit 1; }

# 2. Freshly applied hosts have no drift, even with fail_on_drift.
audit clean -e audit_hosts=app1,app2,app5 -e fail_on_drift=true || { cat "${WORK}/clean.log"; exit 1; }
python files/check_audit.py "${WORK}/clean/audit.json" '[]'
grep -q 'No drift: every host has exactly the declared connectors.' "${WORK}/clean/audit.md"

# 3. Someone edits the port in app2's file by hand.
sed -i 's/^MAILOPS_SMTP_PORTAL__PORT=587$/MAILOPS_SMTP_PORTAL__PORT=2525/' "${WORK}/app2/smtp.env"
grep -q '^MAILOPS_SMTP_PORTAL__PORT=2525$' "${WORK}/app2/smtp.env"
if audit edited -e audit_hosts=app1,app2 -e fail_on_drift=true -e audit_junit="${WORK}/edited/junit.xml"; then
    echo "fail_on_drift=true must make the run fail"; cat "${WORK}/edited.log"; exit 1
fi
grep -q 'Drift found: 1 drifted field(s), 0 missing and 0 unexpected connector(s) on 1 host(s)' "${WORK}/edited.log"
python files/check_audit.py "${WORK}/edited/audit.json" '[["app2", "portal", "port", 587, 2525, "changed"]]'
grep -qF '| app2 | portal | port | 587 | 2525 | changed |' "${WORK}/edited/audit.md"
grep -q '<td class="drift">2525<span class="was">declared: 587</span></td>' "${WORK}/edited/audit.html"
grep -q 'tests="3" failures="1"' "${WORK}/edited/junit.xml"
grep -q 'port: declared 587, actual 2525 (changed)' "${WORK}/edited/junit.xml"
# The hostile description is shown as text, never as markup.
grep -qF '&lt;script&gt;alert(&quot;audit&quot;)&lt;/script&gt; report cards' "${WORK}/edited/audit.html"
if grep -qi '<script' "${WORK}/edited/audit.html"; then echo "unescaped markup in the HTML report"; exit 1; fi

# 4. The HTML report renders in a real browser.
command -v chromium >/dev/null || { echo "chromium is required (tests/system-packages.txt)"; exit 1; }
chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking \
    --disable-component-update --disable-sync --user-data-dir="${WORK}/chromium" \
    --screenshot="${WORK}/audit.png" --window-size=1280,900 "file://${WORK}/edited/audit.html" \
    > "${WORK}/chromium.log" 2>&1 || { cat "${WORK}/chromium.log"; exit 1; }
python files/check_png.py "${WORK}/audit.png"
if [ -n "${AUDIT_SCREENSHOT:-}" ]; then cp "${WORK}/audit.png" "${AUDIT_SCREENSHOT}"; fi

# 5. The password in app1's file is changed by hand: reported as changed, with no value anywhere.
sed -i 's/audit-relay-secret-7f3a/a-hand-typed-password-5e1d/' "${WORK}/app1/smtp.json"
audit secret -e audit_hosts=app1,app2 || { cat "${WORK}/secret.log"; exit 1; }
python files/check_audit.py "${WORK}/secret/audit.json" \
    '[["app1", "district-relay", "auth.password", null, null, "changed"], ["app2", "portal", "port", 587, 2525, "changed"]]'
grep -q 'secret changed' "${WORK}/secret/audit.html"

# 6. The whole inventory: app3 was never configured, app4's file cannot be read, and app5's
#    templated file was edited by hand.
sed -i 's/^PORT = 587$/PORT = 2526/' "${WORK}/app5/mailer.ini"
audit all -e '{"audit_ignore_fields": ["auth.password"]}' || { cat "${WORK}/all.log"; exit 1; }
python files/check_audit.py "${WORK}/all/audit.json" \
    '[["app2", "portal", "port", 587, 2525, "changed"], ["app3", "fax", null, null, null, "missing"],
      ["app5", "(file content)", "content", null, null, "changed"]]'
python - "${WORK}/all/audit.json" <<'PY'
import json, sys
report = json.load(open(sys.argv[1]))
app4 = [h for h in report["hosts"] if h["host"] == "app4"][0]
assert app4["status"] == "error" and app4["error"], app4
assert report["summary"]["hosts"] == 5 and report["summary"]["hosts_with_errors"] == 1, report["summary"]
PY
grep -q '## Errors' "${WORK}/all/audit.md"

# No secret value in any report, log or JUnit file (the -vvv logs included).
for secret in audit-relay-secret-7f3a audit-portal-secret-91bc a-hand-typed-password-5e1d; do
    if grep -rqF -- "${secret}" "${WORK}"/clean* "${WORK}"/edited* "${WORK}"/secret* "${WORK}"/all*; then
        echo "secret value found in the audit output"; exit 1
    fi
done

# 7. Verification evidence in the same report: the audit also probes, checks TLS and DNS and
#    test-sends from the controller (audit_verify), against an SMTP server and nsd on loopback.
PY=${ANSIBLE_TEST_PYTHON_INTERPRETER:-python3}
# shellcheck source=../setup_mailops_servers/servers.sh
. ../setup_mailops_servers/servers.sh
SERVERS_STATE="${WORK}/servers"
stop_servers() {
    "$PY" "$SERVERS/smtp_server.py" --state-dir "${SERVERS_STATE}" --name relay --stop || true
    "$PY" "$SERVERS/dns_server.py" --state-dir "${SERVERS_STATE}" --stop || true
    rm -rf "${WORK}"
}
trap stop_servers EXIT
"$PY" "$SERVERS/smtp_server.py" --state-dir "${SERVERS_STATE}" --name relay --mode starttls --require-starttls \
    --auth "mailer:audit-verified-secret-24c8" --background > "${WORK}/smtp.json"
NAMESERVER=$("$PY" "$SERVERS/dns_server.py" --state-dir "${SERVERS_STATE}" --background \
    | "$PY" -c 'import json, sys; print(json.load(sys.stdin)["nameserver"])')
files/make_verified_inventory.sh "${WORK}" "${WORK}/smtp.json" audit-verified-secret-24c8
ansible-playbook -i "${WORK}/verified-inventory" files/apply.yml > "${WORK}/apply-verified.log" 2>&1 \
    || { cat "${WORK}/apply-verified.log"; exit 1; }
verify() {
    # verify NAME: the audit with evidence, its report under ${WORK}/NAME
    ansible-playbook mailops.smtp.audit -vvv -i "${WORK}/verified-inventory" -e audit_report_dir="${WORK}/$1" \
        -e audit_verify=true -e "{\"audit_dns_nameservers\": [\"${NAMESERVER}\"]}" \
        -e audit_test_send_state="${WORK}/test-send-state.json" > "${WORK}/$1.log" 2>&1 || { cat "${WORK}/$1.log"; exit 1; }
}
verify verified
verify verified-again
python files/check_evidence.py "${WORK}/verified/audit.json" "${WORK}/verified-again/audit.json"
grep -q '## Verification evidence' "${WORK}/verified/audit.md"
grep -q '<h2 id="evidence">Verification evidence</h2>' "${WORK}/verified/audit.html"
# In the browser: the rendered page holds the evidence table, and its screenshot is not blank.
chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking \
    --disable-component-update --disable-sync --user-data-dir="${WORK}/chromium-evidence" \
    --dump-dom "file://${WORK}/verified/audit.html" > "${WORK}/evidence-dom.html" 2> "${WORK}/chromium-evidence.log" \
    || { cat "${WORK}/chromium-evidence.log"; exit 1; }
grep -q '<th>last verified delivery</th>' "${WORK}/evidence-dom.html"
grep -q '<td>verified-relay</td><td>ok ' "${WORK}/evidence-dom.html"
chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking \
    --disable-component-update --disable-sync --user-data-dir="${WORK}/chromium-evidence" \
    --screenshot="${WORK}/evidence.png" --window-size=1280,900 "file://${WORK}/verified/audit.html#evidence" \
    > "${WORK}/chromium-evidence.log" 2>&1 || { cat "${WORK}/chromium-evidence.log"; exit 1; }
python files/check_png.py "${WORK}/evidence.png"
if [ -n "${AUDIT_EVIDENCE_SCREENSHOT:-}" ]; then cp "${WORK}/evidence.png" "${AUDIT_EVIDENCE_SCREENSHOT}"; fi
if grep -rqF -- audit-verified-secret-24c8 "${WORK}/verified" "${WORK}/verified-again" "${WORK}"/verified*.log; then
    echo "secret value found in the audit output with evidence"; exit 1
fi

echo "audit: all checks passed"
