#!/usr/bin/env python
# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Scan every file below a directory for a secret, raw and in the encodings an output could use.

Usage: scan.py OUT_DIR SECRET [--user NAME]... [--holder DIR]...

Files below a --holder directory are the files the collection was asked to write the secret into
(the managed configuration files and their backups): there the secret must be, and the file must
be mode 0600. Anywhere else (logs, reports, state files, temp files), any encoding of the secret
is a leak. Prints the number of files and bytes scanned; exits 1 on a leak or a readable holder.
"""

import base64
import binascii
import html
import json
import os
import stat
import sys
import urllib.parse


def base64_cores(data):
    """Base64 text that appears wherever data is base64-encoded inside longer data, at any alignment."""
    cores = []
    for pad in range(3):
        encoded = base64.b64encode(b"\0" * pad + data)
        first = (pad + 2) // 3
        last = (pad + len(data)) // 3
        if last > first:
            cores.append(encoded[first * 4:last * 4])
    return cores


def needles(secret, users):
    raw = secret.encode("utf-8")
    found = {"raw": raw}
    for name, text in (("url", urllib.parse.quote(secret, safe="")), ("url-plus", urllib.parse.quote_plus(secret)),
                       ("json", json.dumps(secret)[1:-1]), ("html", html.escape(secret)),
                       ("repr", repr(secret)[1:-1])):
        found[name] = text.encode("utf-8")
    found["hex"] = binascii.hexlify(raw)
    for i, core in enumerate(base64_cores(raw)):
        found["base64-%d" % i] = core
    for user in users:
        # SASL PLAIN (authzid NUL authcid NUL password) and its base64, as an AUTH PLAIN line carries it.
        for plain in (b"\0" + user.encode() + b"\0" + raw, user.encode() + b"\0" + user.encode() + b"\0" + raw):
            found["auth-plain-%s" % len(plain)] = base64.b64encode(plain)
    return found


def main(argv):
    out, secret = argv[1], argv[2]
    users = [argv[i + 1] for i, a in enumerate(argv) if a == "--user"]
    holders = [os.path.realpath(argv[i + 1]) for i, a in enumerate(argv) if a == "--holder"]
    wanted = needles(secret, users)
    files = scanned = 0
    leaks, readable, held = [], [], []
    for root, _dirs, names in os.walk(out):
        for name in names:
            path = os.path.join(root, name)
            info = os.lstat(path)
            if not stat.S_ISREG(info.st_mode):
                continue
            with open(path, "rb") as handle:
                data = handle.read()
            files += 1
            scanned += len(data)
            hits = sorted(kind for kind, needle in wanted.items() if needle and needle in data)
            if not hits:
                continue
            real = os.path.realpath(path)
            if any(real.startswith(h + os.sep) for h in holders):
                held.append(path)
                if stat.S_IMODE(info.st_mode) & 0o077:
                    readable.append("%s (mode %04o)" % (path, stat.S_IMODE(info.st_mode)))
                continue
            leaks.append("%s: %s" % (path, ", ".join(hits)))
    print("sentinel scan: %d files, %d bytes scanned for %d encodings; %d managed files hold the secret"
          % (files, scanned, len(wanted), len(held)))
    for path in held:
        print("  holds the secret, mode 0600: %s" % path)
    for leak in leaks:
        print("LEAK %s" % leak)
    for path in readable:
        print("READABLE %s" % path)
    return 1 if leaks or readable or not files else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
