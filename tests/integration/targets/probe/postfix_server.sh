#!/bin/sh
# A throw-away Postfix smtpd on 127.0.0.1:PORT for the probe tests: STARTTLS required (a trustme
# certificate for localhost), no relaying for this client, local recipients from the passwd table.
#   postfix_server.sh start BASE PORT PYTHON SERVERS_DIR   (writes BASE/ca.pem)
# The instance itself comes from SERVERS_DIR/postfix_instance.sh.
#   postfix_server.sh stop BASE
set -eu
base=$2
conf="$base/conf"
case "$1" in
start)
    port=$3
    py=$4
    servers=$5
    rm -rf "$base"
    mkdir -p "$base/tls"
    "$py" - "$base/tls" <<'PYEOF'
import os, sys, trustme
out = sys.argv[1]
ca = trustme.CA(organization_name="mailops postfix test CA")
leaf = ca.issue_cert("localhost", "127.0.0.1")
ca.cert_pem.write_to_path(os.path.join(out, "ca.pem"))
leaf.private_key_pem.write_to_path(os.path.join(out, "key.pem"))
with open(os.path.join(out, "chain.pem"), "wb") as handle:
    for blob in leaf.cert_chain_pems:
        handle.write(blob.bytes())
PYEOF
    chmod 0600 "$base/tls/key.pem"
    cp "$base/tls/ca.pem" "$base/ca.pem"
    sh "$servers/postfix_instance.sh" start "$base" "$port" \
        "inet_interfaces = 127.0.0.1" \
        "myhostname = probe-test.localdomain" \
        "mydestination = localhost" \
        "mynetworks = 192.0.2.1/32" \
        "smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination" \
        "local_recipient_maps = unix:passwd.byname" \
        "smtpd_tls_security_level = encrypt" \
        "smtpd_tls_chain_files = $base/tls/key.pem, $base/tls/chain.pem" \
        "smtpd_tls_auth_only = yes"
    ;;
stop)
    if [ -d "$conf" ]; then
        postfix -c "$conf" stop >/dev/null 2>&1 || true
    fi
    ;;
*)
    echo "usage: $0 start BASE PORT PYTHON SERVERS_DIR | stop BASE" >&2
    exit 2
    ;;
esac
