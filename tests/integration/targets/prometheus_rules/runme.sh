#!/usr/bin/env bash
# promtool check rules and promtool test rules on the alerting rules the collection ships, so a rule
# that no longer parses, or no longer fires on the series it is written for, fails here.
set -eu

# shellcheck source=../setup_mailops_servers/servers.sh
. "$(dirname "$0")/../setup_mailops_servers/servers.sh"
RULES="$MAILOPS_COLLECTION/examples/prometheus"

if ! command -v promtool >/dev/null 2>&1; then
    echo "FAILED: promtool is missing (Debian package prometheus, tests/system-packages.txt)" >&2
    exit 1
fi
promtool check rules "$RULES/mailops_smtp_alerts.yml"
(cd "$RULES" && promtool test rules mailops_smtp_alerts_test.yml)

# A broken rule must be refused: proves the check above is not vacuous.
BROKEN=$(mktemp -d)
trap 'rm -rf "$BROKEN"' EXIT
sed 's/mailops_smtp_connector_success == 0/mailops_smtp_connector_success == == 0/' \
    "$RULES/mailops_smtp_alerts.yml" > "$BROKEN/broken.yml"
if promtool check rules "$BROKEN/broken.yml" > "$BROKEN/out" 2>&1; then
    echo "FAILED: promtool accepted a rule with a syntax error" >&2
    exit 1
fi
grep -q 'parse error' "$BROKEN/out" || { cat "$BROKEN/out"; exit 1; }
echo "promtool: the rules parse, every alert fires where it should, a broken rule is refused"
