#!/usr/bin/env bash
# Runs MTAs that conflict with Postfix as Debian packages (exim4, nullmailer, dma, OpenSMTPD)
# from a private root, without installing them: `apt-get download` + `dpkg-deb -x`, cached under
# a directory keyed by the package versions. See docs/development.md ("Real MTAs").
#
#   mta_private.sh root PACKAGE...
#       extract the packages (and report libraries the binaries cannot find); prints the root
#   mta_private.sh exim4-send CONFDIR WORKDIR SENDER RECIPIENT < message
#       build the configuration from CONFDIR (an /etc/exim4 tree) with the package's own
#       update-exim4.conf, then deliver one message in the foreground with `exim4 -C`;
#       prints exim's main log; exit status 0 only when exim logged the delivery as completed
#   mta_private.sh nullmailer-send REMOTES WORKDIR SENDER RECIPIENT < message
#       queue one message for nullmailer-send (NULLMAILER_TEST_PREFIX points its configuration,
#       queue and protocol modules at WORKDIR), run it until the queue is empty or 30 s passed;
#       prints its output; exit status 0 only when the message left the queue
#   mta_private.sh dma-send CONFDIR WORKDIR SENDER RECIPIENT < message
#       dma reads only /etc/dma/dma.conf: in a private mount namespace an overlay on /etc adds
#       dma/dma.conf (CONFDIR's, plus SPOOLDIR in WORKDIR) without touching the real /etc; dma
#       runs in the foreground (-D -v); prints what it says; exit status: dma's (124: still
#       retrying after 20 s)
#   mta_private.sh opensmtpd-send SMTPD_CONF WORKDIR SENDER RECIPIENT < message
#       check SMTPD_CONF with `smtpd -n`, then run smtpd in the foreground in a private mount
#       namespace (its spool, chroot, control socket and /etc/mailname in WORKDIR), enqueue one
#       message through its socket and wait for one delivery attempt; prints smtpd's log; exit
#       status 0 only when smtpd logged the relay as result="Ok"
set -euo pipefail

CACHE=${MAILOPS_MTA_CACHE:-/var/cache/mailops-smtp/mta}

die() { echo "mta_private.sh: $*" >&2; exit 2; }

# "package_version-package_version..." of the candidates apt would download (one apt-cache call).
versions_key() {
    apt-cache policy "$@" 2>/dev/null | awk '
        /^[^ ]/ {pkg = $1; sub(/:$/, "", pkg)}
        /Candidate:/ {if ($2 == "(none)") exit 1; gsub(/:/, "%", $2); key = key (key ? "-" : "") pkg "_" $2; n++}
        END {if (n) print key}'
}

# root PACKAGE...: one root per set of package versions; extracted once, then reused.
root() {
    local key dir tmp
    [ $# -gt 0 ] || die "root: name at least one package"
    key=$(versions_key "$@") || true
    [ "$(grep -o '_' <<< "$key" | wc -l)" -ge $# ] || die "no candidate version of one of: $* (apt-get update?)"
    dir="$CACHE/$(printf '%s' "$key" | sha256sum | cut -c1-16)"
    if [ ! -f "$dir/.complete" ]; then
        mkdir -p "$CACHE"
        tmp=$(mktemp -d "$CACHE/.extract.XXXXXX")
        (cd "$tmp" && apt-get download -q "$@" >&2) || { rm -rf "$tmp"; die "apt-get download $* failed"; }
        mkdir -p "$tmp/root"
        for deb in "$tmp"/*.deb; do dpkg-deb -x "$deb" "$tmp/root"; done
        printf '%s\n' "$key" > "$tmp/root/.packages"
        local missing
        # (a package may have no /usr/lib, so find's complaint about it is not a failure)
        missing=$({ find "$tmp/root/usr/sbin" "$tmp/root/usr/lib" "$tmp/root/usr/libexec" -type f -perm -u+x \
            2>/dev/null || true; } | while read -r bin; do
            { ldd "$bin" 2>/dev/null || true; } | awk '/not found/ {print $1}'; done | sort -u)
        [ -z "$missing" ] || { rm -rf "$tmp"; die "libraries the extracted programs need are missing: $missing"; }
        rm -f "$tmp"/*.deb
        rm -rf "$dir"
        mv "$tmp/root" "$dir"
        rmdir "$tmp"
        touch "$dir/.complete"
    fi
    echo "$dir"
}

exim4_send() {
    local confdir=$1 work=$2 sender=$3 rcpt=$4 root ue4c
    root=$(root exim4-base exim4-config exim4-daemon-light)
    # The Debian scripts and the delivery processes run as Debian-exim, as on a Debian host.
    getent passwd Debian-exim >/dev/null || useradd --system --user-group --no-create-home \
        --home-dir /var/spool/exim4 --shell /usr/sbin/nologin Debian-exim
    mkdir -p "$work/spool" "$work/log"
    chown Debian-exim:Debian-exim "$work/spool" "$work/log"
    # update-exim4.conf reads exim4.conf.localmacros from a fixed /etc/exim4: point a private
    # copy of the script at CONFDIR and at the extracted exim binary.
    ue4c="$work/update-exim4.conf"
    sed -e "s|/etc/exim4|$confdir|g" -e "s|/usr/sbin/exim4|$root/usr/sbin/exim4|g" \
        "$root/usr/sbin/update-exim4.conf" > "$ue4c"
    chmod 0755 "$ue4c"
    rm -f "$work/exim4.conf"
    "$ue4c" --confdir "$confdir" --output "$work/exim4.conf" 2> "$work/update-exim4.conf.err" || {
        cat "$work/update-exim4.conf.err" >&2; die "update-exim4.conf failed"; }
    # Where this exim lives and logs; the rest is the generated configuration as it is.
    { printf 'log_file_path = %s/log/%%slog\n' "$work"
      sed "s|^exim_path = .*|exim_path = $root/usr/sbin/exim4|" "$work/exim4.conf"; } > "$work/run.conf"
    "$root/usr/sbin/exim4" -C "$work/run.conf" -bV > /dev/null || die "exim4 -bV rejects the configuration"
    : > "$work/log/mainlog"
    chown Debian-exim:Debian-exim "$work/log/mainlog"
    "$root/usr/sbin/exim4" -C "$work/run.conf" -DSPOOLDIR="$work/spool" -DCONFDIR="$confdir" \
        -odf -f "$sender" -i "$rcpt" || true
    grep -v 'lost privilege for using -C' "$work/log/mainlog" || true
    grep -q ' Completed$' "$work/log/mainlog"
}

nullmailer_send() {
    local remotes=$1 work=$2 sender=$3 rcpt=$4 root pid prefix
    root=$(root nullmailer)
    prefix="$work/prefix"
    rm -rf "$prefix"
    mkdir -p "$prefix/conf" "$prefix/queue/queue" "$prefix/queue/tmp" "$prefix/queue/failed"
    mkfifo "$prefix/queue/trigger"
    ln -s "$root/usr/lib/nullmailer" "$prefix/protocols"
    cp "$remotes" "$prefix/conf/remotes"
    printf 'example.org\n' > "$prefix/conf/defaultdomain"
    printf '1\n' > "$prefix/conf/pausetime"
    # The queue file nullmailer-queue would write: sender, recipients, a blank line, the message.
    { printf '%s\n%s\n\n' "$sender" "$rcpt"; cat; } > "$prefix/queue/tmp/msg"
    mv "$prefix/queue/tmp/msg" "$prefix/queue/queue/$(date +%s).$$"
    NULLMAILER_TEST_PREFIX="$prefix" "$root/usr/sbin/nullmailer-send" > "$work/nullmailer-send.log" 2>&1 &
    pid=$!
    for _ in $(seq 1 60); do
        [ -n "$(ls -A "$prefix/queue/queue")" ] || break
        # one pass over the queue is over: a failure stays queued for the next pass
        ! grep -q '^Delivery complete' "$work/nullmailer-send.log" || break
        sleep 0.5
    done
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    cat "$work/nullmailer-send.log"
    [ -z "$(ls -A "$prefix/queue/queue")" ]
}

dma_send() {
    local confdir=$1 work=$2 sender=$3 rcpt=$4 root
    root=$(root dma)
    rm -rf "$work/upper" "$work/overlay-work"
    mkdir -p "$work/upper/dma" "$work/overlay-work" "$work/spool"
    chgrp mail "$work/spool"
    chmod 2775 "$work/spool"
    { cat "$confdir/dma.conf"; printf 'SPOOLDIR %s/spool\n' "$work"; } > "$work/upper/dma/dma.conf"
    cat > "$work/message"
    # dma retries a failed delivery for days: 20 s end the attempt (exit status 124).
    # shellcheck disable=SC2016  # the script's arguments expand in the inner shell
    timeout 20 unshare --mount sh -c 'mount -t overlay overlay \
        -o "lowerdir=/etc,upperdir=$1/upper,workdir=$1/overlay-work" /etc \
        && exec "$2/usr/sbin/dma" -v -D -f "$3" "$4" < "$1/message"' sh "$work" "$root" "$sender" "$rcpt" 2>&1
}

opensmtpd_send() {
    local conf=$1 work=$2 sender=$3 rcpt=$4 root
    root=$(root opensmtpd)
    # The users the package's postinst creates: smtpd refuses to start without them.
    getent group opensmtpd >/dev/null || groupadd --system opensmtpd
    getent passwd opensmtpd >/dev/null || useradd --system --gid opensmtpd --no-create-home \
        --home-dir /var/lib/opensmtpd --shell /usr/sbin/nologin opensmtpd
    getent group opensmtpq >/dev/null || groupadd --system opensmtpq
    getent passwd opensmtpq >/dev/null || useradd --system --gid opensmtpq --no-create-home \
        --home-dir /var/lib/opensmtpd --shell /usr/sbin/nologin opensmtpq
    "$root/usr/sbin/smtpd" -n -f "$conf" || die "smtpd -n rejects $conf"
    rm -rf "${work:?}/etc" "${work:?}/var" "$work/overlay-etc" "$work/overlay-var"
    mkdir -p "$work/etc" "$work/var/spool" "$work/var/lib/opensmtpd/empty" "$work/overlay-etc" "$work/overlay-var"
    # smtpd names itself after /etc/mailname when the host name is not a FQDN.
    printf 'client.example.org\n' > "$work/etc/mailname"
    cat > "$work/message"
    # the enqueuer must be setgid opensmtpq, as the package's postinst makes it
    install -m 2555 -g opensmtpq "$root/usr/sbin/smtpctl" "$work/sendmail"
    # The spool (/var/spool/smtpd), the chroot (/var/lib/opensmtpd/empty), the control socket
    # (/run/smtpd.sock) and /etc/mailname are fixed paths: a private mount namespace gives this
    # smtpd its own, over the real ones, which stay untouched.
    # shellcheck disable=SC2016  # the script's arguments expand in the inner shell
    timeout 60 unshare --mount sh -c '
        set -e
        mount --make-rprivate /
        mount -t overlay overlay -o "lowerdir=/etc,upperdir=$1/etc,workdir=$1/overlay-etc" /etc
        mount -t overlay overlay -o "lowerdir=/var,upperdir=$1/var,workdir=$1/overlay-var" /var
        mount -t tmpfs tmpfs /run
        "$2/usr/sbin/smtpd" -d -f "$3" > "$1/smtpd.log" 2>&1 &
        pid=$!
        for _ in $(seq 1 100); do [ -S /run/smtpd.sock ] && break; sleep 0.1; done
        [ -S /run/smtpd.sock ] || { kill $pid; cat "$1/smtpd.log"; exit 3; }
        # smtpctl is the enqueuer when it is called sendmail (the package links it so)
        "$1/sendmail" -f "$4" "$5" < "$1/message"
        # one delivery attempt: the relay result is logged as result="Ok" or an error
        for _ in $(seq 1 200); do
            grep -q "relay.* result=" "$1/smtpd.log" && break
            sleep 0.1
        done
        kill $pid; wait $pid || true
        cat "$1/smtpd.log"
        grep -q "relay.* result=\"Ok\"" "$1/smtpd.log"
    ' sh "$work" "$root" "$conf" "$sender" "$rcpt"
}

cmd=${1:-}
shift || true
case "$cmd" in
    root) root "$@" ;;
    exim4-send) [ $# -eq 4 ] || die "exim4-send CONFDIR WORKDIR SENDER RECIPIENT"; exim4_send "$@" ;;
    nullmailer-send) [ $# -eq 4 ] || die "nullmailer-send REMOTES WORKDIR SENDER RECIPIENT"; nullmailer_send "$@" ;;
    dma-send) [ $# -eq 4 ] || die "dma-send CONFDIR WORKDIR SENDER RECIPIENT"; dma_send "$@" ;;
    opensmtpd-send) [ $# -eq 4 ] || die "opensmtpd-send SMTPD_CONF WORKDIR SENDER RECIPIENT"; opensmtpd_send "$@" ;;
    *) die "usage: mta_private.sh root PACKAGE... | exim4-send ... | nullmailer-send ... | dma-send ... | opensmtpd-send ..." ;;
esac
