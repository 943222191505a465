#!/usr/bin/env python
# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Wait until a sink received a message with SUBJECT: find_message.py MESSAGES_DIR SUBJECT TIMEOUT.

Prints the envelope record (JSON) of that message; exits 1 when none arrives in time.
"""

from __future__ import annotations

import glob
import os
import sys
import time


def main():
    directory, subject, timeout = sys.argv[1], sys.argv[2], float(sys.argv[3])
    deadline = time.time() + timeout
    while time.time() < deadline:
        for eml in sorted(glob.glob(os.path.join(directory, "*.eml"))):
            with open(eml, "rb") as handle:
                found = ("Subject: %s" % subject).encode() in handle.read()
            if found and os.path.exists(eml[:-4] + ".json"):
                with open(eml[:-4] + ".json") as meta:
                    print(meta.read())
                return 0
        time.sleep(0.5)
    sys.stderr.write("no message with subject %r in %s after %ss\n" % (subject, directory, timeout))
    return 1


if __name__ == "__main__":
    sys.exit(main())
