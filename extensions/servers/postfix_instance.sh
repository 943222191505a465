#!/bin/sh
# Start or stop an isolated Postfix instance for tests: its own configuration directory, queue
# and data directories under BASE, listening on 127.0.0.1:PORT only (never on port 25), logging
# to BASE/postfix.log. Extra main.cf settings ("name = value") follow PORT and win over the
# defaults set here. ADDRESS:PORT instead of PORT listens there (an address of a network
# namespace the instance is started in, see mail_chain.py) and sets inet_interfaces to it.
# A setting whose name has a slash ("name/type = entry") is a master.cf service instead.
#   postfix_instance.sh start BASE PORT|ADDRESS:PORT [SETTING...]
#   postfix_instance.sh stop BASE
#
# Nothing is read from /etc/postfix/main.cf: a package installed with debconf "No configuration"
# has none, and a configured one must not change what the tests see.
set -eu
action=$1
base=$2
conf="$base/conf"
case "$action" in
start)
    case $3 in
    *:*) address=${3%:*} port=${3##*:} ;;
    *) address=127.0.0.1 port=$3 ;;
    esac
    shift 3
    mkdir -p "$base"
    rm -rf "$conf" "$base/queue" "$base/data"
    mkdir -p "$conf" "$base/queue" "$base/data"
    # main.cf starts empty (compiled-in defaults plus the settings below), so whatever the
    # machine's own Postfix is configured to do never leaks into a test.
    : > "$conf/main.cf"
    if [ -f /usr/share/postfix/master.cf.dist ]; then
        cp /usr/share/postfix/master.cf.dist "$conf/master.cf"
    elif [ -f /etc/postfix/master.cf ]; then
        cp /etc/postfix/master.cf "$conf/master.cf"
    else
        echo "postfix_instance.sh: no master.cf in /usr/share/postfix or /etc/postfix (is postfix installed?)" >&2
        exit 1
    fi
    # Files main.cf may refer to (dynamic maps, post-install scripts) stay in /etc/postfix.
    postconf -c "$conf" -e \
        "command_directory = /usr/sbin" \
        "queue_directory = $base/queue" \
        "data_directory = $base/data" \
        "mail_owner = postfix" \
        "setgid_group = postdrop" \
        "inet_interfaces = loopback-only" \
        "inet_protocols = ipv4" \
        "myhostname = mailops-test.localdomain" \
        "mydestination =" \
        "mynetworks = 127.0.0.0/8" \
        "alias_maps =" \
        "alias_database =" \
        "smtp_host_lookup = native" \
        "maillog_file_prefixes = $base" \
        "maillog_file = $base/postfix.log" \
        "import_environment = MAIL_CONFIG MAIL_DEBUG MAIL_LOGTAG TZ XAUTHORITY DISPLAY LANG=C" \
        "shlib_directory = /usr/lib/postfix" \
        "daemon_directory = /usr/lib/postfix/sbin" \
        "meta_directory = /etc/postfix" \
        "compatibility_level = 3.6"
    if [ "$address" != 127.0.0.1 ]; then
        postconf -c "$conf" -e "inet_interfaces = $address"
    fi
    for setting in "$@"; do
        case ${setting%%=*} in
        */*) postconf -c "$conf" -M "$setting" ;;
        *) postconf -c "$conf" -e "$setting" ;;
        esac
    done
    # No chroot (the queue directory is a temp dir), and the only listener is ADDRESS:PORT.
    postconf -c "$conf" -F '*/*/chroot = n'
    postconf -c "$conf" -M# smtp/inet
    postconf -c "$conf" -M "$address:$port/inet = $address:$port inet n - n - - smtpd"
    postconf -c "$conf" -M "postlog/unix-dgram = postlog unix-dgram n - n - 1 postlogd"
    chown root:root "$base" "$base/queue"
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
    echo "usage: $0 start BASE PORT [SETTING...] | stop BASE" >&2
    exit 2
    ;;
esac
