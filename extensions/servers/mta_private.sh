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
        missing=$(find "$tmp/root/usr/sbin" "$tmp/root/usr/lib" -type f -perm -u+x 2>/dev/null | while read -r bin; do
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

cmd=${1:-}
shift || true
case "$cmd" in
    root) root "$@" ;;
    exim4-send) [ $# -eq 4 ] || die "exim4-send CONFDIR WORKDIR SENDER RECIPIENT"; exim4_send "$@" ;;
    nullmailer-send) [ $# -eq 4 ] || die "nullmailer-send REMOTES WORKDIR SENDER RECIPIENT"; nullmailer_send "$@" ;;
    dma-send) [ $# -eq 4 ] || die "dma-send CONFDIR WORKDIR SENDER RECIPIENT"; dma_send "$@" ;;
    *) die "usage: mta_private.sh root PACKAGE... | exim4-send ... | nullmailer-send ... | dma-send ..." ;;
esac
