#!/usr/bin/env bash
# Builds the collection's documentation site the way the Ansible ecosystem publishes collection
# docs, and checks it. Called by the docs stage of tests/run.sh.
#   1. antsibull-docs lint-collection-docs --plugin-docs: every plugin's and role's documentation
#      validates, its semantic markup parses and its references (M(), O(), RV() ...) resolve.
#   2. antsibull-docs sphinx-init --use-current --fail-on-error, then the generated build.sh:
#      antsibull-docs renders a page per plugin and role, Sphinx builds the HTML with -W (any
#      warning fails). The site lands in OUT/html.
#   3. tests/docs_site.py check: every page in headless Chromium (see its header).
#
# One known quirk of the generated conf.py: its intersphinx_mapping fetches the Ansible, Python
# and Jinja2 inventories from the network (or from ../*.inv files), and antsibull-docs' pages refer
# to labels of the Ansible documentation (action_plugins, common_return_values, ...). Offline,
# every such reference would be a warning. The mapping is replaced with one local inventory made
# from tests/docs/ansible-devel-labels.txt, so those links still point to docs.ansible.com and an
# unknown label still fails the build.
#
# Usage: tests/docs-site.sh VENV COLLECTIONS_ROOT COLLECTION_DIR OUT
set -euo pipefail

venv=$1 collections_root=$2 coll=$3 out=$4
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
fqcn=$("$venv/bin/python" -c 'import sys, yaml; g = yaml.safe_load(open(sys.argv[1])); print(g["namespace"] + "." + g["name"])' "$coll/galaxy.yml")
export PATH="$venv/bin:$PATH" VIRTUAL_ENV="$venv" ANSIBLE_COLLECTIONS_PATH="$collections_root" ANSIBLE_HOME="$out/ansible-home"
now() { date +%s%N; }
took() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", (b - a) / 1e9 }'; }
run_logged() {  # run_logged LOG COMMAND...: quiet unless it fails
    local logfile=$1 rc=0
    shift
    "$@" > "$logfile" 2>&1 || rc=$?
    if [ "$rc" != 0 ]; then
        cat "$logfile"
        echo "FAIL (exit $rc): $*"
        return "$rc"
    fi
}

rm -rf "$out"
mkdir -p "$out"
# antsibull-docs wants its destination owned by the user and writable by nobody else
mkdir -m 700 "$out/src"
antsibull-docs --version

start=$(now)
# The linter and the build read the same documentation independently: the linter runs beside the build.
lint() {
    run_logged "$out/lint.log" antsibull-docs lint-collection-docs --plugin-docs --skip-rstcheck \
        --validate-collection-refs all --disallow-unknown-collection-refs "$coll"
    echo "ok: antsibull-docs lint-collection-docs --plugin-docs (${fqcn}) in $(took "$start")s"
}
lint &
lint_pid=$!
trap 'wait' EXIT  # a failed build still reports the linter's findings
run_logged "$out/sphinx-init.log" antsibull-docs sphinx-init --use-current --fail-on-error \
    --dest-dir "$out/src" --project "$fqcn" --copyright "$fqcn contributors" --title "$fqcn documentation" "$fqcn"
python "$here/docs_site.py" inventory "$here/docs/ansible-devel-labels.txt" "$out/src/ansible_devel.inv"
cat >> "$out/src/conf.py" <<CONF

# Offline build (tests/docs-site.sh): the references into the Ansible documentation resolve from
# a local inventory; the Python and Jinja2 inventories are not used by the collection's pages.
intersphinx_mapping = {
    'ansible_devel': ('https://docs.ansible.com/projects/ansible/devel/', '$out/src/ansible_devel.inv'),
}
CONF
# build.sh: antsibull-docs collection --use-current into rst/, then sphinx-build -W --keep-going
run_logged "$out/build.log" bash "$out/src/build.sh"
mv "$out/src/build/html" "$out/html"
echo "ok: built $(find "$out/html" -name '*.html' | wc -l) HTML pages into $out/html in $(took "$start")s (Sphinx -W: no warning)"
wait "$lint_pid"

start=$(now)
python "$here/docs_site.py" check "$out/html" "$coll" ${DOCS_SCREENSHOTS:+--screenshot-dir "$DOCS_SCREENSHOTS"}
echo "ok: browser check in $(took "$start")s"
