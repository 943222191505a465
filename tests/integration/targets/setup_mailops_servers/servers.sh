# Sourced by integration targets that start test servers (their aliases say
# needs/target/setup_mailops_servers). Sets MAILOPS_COLLECTION, the root of the collection under
# test, SERVERS, its extensions/servers directory, and MAILOPS_TEST_CALLBACKS, the directory of the
# test callbacks next to this file. ansible-test runs copies of the targets, so
# the servers are found next to them in a plain checkout, or else in the collection on
# ANSIBLE_COLLECTIONS_PATH.
# shellcheck shell=bash
mailops_collection_root() {
    local here root
    here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
    if [ -f "$here/../../../../extensions/servers/smtp_server.py" ]; then
        (cd "$here/../../../.." && pwd)
        return
    fi
    local IFS=:
    for root in ${ANSIBLE_COLLECTIONS_PATH:-}; do
        if [ -f "$root/ansible_collections/mailops/smtp/extensions/servers/smtp_server.py" ]; then
            echo "$root/ansible_collections/mailops/smtp"
            return
        fi
    done
    echo "mailops.smtp's extensions/servers was found neither next to the targets nor on ANSIBLE_COLLECTIONS_PATH" >&2
    return 1
}
MAILOPS_COLLECTION=$(mailops_collection_root)
SERVERS="$MAILOPS_COLLECTION/extensions/servers"
# A callback recording each result's task arguments (MAILOPS_TASK_ARGS_FILE), as callbacks see them.
MAILOPS_TEST_CALLBACKS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/callback_plugins
export MAILOPS_COLLECTION SERVERS MAILOPS_TEST_CALLBACKS
