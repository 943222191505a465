#!/usr/bin/env bash
# Test harness for the mailops.smtp collection; `make test` and the other make targets call it.
#
# Usage: tests/run.sh STAGE_OR_GROUP...
#   groups: all, lint, sanity, units, integration, molecule, build, docs
#   stages: system-packages setup setup-py311 ruff schema-sync changelog-lint ansible-lint build docs
#           units-2.18 units-2.19 units-2.21 sanity-2.18 sanity-2.19 sanity-2.21 integration-2.19 molecule
#           bench-short
#
# It creates the Python environments it needs under .venv/ (reused while the requirements
# files are unchanged), copies the collection to <tmp>/ansible_collections/mailops/smtp (the
# layout ansible-test needs) and runs each stage there, stopping at the first failure.
#
# Environment knobs:
#   PYTHON311, PYTHON312   interpreters to build .venv/py311 and .venv/py312 from
#   MAILOPS_TEST_ROOT      where the collection layout is built (default: /tmp/mailops-smtp-<hash>)
#   SANITY_ARGS, UNITS_ARGS, INTEGRATION_ARGS, MOLECULE_SCENARIOS
#                          extra arguments (e.g. SANITY_ARGS="--test pep8 plugins/module_utils/_model.py")
#   DOCS_SCREENSHOTS=DIR   the docs stage also keeps a screenshot of each plugin and index page there
#   KEEP_GOING=1           run every stage even after a failure
#   LANES=0                run the single-CPU stages (sanity, ansible-lint, build, docs) one after
#                          another instead of in two lanes side by side
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VENVS="$ROOT/.venv"
SHARED_TOOLS="$(dirname "$ROOT")/shared/tools"
REPO_HASH=$(printf '%s' "$ROOT" | sha256sum | cut -c1-10)
TEST_ROOT=${MAILOPS_TEST_ROOT:-"${TMPDIR:-/tmp}/mailops-smtp-$REPO_HASH"}
COLL="$TEST_ROOT/ansible_collections/mailops/smtp"
DIST="$ROOT/build/dist"

# Colour codes only for a terminal; CI logs stay plain.
if [ ! -t 1 ]; then
    export NO_COLOR=1 ANSIBLE_NOCOLOR=1 ANSIBLE_FORCE_COLOR=0 PY_COLORS=0
fi

PASSED=()
FAILED=()
SKIPPED=()
TIMES=()

log() { printf '%s\n' "$*"; }
banner() { printf '\n==== %s ====\n' "$*"; }
# die MESSAGE: end the stage; the message is also the cause the summary names.
die() {
    printf 'ERROR: %s\n' "$*" >&2
    if [ -n "${MAILOPS_CAUSE_FILE:-}" ]; then printf '%s\n' "$*" > "$MAILOPS_CAUSE_FILE"; fi
    exit 1
}
need_cmd() {  # need_cmd COMMAND DEBIAN_PACKAGE: fail the stage naming what is missing
    command -v "$1" >/dev/null 2>&1 \
        || die "the command '$1' is missing: install the Debian package $2 ('make test' installs it when run as root)"
}
now() { date +%s%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", (b - a) / 1e9 }'; }

# --------------------------------------------------------------------------- interpreters

python_is() {  # python_is PYTHON X.Y: the interpreter runs and has that version
    [ -n "$1" ] && "$1" -c "import sys; sys.exit(0 if '%d.%d' % sys.version_info[:2] == '$2' else 1)" >/dev/null 2>&1
}

find_python() {  # find_python X.Y [override]
    local want=$1 override=${2:-} candidate
    local -a candidates=()
    [ -n "$override" ] && candidates+=("$override")
    # pyenv installs first (the newest patch release), then whatever PATH offers.
    while IFS= read -r candidate; do
        if [ -x "$candidate" ]; then candidates+=("$candidate"); fi
    done < <(printf '%s\n' "${PYENV_ROOT:-$HOME/.pyenv}/versions/$want".*/bin/python3 | sort -rV)
    candidates+=("python$want" python3)
    for candidate in "${candidates[@]}"; do
        if python_is "$candidate" "$want"; then
            command -v "$candidate"
            return 0
        fi
    done
    return 1
}

# --------------------------------------------------------------------------- environments

requirements_digest() {  # requirements_digest PYTHON REQFILE
    {
        "$1" -c 'import sys; print(sys.version)'
        cat "$ROOT/requirements.txt" "$ROOT/tests/requirements-test.txt" "$2"
    } | sha256sum | cut -d' ' -f1
}

ensure_venv() {  # ensure_venv NAME PYTHON REQFILE
    local name=$1 python=$2 reqfile=$3 dir="$VENVS/$1" digest
    digest=$(requirements_digest "$python" "$reqfile")
    if [ -x "$dir/bin/python" ] && [ "$(cat "$dir/.requirements-digest" 2>/dev/null)" = "$digest" ]; then
        log "environment $name is up to date ($dir)"
        return 0
    fi
    log "creating environment $name from $python with ${reqfile#"$ROOT"/}"
    rm -rf "$dir"
    "$python" -m venv "$dir"
    # (pip's notes about index locations that do not exist on this machine are dropped)
    "$dir/bin/python" -m pip install --quiet --progress-bar off -r "$reqfile" 2>&1 \
        | { grep -v -E "^WARNING: Location '.*' is ignored" || true; }
    printf '%s\n' "$digest" > "$dir/.requirements-digest"
}

stage_system_packages() {
    bash "$ROOT/tools/system-packages.sh" "$ROOT/tests/system-packages.txt" \
        || die "Debian packages the tests need are missing (the command to install them is printed above)"
}

stage_setup() {
    local py311 py312
    py311=$(find_python 3.11 "${PYTHON311:-}") || die "no Python 3.11 found (set PYTHON311)"
    py312=$(find_python 3.12 "${PYTHON312:-}") || die "no Python 3.12 found (install one with pyenv or set PYTHON312)"
    # The environments are created side by side (pip waits on downloads and unpacking as much as
    # on a CPU); each one's output is printed when all are done.
    local -a names=(py311 py312 py311-2.18 galaxy-importer docs) pids=()
    local -A pythons=([py311]=$py311 [py312]=$py312 [py311-2.18]=$py311 [galaxy-importer]=$py311 [docs]=$py311)
    local -A reqs=(
        [py311]=tests/requirements-dev.txt
        [py312]=tests/requirements-core-2.21.txt
        # the oldest supported ansible-core (meta/runtime.yml), for sanity and units only
        [py311-2.18]=tests/requirements-core-2.18.txt
        # galaxy-importer pins its own linters: an environment of its own, for the build stage
        [galaxy-importer]=tests/requirements-galaxy-importer.txt
        # antsibull-docs and Sphinx pin docutils and friends: an environment of its own, for the docs stage
        [docs]=tests/requirements-docs.txt
    )
    local venv index bad=
    mkdir -p "$VENVS"
    for index in "${!names[@]}"; do
        venv=${names[$index]}
        ensure_venv "$venv" "${pythons[$venv]}" "$ROOT/${reqs[$venv]}" > "$VENVS/.setup-$venv.log" 2>&1 &
        pids[index]=$!
    done
    for index in "${!names[@]}"; do
        venv=${names[$index]}
        if ! wait "${pids[$index]}"; then
            bad="$bad $venv"
        fi
        cat "$VENVS/.setup-$venv.log"
        rm -f "$VENVS/.setup-$venv.log"
    done
    [ -z "$bad" ] || die "creating the Python environment(s)$bad failed (pip's output is above)"
    for venv in py311 py312 py311-2.18; do
        "$VENVS/$venv/bin/python" -c 'import sys; from ansible.release import __version__ as v
print("%s: ansible-core %s on Python %s" % (sys.argv[1], v, sys.version.split()[0]))' "$venv"
    done
    # ansible-test creates a virtual environment per sanity test and bootstraps pip in it
    # with a script it would otherwise download; install the offline stand-in when present.
    if [ -x "$SHARED_TOOLS/install-ansible-test-bootstrap" ]; then
        "$SHARED_TOOLS/install-ansible-test-bootstrap" "$VENVS/py311/bin/python"
        "$SHARED_TOOLS/install-ansible-test-bootstrap" "$VENVS/py312/bin/python"
        "$SHARED_TOOLS/install-ansible-test-bootstrap" "$VENVS/py311-2.18/bin/python"
    else
        log "note: $SHARED_TOOLS/install-ansible-test-bootstrap not found; ansible-test will download its pip bootstrap"
    fi
}

stage_setup_py311() {  # only what the demo and the examples' validation need
    local py311
    py311=$(find_python 3.11 "${PYTHON311:-}") || die "no Python 3.11 found (set PYTHON311)"
    ensure_venv py311 "$py311" "$ROOT/tests/requirements-dev.txt"
}

ensure_docs_venv() {  # the docs stage needs only .venv/docs; it brings it up to date itself
    local py311
    py311=$(find_python 3.11 "${PYTHON311:-}") || die "no Python 3.11 found (set PYTHON311)"
    ensure_venv docs "$py311" "$ROOT/tests/requirements-docs.txt"
}

need_venvs() {
    if [ ! -x "$VENVS/py311/bin/ansible-test" ] || [ ! -x "$VENVS/py312/bin/ansible-test" ] \
        || [ ! -x "$VENVS/py311-2.18/bin/ansible-test" ] || [ ! -x "$VENVS/galaxy-importer/bin/python" ]; then
        stage_setup
    fi
}

# The collection as ansible-test wants it: a real copy under ansible_collections/NS/NAME,
# outside this git checkout (ansible-test would otherwise take its file list from git).
sync_layout() {
    need_cmd rsync rsync
    mkdir -p "$COLL"
    # Files excluded here are also removed from an earlier copy; test results are kept.
    rsync -a --delete --delete-excluded --filter='P /tests/output/' \
        --exclude=/.git --exclude=/.venv --exclude=/build --exclude=/tests/output \
        --exclude=/.ansible --exclude=/changelogs/.plugin-cache.yaml \
        --exclude=__pycache__ --exclude=.hypothesis --exclude=.pytest_cache --exclude=.ruff_cache --exclude=.mypy_cache \
        --exclude='*.tar.gz' --exclude='*.pyc' \
        "$ROOT/" "$COLL/"
}

with_venv() {  # with_venv NAME COMMAND...: run with that environment first on PATH
    local name=$1
    shift
    PATH="$VENVS/$name/bin:$PATH" VIRTUAL_ENV="$VENVS/$name" ANSIBLE_COLLECTIONS_PATH="$TEST_ROOT" "$@"
}

# --------------------------------------------------------------------------- lint stages

stage_ruff() {
    need_venvs
    cd "$ROOT"
    "$VENVS/py311/bin/ruff" --version
    "$VENVS/py311/bin/ruff" check --no-cache --output-format concise .
}

stage_schema_sync() {
    need_venvs
    cd "$ROOT"
    "$VENVS/py311/bin/python" tools/sync_schema.py --check
}

stage_changelog_lint() {
    need_venvs
    cd "$ROOT"
    "$VENVS/py311/bin/antsibull-changelog" lint
}

stage_ansible_lint() {
    need_venvs
    sync_layout
    cd "$ROOT"
    # offline: true in .ansible-lint keeps it away from Galaxy; the collection itself is
    # found through ANSIBLE_COLLECTIONS_PATH (the copied layout).
    # ANSIBLE_HOME: ansible-lint puts <ANSIBLE_HOME>/collections first on the collections
    # path; an isolated one keeps a copy installed in ~/.ansible from shadowing this tree.
    ANSIBLE_HOME="$TEST_ROOT/ansible-home" with_venv py311 ansible-lint --version
    ANSIBLE_HOME="$TEST_ROOT/ansible-home" with_venv py311 ansible-lint --profile production
}

# --------------------------------------------------------------------------- build

stage_build() {
    need_venvs
    local tarball installed module name listing bad=0
    rm -rf "$DIST" "$TEST_ROOT/installed"
    mkdir -p "$DIST" "$TEST_ROOT"
    # Built from the working tree itself, as a maintainer would: build_ignore in galaxy.yml
    # must keep development files (.venv, caches, tests) out.
    (cd "$ROOT" && with_venv py311 ansible-galaxy collection build --force --output-path "$DIST")
    tarball=$(ls "$DIST"/mailops-smtp-*.tar.gz)
    log "built $tarball ($(du -h "$tarball" | cut -f1))"
    listing=$(tar -tzf "$tarball")
    for prefix in tests/ benchmarks/ tools/ .ci/ .git/ .venv/ build/ extensions/molecule/ .ansible/ .hypothesis/ .pytest_cache/ .ruff_cache/; do
        if grep -q "^${prefix}" <<<"$listing"; then
            log "FAIL: the tarball contains ${prefix} (add it to build_ignore in galaxy.yml)"
            bad=1
        fi
    done
    [ "$bad" = 0 ] || return 1
    installed="$TEST_ROOT/installed"
    PATH="$VENVS/py311/bin:$PATH" ANSIBLE_COLLECTIONS_PATH="$installed" \
        ansible-galaxy collection install --offline --force -p "$installed" "$tarball"
    shopt -s nullglob
    for module in "$ROOT"/plugins/modules/*.py; do
        name=$(basename "$module" .py)
        [ "$name" = __init__ ] && continue
        if PATH="$VENVS/py311/bin:$PATH" ANSIBLE_COLLECTIONS_PATH="$installed" \
            ansible-doc -t module "mailops.smtp.$name" > "$TEST_ROOT/ansible-doc-$name.txt" 2>&1 \
            && grep -q -F "mailops.smtp.$name ($installed/" "$TEST_ROOT/ansible-doc-$name.txt" \
            && ! grep -q -E '^\[(WARNING|ERROR|DEPRECATION WARNING)\]' "$TEST_ROOT/ansible-doc-$name.txt"; then
            log "ansible-doc mailops.smtp.$name: ok"
        else
            log "FAIL: ansible-doc mailops.smtp.$name from the installed tarball:"
            cat "$TEST_ROOT/ansible-doc-$name.txt"
            bad=1
        fi
    done
    shopt -u nullglob
    # The demo as a Galaxy user runs it: from the installed tarball, outside this checkout.
    banner "mailops.smtp.demo from the installed tarball"
    bash "$ROOT/tests/installed-demo.sh" "$tarball" "$VENVS/py311" "$TEST_ROOT/installed-demo" || bad=1
    banner "execution environment: ansible-builder create"
    bash "$ROOT/tests/ee-context.sh" "$tarball" "$VENVS/py311" "$TEST_ROOT/ee" || bad=1
    banner "galaxy-importer"
    bash "$ROOT/tests/galaxy-importer.sh" "$tarball" "$VENVS/galaxy-importer" "$TEST_ROOT/galaxy-importer" || bad=1
    return "$bad"
}

# --------------------------------------------------------------------------- docs

stage_docs() {
    ensure_docs_venv
    sync_layout
    need_cmd chromium chromium
    # The site as the Ansible docsite renders collections: antsibull-docs sphinx-init + Sphinx
    # (-W), then every page checked in headless Chromium. Lands in build/docs/html.
    bash "$ROOT/tests/docs-site.sh" "$VENVS/docs" "$TEST_ROOT" "$COLL" "$ROOT/build/docs"
}

# --------------------------------------------------------------------------- ansible-test

no_ignore_files() {
    local found
    found=$(find "$ROOT/tests/sanity" -name 'ignore-*.txt' 2>/dev/null || true)
    if [ -n "$found" ]; then
        log "FAIL: sanity ignore files are not allowed in this collection:"
        log "$found"
        return 1
    fi
}

# ansible-test reports a sanity test it could not run as skipped and still exits 0;
# here every test must really run.
run_ansible_test_checked() {  # run_ansible_test_checked LOGFILE COMMAND...
    local logfile=$1 rc=0
    shift
    # (pip's notes about index locations missing on this machine are left out of the view)
    "$@" 2>&1 | { grep --line-buffered -v -E "^WARNING: Location '.*' is ignored" || true; } | tee "$logfile" || rc=$?
    [ "$rc" = 0 ] || return "$rc"
    if grep -E 'WARNING: Skipping sanity test' "$logfile" > "$logfile.skipped"; then
        log "FAIL: sanity tests were skipped:"
        cat "$logfile.skipped"
        return 1
    fi
}

stage_sanity() {  # stage_sanity VENV PYTHON_VERSION
    local venv=$1 pyver=$2 py38 rc=0
    need_venvs
    no_ignore_files
    sync_layout
    cd "$COLL"
    # shellcheck disable=SC2086  # SANITY_ARGS is a list of words
    run_ansible_test_checked "$TEST_ROOT/sanity-$pyver.log" \
        with_venv "$venv" ansible-test sanity --color no --python "$pyver" ${SANITY_ARGS:-} || rc=$?
    # Modules and module_utils promise Python 3.8 (tests/config.yml): ansible-core 2.19 is the
    # newest release that still supports 3.8 targets, so its run also compiles them with 3.8.
    if [ "$venv" = py311 ] && [ -z "${SANITY_ARGS:-}" ]; then
        py38=$(find_python 3.8 "${PYTHON38:-}") || die "no Python 3.8 found for the compile check (set PYTHON38)"
        mkdir -p "$TEST_ROOT/bin"
        ln -sfn "$py38" "$TEST_ROOT/bin/python3.8"
        PATH="$TEST_ROOT/bin:$PATH" run_ansible_test_checked "$TEST_ROOT/sanity-3.8.log" \
            with_venv "$venv" ansible-test sanity --color no --python 3.8 --test compile || rc=$?
    fi
    return "$rc"
}

stage_units() {  # stage_units VENV PYTHON_VERSION DEPTH
    local venv=$1 pyver=$2 depth=$3
    need_venvs
    sync_layout
    cd "$COLL"
    # One stage runs the property and crash tests at full depth (1000 round-trip examples per
    # format, 100 kill -9 trials); the other versions repeat them at a smaller size.
    local examples=100 trials=30
    if [ "$depth" = full ]; then examples=1000 trials=100; fi
    # ansible-test does not pass these through the environment: tests/unit/depth.py reads them here.
    mkdir -p tests/output
    printf '{"MAILOPS_HYPOTHESIS_EXAMPLES": %d, "MAILOPS_CRASH_TRIALS": %d}\n' \
        "${MAILOPS_HYPOTHESIS_EXAMPLES:-$examples}" "${MAILOPS_CRASH_TRIALS:-$trials}" > tests/output/depth.json
    log "property tests: ${MAILOPS_HYPOTHESIS_EXAMPLES:-$examples} examples per format; crash tests: ${MAILOPS_CRASH_TRIALS:-$trials} trials"
    # shellcheck disable=SC2086
    with_venv "$venv" ansible-test units --color no --python "$pyver" ${UNITS_ARGS:-}
}

integration_targets() {
    local dir
    for dir in "$ROOT"/tests/integration/targets/*/; do
        [ -d "$dir" ] || continue
        case "$(basename "$dir")" in setup_* | prepare_*) continue ;; esac
        basename "$dir"
    done
}

stage_integration() {
    need_venvs
    local targets target bad=0
    targets=$(integration_targets)
    [ -n "$targets" ] || skip "no targets under tests/integration/targets"
    # Every target must run: a disabled or unsupported alias would hide it from ansible-test.
    for target in $targets; do
        if grep -q -E '^(disabled|unsupported|unstable)\b' "$ROOT/tests/integration/targets/$target/aliases" 2>/dev/null; then
            log "FAIL: integration target $target is marked disabled/unsupported/unstable in its aliases"
            bad=1
        fi
    done
    [ "$bad" = 0 ] || return 1
    sync_layout
    cd "$COLL"
    # No --venv: the targets run with .venv/py311's python, which has aiosmtpd, trustme,
    # dnspython, aiosmtplib and jsonschema. The test machine is disposable, so destructive
    # targets (system configuration, packages) run too.
    # shellcheck disable=SC2086
    with_venv py311 ansible-test integration --color no --python 3.11 --allow-destructive --continue-on-error ${INTEGRATION_ARGS:-}
}

stage_bench_short() {
    # The benchmarks with small counts: not a measurement, a check that every peer still runs and
    # that both sides still reach the same verdicts (`make bench` is the measurement).
    bash "$ROOT/tools/bench.sh" --short
}

stage_molecule() {
    need_venvs
    local dir scenarios=() scenario
    for dir in "$ROOT"/extensions/molecule/*/; do
        [ -f "$dir/molecule.yml" ] && scenarios+=("$(basename "$dir")")
    done
    if [ -n "${MOLECULE_SCENARIOS:-}" ]; then
        read -r -a scenarios <<<"$MOLECULE_SCENARIOS"
    fi
    [ "${#scenarios[@]}" -gt 0 ] || skip "no scenario under extensions/molecule"
    sync_layout
    cd "$COLL"
    for scenario in "${scenarios[@]}"; do
        banner "molecule test -s $scenario"
        # Molecule installs the collection before a run; ANSIBLE_HOME keeps that copy out of
        # ~/.ansible/collections, where it would outlive the run and shadow later changes.
        ANSIBLE_HOME="$TEST_ROOT/ansible-home" with_venv py311 molecule test -s "$scenario"
    done
}

# --------------------------------------------------------------------------- driver

run_stage() {  # run_stage NAME FUNCTION ARGS...
    local name=$1 start rc=0 took skip_file="$TEST_ROOT/.skip-$1" cause_file="$TEST_ROOT/.cause-$1"
    shift
    banner "stage $name"
    mkdir -p "$TEST_ROOT"
    rm -f "$skip_file" "$cause_file"
    start=$(now)
    # Each stage runs in its own bash so that `set -e` holds inside it (bash ignores
    # errexit in a function called as part of an `||` list).
    MAILOPS_SKIP_FILE="$skip_file" MAILOPS_CAUSE_FILE="$cause_file" "$BASH" "${BASH_SOURCE[0]}" --stage-function "$@" || rc=$?
    took=$(elapsed "$start")
    if [ "$rc" = 0 ] && [ -s "$skip_file" ]; then
        SKIPPED+=("$name")
        TIMES+=("$(printf '%-18s skipped %7ss  %s' "$name" "$took" "$(cat "$skip_file")")")
        log "---- stage $name skipped: $(cat "$skip_file")"
        return 0
    fi
    if [ "$rc" = 0 ]; then
        PASSED+=("$name")
        TIMES+=("$(printf '%-18s passed  %7ss' "$name" "$took")")
        log "---- stage $name passed in ${took}s"
        return 0
    fi
    FAILED+=("$name")
    TIMES+=("$(printf '%-18s FAILED  %7ss' "$name" "$took")")
    # A stage that knows why it failed (a missing command, package or interpreter) says so;
    # otherwise the hint points at the tool whose output is above.
    if [ -s "$cause_file" ]; then
        log "---- stage $name FAILED (exit $rc) after ${took}s: $(cat "$cause_file")"
    else
        log "---- stage $name FAILED (exit $rc) after ${took}s: $(stage_hint "$name")"
    fi
    return 1
}

skip() {  # skip REASON: end the current stage as skipped (only where nothing exists to test)
    printf '%s\n' "$1" > "$MAILOPS_SKIP_FILE"
    exit 0
}

stage_hint() {
    case "$1" in
        system-packages) echo "Debian packages the tests need could not be installed (see above)" ;;
        setup|setup-py311) echo "creating the Python environments under .venv/ failed (see pip's output above)" ;;
        ruff) echo "ruff found problems; 'make lint' repeats, '.venv/py311/bin/ruff check --fix .' fixes some" ;;
        schema-sync) echo "generated files are stale: run 'python tools/sync_schema.py' and commit the result" ;;
        changelog-lint) echo "a changelog fragment in changelogs/fragments/ is invalid" ;;
        ansible-lint) echo "ansible-lint (production profile) found problems in the YAML above" ;;
        build) echo "the collection tarball is wrong or a module's documentation does not render" ;;
        docs) echo "the documentation site did not build cleanly or a page failed the browser check (see above; the site is in build/docs/html)" ;;
        sanity-*) echo "ansible-test sanity failed; results are in $COLL/tests/output/" ;;
        units-*) echo "ansible-test units failed; results are in $COLL/tests/output/" ;;
        integration-*) echo "an integration target failed; results are in $COLL/tests/output/" ;;
        molecule) echo "a Molecule scenario failed" ;;
        bench-short) echo "a benchmark's peer did not run, or the two sides disagreed (see above)" ;;
        *) echo "see the output above" ;;
    esac
}

expand() {
    case "$1" in
        all | test) echo system-packages setup ruff schema-sync changelog-lint ansible-lint build docs \
            sanity-2.18 sanity-2.19 sanity-2.21 units-2.18 units-2.19 units-2.21 integration-2.19 molecule \
            bench-short ;;
        lint) echo system-packages setup ruff schema-sync changelog-lint ansible-lint ;;
        sanity) echo system-packages setup sanity-2.18 sanity-2.19 sanity-2.21 ;;
        units) echo system-packages setup units-2.18 units-2.19 units-2.21 ;;
        integration) echo system-packages setup integration-2.19 ;;
        molecule) echo system-packages setup molecule ;;
        build) echo system-packages setup build ;;
        docs) echo system-packages setup docs ;;
        *) echo "$1" ;;
    esac
}

dispatch() {
    case "$1" in
        system-packages) run_stage system-packages stage_system_packages ;;
        setup) run_stage setup stage_setup ;;
        setup-py311) run_stage setup-py311 stage_setup_py311 ;;
        ruff) run_stage ruff stage_ruff ;;
        schema-sync) run_stage schema-sync stage_schema_sync ;;
        changelog-lint) run_stage changelog-lint stage_changelog_lint ;;
        ansible-lint) run_stage ansible-lint stage_ansible_lint ;;
        build) run_stage build stage_build ;;
        docs) run_stage docs stage_docs ;;
        units-2.18) run_stage units-2.18 stage_units py311-2.18 3.11 quick ;;
        units-2.19) run_stage units-2.19 stage_units py311 3.11 full ;;
        units-2.21) run_stage units-2.21 stage_units py312 3.12 quick ;;
        sanity-2.18) run_stage sanity-2.18 stage_sanity py311-2.18 3.11 ;;
        sanity-2.19) run_stage sanity-2.19 stage_sanity py311 3.11 ;;
        sanity-2.21) run_stage sanity-2.21 stage_sanity py312 3.12 ;;
        integration-2.19) run_stage integration-2.19 stage_integration ;;
        molecule) run_stage molecule stage_molecule ;;
        bench-short) run_stage bench-short stage_bench_short ;;
        *) die "unknown stage: $1 (see the head of tests/run.sh)" ;;
    esac
}

# ------------------------------------------------------------------------- lanes

# Stages that keep one CPU busy each (pylint, ansible-lint, Sphinx, the tarball checks) run in two
# lanes side by side where the machine has two CPUs or more; each lane has its own copy of the
# layout under $TEST_ROOT-lane-N. ansible-test keys its sanity environments by Python version,
# so the two sanity stages on Python 3.11 stay in one lane. LANES=0 runs them one after another.
LANE_1="sanity-2.19 sanity-2.18 docs"
LANE_2="sanity-2.21 ansible-lint build"

is_lane_stage() {  # is_lane_stage STAGE: whether STAGE belongs to one of the lanes
    case " $LANE_1 $LANE_2 " in *" $1 "*) return 0 ;; esac
    return 1
}

# run_lane RESULTS STAGE...: the stages in order (stopping at a failure unless KEEP_GOING=1);
# one line per stage into RESULTS: its list (passed/failed/skipped), then its summary line.
run_lane() {
    local results=$1 stage line
    shift
    for stage in "$@"; do
        if ! dispatch "$stage" && [ "${KEEP_GOING:-0}" != 1 ]; then
            break
        fi
    done
    : > "$results"
    for line in "${PASSED[@]}"; do printf 'passed %s\n' "$line" >> "$results"; done
    for line in "${FAILED[@]}"; do printf 'failed %s\n' "$line" >> "$results"; done
    for line in "${SKIPPED[@]}"; do printf 'skipped %s\n' "$line" >> "$results"; done
    for line in "${TIMES[@]}"; do printf 'time %s\n' "$line" >> "$results"; done
}

# run_lanes STAGE...: these stages (all of them from LANE_1 and LANE_2) in the two lanes; each
# lane's output is printed whole when it ends, the lanes in order. False if a stage failed.
run_lanes() {
    local -a lanes=() pids=()
    local lane stage wanted=" $* " picked index kind rest failed=0
    for lane in "$LANE_1" "$LANE_2"; do
        picked=
        for stage in $lane; do
            case "$wanted" in *" $stage "*) picked="$picked $stage" ;; esac
        done
        lanes+=("$picked")
    done
    log "running side by side: lane 1:${lanes[0]:- (none)}; lane 2:${lanes[1]:- (none)} (output follows when each ends)"
    for index in 0 1; do
        [ -n "${lanes[$index]}" ] || continue
        # shellcheck disable=SC2086
        MAILOPS_TEST_ROOT="$TEST_ROOT-lane-$((index + 1))" "$BASH" "${BASH_SOURCE[0]}" --lane \
            "$TEST_ROOT.lane-$((index + 1)).results" ${lanes[$index]} \
            > "$TEST_ROOT.lane-$((index + 1)).log" 2>&1 &
        pids[index]=$!
    done
    for index in 0 1; do
        [ -n "${lanes[$index]}" ] || continue
        wait "${pids[$index]}" || true
        banner "lane $((index + 1)):${lanes[$index]}"
        cat "$TEST_ROOT.lane-$((index + 1)).log"
        if [ ! -s "$TEST_ROOT.lane-$((index + 1)).results" ]; then
            log "---- lane $((index + 1)) ended without results"
            FAILED+=("lane-$((index + 1))")
            failed=1
            continue
        fi
        while read -r kind rest; do
            case "$kind" in
                passed) PASSED+=("$rest") ;;
                failed) FAILED+=("$rest"); failed=1 ;;
                skipped) SKIPPED+=("$rest") ;;
                time) TIMES+=("$rest") ;;
            esac
        done < "$TEST_ROOT.lane-$((index + 1)).results"
        rm -f "$TEST_ROOT.lane-$((index + 1)).log" "$TEST_ROOT.lane-$((index + 1)).results"
    done
    [ "$failed" = 0 ]
}

summary() {
    banner "summary"
    local line
    for line in "${TIMES[@]}"; do
        log "$line"
    done
    log "total ${1}s"
    if [ "${#SKIPPED[@]}" -gt 0 ]; then
        log "${#PASSED[@]} passed, ${#FAILED[@]} failed, ${#SKIPPED[@]} skipped"
    else
        log "${#PASSED[@]} passed, ${#FAILED[@]} failed"
    fi
}

main() {
    local -a stages=()
    local arg stage seen=" " start
    [ "$#" -gt 0 ] || set -- all
    for arg in "$@"; do
        for stage in $(expand "$arg"); do
            case "$seen" in *" $stage "*) continue ;; esac
            seen="$seen$stage "
            stages+=("$stage")
        done
    done
    # One run at a time per checkout: stages share the copied layout under $TEST_ROOT.
    mkdir -p "$(dirname "$TEST_ROOT")"
    exec 9>"$TEST_ROOT.lock"
    if ! flock -n 9; then
        log "another test run on this checkout holds $TEST_ROOT.lock; waiting for it"
        flock 9
    fi
    start=$(now)
    local -a laned=()
    if [ "${LANES:-1}" != 0 ] && [ "$(nproc 2>/dev/null || echo 1)" -ge 2 ]; then
        for stage in "${stages[@]}"; do
            if is_lane_stage "$stage"; then laned+=("$stage"); fi
        done
    fi
    if [ "${#laned[@]}" -lt 2 ]; then laned=(); fi
    for stage in "${stages[@]}"; do
        if [ "${#laned[@]}" -gt 0 ] && is_lane_stage "$stage"; then
            # the lanes run where the first of their stages comes, and only once
            if [ "$stage" != "${laned[0]}" ]; then continue; fi
            if ! run_lanes "${laned[@]}" && [ "${KEEP_GOING:-0}" != 1 ]; then
                log "stopping after a failed stage in the lanes; KEEP_GOING=1 runs the rest"
                break
            fi
            continue
        fi
        if ! dispatch "$stage" && [ "${KEEP_GOING:-0}" != 1 ]; then
            log "stopping after the first failed stage ($stage); KEEP_GOING=1 runs the rest"
            break
        fi
    done
    summary "$(elapsed "$start")"
    [ "${#FAILED[@]}" = 0 ]
}

if [ "${1:-}" = --stage-function ]; then
    shift
    "$@"
    exit 0
fi
if [ "${1:-}" = --lane ]; then
    shift
    run_lane "$@"
    exit 0
fi
main "$@"
