#!/usr/bin/env bash
# Compare the example staging and production inventories: the report must list exactly the
# differences the examples declare, never a secret value, and fail the run when asked to.
set -eux

# The collection's examples: ansible-test runs this from a copy of the target, with the
# collection on ANSIBLE_COLLECTIONS_PATH; run by hand it sits four levels up.
ROOT=""
IFS=: read -r -a BASES <<< "${ANSIBLE_COLLECTIONS_PATH:-}"
for base in "${BASES[@]}"; do
    if [ -d "${base}/ansible_collections/mailops/smtp/examples/inventories" ]; then
        ROOT="${base}/ansible_collections/mailops/smtp"; break
    fi
done
if [ -z "${ROOT}" ]; then ROOT="$(cd ../../../.. && pwd)"; fi
STAGING="${ROOT}/examples/inventories/staging"
PRODUCTION="${ROOT}/examples/inventories/production"
WORK="$(mktemp -d)"
trap 'rm -rf "${WORK}"' EXIT

# 0. The documented command with its defaults: hosts lined up by role (campus-staging with
#    campus-production), the differences the policy expects shown apart from the unexpected ones.
ansible-playbook mailops.smtp.compare_environments \
    -e left_inventory="${STAGING}" -e right_inventory="${PRODUCTION}" -e compare_report_dir="${WORK}/default" \
    -e compare_junit="${WORK}/default/junit.xml" > "${WORK}/default.log" 2>&1 || { cat "${WORK}/default.log"; exit 1; }
python check_report.py "${WORK}/default/comparison.json" differences unexpected_by_default
grep -q '10 unexpected and 23 expected changed field(s), 0 added and 0 removed connector(s), 0 unmatched host(s)' \
    "${WORK}/default.log"
grep -q '"match_by": "role"' "${WORK}/default/comparison.json"
grep -q '"environment_names": \[' "${WORK}/default/comparison.json"
grep -qF '| campus-staging | campus-production | messenger | delivery.throttle\_per\_second | 5 | 50 | changed |' \
    "${WORK}/default/comparison.md"
grep -q '<h2>Expected differences (policy)</h2>' "${WORK}/default/comparison.html"
# JUnit: only the unexpected differences fail (upstream, messenger ... but not fax: sender domain only).
grep -q 'tests="6" failures="5"' "${WORK}/default/junit.xml"

# 0b. A policy that expects nothing: every difference is unexpected.
echo 'compare_expected: []' > "${WORK}/strict.yml"
ansible-playbook mailops.smtp.compare_environments -e left_inventory="${STAGING}" -e right_inventory="${PRODUCTION}" \
    -e @"${WORK}/strict.yml" -e compare_report_dir="${WORK}/strict" > "${WORK}/strict.log" 2>&1 \
    || { cat "${WORK}/strict.log"; exit 1; }
grep -q '33 unexpected and 0 expected changed field(s)' "${WORK}/strict.log"

# 0c. A host without a partner is listed as unmatched, not as removed and added connectors.
cp -a "${PRODUCTION}" "${WORK}/production-renamed"
sed -i 's/^        campus-production:$/        campus-new-production:/' "${WORK}/production-renamed/hosts.yml"
mv "${WORK}/production-renamed/host_vars/campus-production.yml" "${WORK}/production-renamed/host_vars/campus-new-production.yml"
ansible-playbook mailops.smtp.compare_environments -e left_inventory="${STAGING}" \
    -e right_inventory="${WORK}/production-renamed" -e compare_report_dir="${WORK}/renamed" > "${WORK}/renamed.log" 2>&1 \
    || { cat "${WORK}/renamed.log"; exit 1; }
grep -q '0 added and 0 removed connector(s), 2 unmatched host(s)' "${WORK}/renamed.log"
grep -qF '| left | campus-staging | 1 |' "${WORK}/renamed/comparison.md"
grep -qF '| right | campus-new-production | 1 |' "${WORK}/renamed/comparison.md"
# ... and a host map pairs them by hand.
echo '{"compare_host_map": {"campus-staging": "campus-new-production"}}' > "${WORK}/map.json"
ansible-playbook mailops.smtp.compare_environments -e left_inventory="${STAGING}" \
    -e right_inventory="${WORK}/production-renamed" -e @"${WORK}/map.json" -e compare_report_dir="${WORK}/mapped" \
    > "${WORK}/mapped.log" 2>&1 || { cat "${WORK}/mapped.log"; exit 1; }
python check_report.py "${WORK}/mapped/comparison.json" differences unexpected_by_default

# 1. Everything, connectors matched by name (host names differ between the environments).
ansible-playbook mailops.smtp.compare_environments -vvv \
    -e left_inventory="${STAGING}" -e right_inventory="${PRODUCTION}" \
    -e compare_match_by=name -e compare_report_dir="${WORK}/all" -e compare_junit="${WORK}/all/junit.xml" \
    > "${WORK}/all.log" 2>&1 || { cat "${WORK}/all.log"; exit 1; }
python check_report.py "${WORK}/all/comparison.json" differences
test -s "${WORK}/all/comparison.md"
grep -q '<h1>SMTP connectors: environment comparison</h1>' "${WORK}/all/comparison.html"
grep -q 'tests="6" failures="5"' "${WORK}/all/junit.xml"

# 2. The expected differences ignored: what remains is exactly the intended policy changes.
cat > "${WORK}/ignore.yml" <<'YAML'
compare_ignore_fields: [host, auth.username, auth.password, senders, test.to]
YAML
ansible-playbook mailops.smtp.compare_environments \
    -e left_inventory="${STAGING}" -e right_inventory="${PRODUCTION}" -e compare_match_by=name \
    -e @"${WORK}/ignore.yml" -e compare_report_dir="${WORK}/ignored" > "${WORK}/ignored.log" 2>&1 \
    || { cat "${WORK}/ignored.log"; exit 1; }
python check_report.py "${WORK}/ignored/comparison.json" with_expected_ignored
grep -qF 'delivery.throttle\_per\_second | 5 | 50' "${WORK}/ignored/comparison.md"

# 3. fail_on_difference makes the run exit non-zero, after writing the report.
if ansible-playbook mailops.smtp.compare_environments -e left_inventory="${STAGING}" \
        -e right_inventory="${PRODUCTION}" -e compare_match_by=name -e fail_on_difference=true \
        -e compare_report_dir="${WORK}/fail" > "${WORK}/fail.log" 2>&1; then
    echo "expected a failure with fail_on_difference=true"; cat "${WORK}/fail.log"; exit 1
fi
grep -q 'Drift found: 10 unexpected and 23 expected changed field(s), 0 added and 0 removed connector(s), 0 unmatched host(s)' \
    "${WORK}/fail.log"
test -s "${WORK}/fail/comparison.json"

# 4. An environment compared with itself has no differences, and passes with fail_on_difference.
ansible-playbook mailops.smtp.compare_environments -e left_inventory="${STAGING}" -e right_inventory="${STAGING}" \
    -e fail_on_difference=true -e compare_report_dir="${WORK}/same" > "${WORK}/same.log" 2>&1 \
    || { cat "${WORK}/same.log"; exit 1; }
grep -q '"changed_fields": 0' "${WORK}/same/comparison.json"

# 5. Vault: the secrets file of production encrypted; values are decrypted to be compared, never shown.
cp -a "${PRODUCTION}" "${WORK}/production-vaulted"
echo 'integration-vault-password' > "${WORK}/vault-pass"
ansible-vault encrypt --vault-password-file "${WORK}/vault-pass" "${WORK}/production-vaulted/group_vars/all/secrets.yml"
ansible-playbook mailops.smtp.compare_environments -vvv --vault-password-file "${WORK}/vault-pass" \
    -e left_inventory="${STAGING}" -e right_inventory="${WORK}/production-vaulted" -e compare_match_by=name \
    -e compare_report_dir="${WORK}/vaulted" > "${WORK}/vaulted.log" 2>&1 || { cat "${WORK}/vaulted.log"; exit 1; }
python check_report.py "${WORK}/vaulted/comparison.json" differences
# ... and the staging secrets compared with themselves through the vault are unchanged.
cp -a "${STAGING}" "${WORK}/staging-vaulted"
ansible-vault encrypt --vault-password-file "${WORK}/vault-pass" "${WORK}/staging-vaulted/group_vars/all/secrets.yml"
ansible-playbook mailops.smtp.compare_environments --vault-password-file "${WORK}/vault-pass" \
    -e left_inventory="${STAGING}" -e right_inventory="${WORK}/staging-vaulted" \
    -e compare_match_by=name -e compare_report_dir="${WORK}/staging-vaulted-report" > "${WORK}/sv.log" 2>&1 \
    || { cat "${WORK}/sv.log"; exit 1; }
grep -q '"changed_fields": 0' "${WORK}/staging-vaulted-report/comparison.json"

# No secret value in any report or in any -vvv log.
SECRETS="$(sed -n 's/^vault_[a-z_]*: //p' "${STAGING}/group_vars/all/secrets.yml" "${PRODUCTION}/group_vars/all/secrets.yml")"
test -n "${SECRETS}"
while read -r secret; do
    if grep -rqF -- "${secret}" "${WORK}"/default "${WORK}"/strict "${WORK}"/all "${WORK}"/ignored "${WORK}"/fail "${WORK}"/vaulted "${WORK}"/*.log; then
        echo "secret value found in the output"; exit 1
    fi
done <<< "${SECRETS}"
echo "compare_environments: all checks passed"
