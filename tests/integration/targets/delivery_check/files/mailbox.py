#!/usr/bin/env python
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Put foreign messages into a test mailbox, and list what a mailbox holds, over IMAPS.

    mailbox.py CHAIN_JSON WHICH append FOLDER SUBJECT   (WHICH: mailbox or bounce_mailbox)
    mailbox.py CHAIN_JSON WHICH list                    -> {"FOLDER": [{"subject", "probe"}...]}

The password comes from the environment (MAILBOX_PASSWORD), never from the command line.
"""

import email
import email.policy
import email.utils
import imaplib
import json
import os
import ssl
import sys


def connect(chain, which):
    box = chain[which]
    session = imaplib.IMAP4_SSL(box["host"], box["imaps_port"],
                                ssl_context=ssl.create_default_context(cafile=box["ca_file"]))
    session.login(box["username"], os.environ["MAILBOX_PASSWORD"])
    return session


def folders(session):
    _typ, lines = session.list('""', "*")
    return [line.decode().rsplit(' "/" ', 1)[1].strip('"') for line in lines]


def main(path, which, action, *args):
    with open(path, encoding="utf-8") as handle:
        chain = json.load(handle)
    session = connect(chain, which)
    try:
        if action == "append":
            folder, subject = args
            text = ("From: Head Teacher <head@school.example>\r\nTo: %s\r\nSubject: %s\r\nDate: %s\r\n"
                    "Message-ID: %s\r\n\r\nA message that is not a probe and must stay.\r\n"
                    % (chain[which]["username"], subject, email.utils.formatdate(), email.utils.make_msgid()))
            typ, data = session.append('"%s"' % folder, None, None, text.encode())
            if typ != "OK":
                raise SystemExit("APPEND failed: %r" % data)
            return 0
        listing = {}
        for folder in folders(session):
            session.select('"%s"' % folder, readonly=True)
            _typ, data = session.uid("FETCH", "1:*", "(BODY.PEEK[HEADER])")
            listing[folder] = []
            for item in data:
                if isinstance(item, tuple):
                    msg = email.message_from_bytes(item[1], policy=email.policy.default)
                    listing[folder].append({"subject": str(msg["Subject"] or ""),
                                            "probe": msg["X-Mailops-Probe"] is not None})
        print(json.dumps(listing, sort_keys=True))
        return 0
    finally:
        session.logout()


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
