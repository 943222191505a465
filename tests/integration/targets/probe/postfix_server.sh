#!/bin/sh
# A throw-away Postfix smtpd on 127.0.0.1:PORT for the probe tests: STARTTLS required (a trustme
# certificate for localhost), no relaying for this client, local recipients from the passwd table.
#   postfix_server.sh start BASE PORT PYTHON   (writes BASE/ca.pem)
#   postfix_server.sh stop BASE
set -eu
base=$2
conf="$base/conf"
case "$1" in
start)
    port=$3
    py=$4
    rm -rf "$base"
    mkdir -p "$conf" "$base/queue" "$base/data" "$base/tls"
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
    cp /etc/postfix/main.cf /etc/postfix/master.cf "$conf/"
    postconf -c "$conf" -e \
        "queue_directory = $base/queue" \
        "data_directory = $base/data" \
        "inet_interfaces = 127.0.0.1" \
        "inet_protocols = ipv4" \
        "myhostname = probe-test.localdomain" \
        "mydestination = localhost" \
        "mynetworks = 192.0.2.1/32" \
        "smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination" \
        "local_recipient_maps = unix:passwd.byname" \
        "alias_maps =" \
        "alias_database =" \
        "smtpd_tls_security_level = encrypt" \
        "smtpd_tls_chain_files = $base/tls/key.pem, $base/tls/chain.pem" \
        "smtpd_tls_auth_only = yes" \
        "maillog_file_prefixes = $base" \
        "maillog_file = $base/postfix.log" \
        "import_environment = MAIL_CONFIG MAIL_DEBUG MAIL_LOGTAG TZ LANG=C" \
        "shlib_directory = /usr/lib/postfix" \
        "daemon_directory = /usr/lib/postfix/sbin" \
        "meta_directory = /etc/postfix" \
        "compatibility_level = 3.6"
    postconf -c "$conf" -F '*/*/chroot = n'
    postconf -c "$conf" -M# smtp/inet
    postconf -c "$conf" -M "127.0.0.1:$port/inet = 127.0.0.1:$port inet n - n - - smtpd"
    postconf -c "$conf" -M "postlog/unix-dgram = postlog unix-dgram n - n - 1 postlogd"
    chown postfix:postfix "$base/data"
    postfix -c "$conf" set-permissions >/dev/null 2>&1 || true
    postfix -c "$conf" check
    postfix -c "$conf" start
    ;;
stop)
    if [ -d "$conf" ]; then
        postfix -c "$conf" stop >/dev/null 2>&1 || true
    fi
    ;;
*)
    echo "usage: $0 start BASE PORT PYTHON | stop BASE" >&2
    exit 2
    ;;
esac
