#!/usr/bin/env python
# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Submit one message to an SMTP listener on loopback: send.py PORT FROM TO SUBJECT."""

from __future__ import annotations

import smtplib
import sys


def main():
    port, sender, rcpt, subject = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
    body = "From: %s\r\nTo: %s\r\nSubject: %s\r\n\r\nRelayed by the Postfix test instance.\r\n" % (
        sender, rcpt, subject)
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as smtp:
        smtp.sendmail(sender, [rcpt], body)


if __name__ == "__main__":
    main()
