#!/usr/bin/env bash
# Make sure the Debian packages named in one or more list files are installed.
#
# Usage: tools/system-packages.sh [--optional] LIST_FILE...
#
# A list file has one Debian package a line; blank lines and '#' comments are ignored.
# As root on a Debian machine the missing packages are installed with apt-get (services
# they bring are not started: the tests and the demo start what they need themselves).
# Otherwise nothing is changed and the script exits 1 with the exact command to run (with
# --optional it only says what is missing and exits 0: the caller does without them).
# `make test` and `make demo` call it before anything else.
set -euo pipefail

optional=0
if [ "${1:-}" = --optional ]; then
    optional=1
    shift
fi
[ "$#" -gt 0 ] || { echo "usage: $0 [--optional] LIST_FILE..." >&2; exit 2; }

wanted=()
for list in "$@"; do
    [ -r "$list" ] || { echo "system packages: cannot read the list $list" >&2; exit 2; }
    while IFS= read -r line || [ -n "$line" ]; do
        line=${line%%#*}
        line=${line//[[:space:]]/}
        [ -n "$line" ] && wanted+=("$line")
    done < "$list"
done
[ "${#wanted[@]}" -gt 0 ] || exit 0

if ! command -v dpkg-query >/dev/null 2>&1; then
    echo "system packages: this is not a Debian-based machine (no dpkg-query)." >&2
    echo "Install the equivalents of these Debian packages, then run the command again:" >&2
    echo "  ${wanted[*]}" >&2
    exit 1
fi

missing=()
for package in "${wanted[@]}"; do
    status=$(dpkg-query -W -f='${db:Status-Abbrev}' "$package" 2>/dev/null || true)
    case "$status" in
        ii*) ;;
        *) missing+=("$package") ;;
    esac
done

if [ "${#missing[@]}" = 0 ]; then
    echo "system packages: all ${#wanted[@]} present"
    exit 0
fi

if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    if [ "$optional" = 1 ]; then
        echo "system packages: optional ones missing (the part that needs them is left out): ${missing[*]}"
        echo "  to have them: sudo apt-get install -y ${missing[*]}"
        exit 0
    fi
    echo "system packages: missing ${missing[*]}" >&2
    echo "Install them as root, then run the command again:" >&2
    echo "  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
    echo "(or run the command itself as root: it installs them)" >&2
    exit 1
fi

echo "system packages: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# Packages with services (postfix, nsd, dovecot, opendkim...) must not start them: the tests
# start private instances on loopback. policy-rc.d tells invoke-rc.d not to start anything.
guard=
if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
    chmod +x /usr/sbin/policy-rc.d
    guard=/usr/sbin/policy-rc.d
    trap 'rm -f "$guard"' EXIT
fi
# Postfix asks how to configure itself; the tests never use the machine's own instance.
if command -v debconf-set-selections >/dev/null 2>&1; then
    echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
fi
log=$(mktemp)
if ! { apt-get update -qq && apt-get install -y -qq -o DPkg::Lock::Timeout=600 "${missing[@]}"; } >"$log" 2>&1; then
    tail -n 30 "$log" >&2
    rm -f "$log"
    echo "system packages: apt-get could not install ${missing[*]} (its last lines are above)" >&2
    exit 1
fi
rm -f "$log"
echo "system packages: installed ${#missing[@]}"
