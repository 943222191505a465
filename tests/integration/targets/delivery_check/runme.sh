#!/usr/bin/env bash
# Starts the delivery chain (extensions/servers/mail_chain.py), puts foreign messages in the mailboxes,
# runs delivery_check against the chain (every delivery case, idempotence, check mode, cleanup),
# checks that the foreign messages are still there and no probe is left, and that a -vvvv run
# shows neither the relay password nor the mailbox passwords. Stops the chain whatever happens.
set -eu

PY=${ANSIBLE_TEST_PYTHON_INTERPRETER:-python3}
# shellcheck source=../setup_mailops_servers/servers.sh
. "$(dirname "$0")/../setup_mailops_servers/servers.sh"
STATE=$(mktemp -d)
chmod 755 "$STATE"

RELAY_PASSWORD='Dc-Relay-S3cret-41'
MAILBOX_PASSWORD='Dc-Imap-S3cret-42'
BOUNCE_PASSWORD='Dc-B0unce-S3cret-43'

cleanup() {
    "$PY" "$SERVERS/mail_chain.py" --state-dir "$STATE/chain" --stop || true
    rm -rf "$STATE"
}
trap cleanup EXIT

if ! "$PY" "$SERVERS/mail_chain.py" --state-dir "$STATE/chain" --relay-user "mailer:$RELAY_PASSWORD" \
        --mailbox "probe:$MAILBOX_PASSWORD" --bounce-mailbox "bounces:$BOUNCE_PASSWORD" --background >/dev/null; then
    tail -n 40 "$STATE/chain/mail_chain.log" >&2 || true
    exit 1
fi
CHAIN="$STATE/chain/chain.json"
printf '{"chain": %s, "state_file": "%s"}\n' "$(cat "$CHAIN")" "$STATE/ansible/delivery_check.json" > "$STATE/vars.json"
printf '{"relay_password": "%s", "mailbox_password": "%s", "bounce_password": "%s"}\n' \
    "$RELAY_PASSWORD" "$MAILBOX_PASSWORD" "$BOUNCE_PASSWORD" > "$STATE/secrets.json"

mailbox() {  # mailbox WHICH ARGS...: the password goes through the environment only
    local which=$1 password=$MAILBOX_PASSWORD
    shift
    [ "$which" = bounce_mailbox ] && password=$BOUNCE_PASSWORD
    MAILBOX_PASSWORD=$password "$PY" files/mailbox.py "$CHAIN" "$which" "$@"
}

# Foreign messages: in the inbox, in the \Junk folder, and in the sender's mailbox.
mailbox mailbox append INBOX "Foreign: staff meeting moved"
mailbox mailbox append "Bulk Mail" "Foreign: newsletter"
mailbox bounce_mailbox append INBOX "Foreign: supplier invoice"

export ANSIBLE_NOCOLOR=1
ansible-playbook -i localhost, -c local -e "ansible_python_interpreter=$PY" -e "@$STATE/vars.json" \
    -e "@$STATE/secrets.json" delivery_check.yml "$@" || {
    tail -n 30 "$STATE/chain/relay/postfix.log" "$STATE/chain/receiver/postfix.log" >&2 || true
    exit 1
}

# The same check as a step of the connector role.
ansible-playbook -i localhost, -c local -e "ansible_python_interpreter=$PY" -e "@$STATE/vars.json" \
    -e "@$STATE/secrets.json" role.yml "$@"

# Cleanup deleted every probe and bounce, and nothing else.
mailbox mailbox list > "$STATE/mailbox.json"
mailbox bounce_mailbox list > "$STATE/bounce_mailbox.json"
"$PY" - "$STATE/mailbox.json" "$STATE/bounce_mailbox.json" <<'PYEOF'
import json, sys
inbox, bounces = (json.load(open(p)) for p in sys.argv[1:3])
def subjects(listing, folder):
    return sorted(m["subject"] for m in listing.get(folder, []))
expected = {
    "mailbox INBOX": (subjects(inbox, "INBOX"), ["Foreign: staff meeting moved"]),
    "mailbox Bulk Mail": (subjects(inbox, "Bulk Mail"), ["Foreign: newsletter"]),
    "bounce_mailbox INBOX": (subjects(bounces, "INBOX"), ["Foreign: supplier invoice"]),
}
bad = {k: v for k, v in expected.items() if v[0] != v[1]}
left = [m for listing in (inbox, bounces) for msgs in listing.values() for m in msgs if m["probe"]]
if bad or left:
    sys.exit("FAILED: after cleanup, foreign messages %r, probes left %r" % (bad, left))
print("cleanup: the three foreign messages are untouched, no probe or bounce is left")
PYEOF

# Secrets: a forced run at -vvvv shows no password, and the state file holds none.
ansible-playbook -i localhost, -c local -e "ansible_python_interpreter=$PY" -e "@$STATE/vars.json" \
    -e "@$STATE/secrets.json" secrets_run.yml -vvvv > "$STATE/vvvv.log" 2>&1 || { tail -n 80 "$STATE/vvvv.log"; exit 1; }
grep -q '"status": "delivered"' "$STATE/vvvv.log" || { echo "FAILED: the -vvvv run did not deliver" >&2; exit 1; }
if grep -n -e "$RELAY_PASSWORD" -e "$MAILBOX_PASSWORD" -e "$BOUNCE_PASSWORD" \
        "$STATE/vvvv.log" "$STATE/ansible/delivery_check.json"*; then
    echo "FAILED: a password appears in the -vvvv output or the state files" >&2
    exit 1
fi
echo "secrets: no relay or mailbox password in the -vvvv output or the state files"
