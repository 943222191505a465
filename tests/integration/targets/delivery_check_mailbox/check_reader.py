# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The IMAP side of delivery_check against a real Dovecot: find probes in INBOX and the SPECIAL-USE
\\Junk folder (named "Bulk Mail", so a guessed name would miss it), find DSNs of probes in a bounce
mailbox, then clean up: this run's probes and bounces and stale ones go, every other message stays.

Usage: python check_reader.py DOVECOT_JSON
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import imaplib
import json
import ssl
import sys
import time

from ansible_collections.mailops.smtp.plugins.module_utils._mailbox import imap, watch

STATE = json.load(open(sys.argv[1], encoding="utf-8"))
CTX = ssl.create_default_context(cafile=STATE["ca_file"])
NOW = int(time.time())
MINE, JUNKED, STALE, FOREIGN_TOKEN, LATE = "a" * 32, "b" * 32, "c" * 32, "d" * 32, "e" * 32


def mailbox(user, password, security="imaps", **extra):
    port = STATE["imaps_port"] if security == "imaps" else STATE["imap_port"]
    out = {"host": "127.0.0.1", "port": port, "security": security, "username": user, "password": password,
           "tls": {"ca_file": STATE["ca_file"]}}
    out.update(extra)
    return out


def probe(token, expires):
    return ("From: noreply@example.org\r\nTo: probe@example.net\r\nSubject: mailops delivery check\r\n"
            "Message-ID: <mailops-probe.%s@example.org>\r\nX-Mailops-Probe: token=%s; connector=relay; expires=%d\r\n"
            "\r\nThis is a delivery check.\r\n" % (token, token, expires)).encode()


def bounce(token, expires):
    return ("From: MAILER-DAEMON@relay.example.org\r\nTo: postmaster@example.org\r\nSubject: Undelivered Mail\r\n"
            "MIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\r\n\r\n"
            "--B\r\nContent-Type: text/plain\r\n\r\nThe recipient does not exist.\r\n"
            "--B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; relay.example.org\r\n\r\n"
            "Final-Recipient: rfc822; nobody@example.net\r\nAction: failed\r\nStatus: 5.1.1\r\n"
            "Diagnostic-Code: smtp; 550 5.1.1 <nobody@example.net>: Recipient address rejected: User unknown\r\n"
            "\r\n--B\r\nContent-Type: text/rfc822-headers\r\n\r\nFrom: noreply@example.org\r\n"
            "X-Mailops-Probe: token=%s; connector=relay; expires=%d\r\n\r\n--B--\r\n" % (token, expires)).encode()


FOREIGN = [
    b"From: parent@example.net\r\nTo: probe@example.net\r\nSubject: Field trip\r\n\r\nSee you Monday.\r\n",
    # Mentions the probe header in its text, as a forwarded support mail would: still not ours.
    b"From: admin@example.net\r\nSubject: about X-Mailops-Probe\r\n\r\nX-Mailops-Probe: token=" + FOREIGN_TOKEN.encode()
    + b"; expires=1\r\n",
]


def append(user, password, folder, data):
    conn = imaplib.IMAP4_SSL("127.0.0.1", STATE["imaps_port"], ssl_context=CTX)
    conn.login(user, password)
    typ, answer = conn.append(imap.quote(folder), None, None, data)
    assert typ == "OK", (folder, typ, answer)
    conn.logout()


def contents(user, password):
    """{folder: sorted subjects} of a mailbox, read with plain imaplib."""
    conn = imaplib.IMAP4_SSL("127.0.0.1", STATE["imaps_port"], ssl_context=CTX)
    conn.login(user, password)
    out = {}
    for folder in ("INBOX", STATE["junk_folder"]):
        conn.select(imap.quote(folder))
        typ, data = conn.uid("FETCH", "1:*", "(BODY.PEEK[HEADER.FIELDS (SUBJECT X-MAILOPS-PROBE)])")
        out[folder] = sorted(item[1].decode().strip() for item in data if isinstance(item, tuple))
    conn.logout()
    return out


def check(condition, what):
    if not condition:
        print("FAILED: %s" % what, file=sys.stderr)
        sys.exit(1)
    print("ok: %s" % what)


async def main():
    executor = concurrent.futures.ThreadPoolExecutor(4)
    probes = mailbox("probe", "Imap-S3cret")
    bounces = mailbox("postmaster", "B0unce-pw", security="starttls")
    deadline = time.monotonic() + 20
    finder = watch.Watcher(probes, watch.PROBES, deadline, executor)
    dsns = watch.Watcher(bounces, watch.BOUNCES, deadline, executor)
    finder.start()
    dsns.start()
    waits = [finder.expect(MINE), finder.expect(JUNKED), dsns.expect(MINE)]
    await asyncio.sleep(0.5)
    # Arrivals while the watchers wait (as a receiver delivers them).
    await asyncio.get_running_loop().run_in_executor(executor, append, "probe", "Imap-S3cret", "INBOX",
                                                     probe(MINE, NOW + 600))
    await asyncio.get_running_loop().run_in_executor(executor, append, "probe", "Imap-S3cret", STATE["junk_folder"],
                                                     probe(JUNKED, NOW + 600))
    await asyncio.get_running_loop().run_in_executor(executor, append, "postmaster", "B0unce-pw", "INBOX",
                                                     bounce(MINE, NOW + 600))
    inbox, junk, dsn = await asyncio.wait_for(asyncio.gather(*waits), 15)
    check(inbox["folder"] == "INBOX" and inbox["junk"] is False and b"token=" + MINE.encode() in inbox["message"],
          "a probe in INBOX is found, with its bytes")
    check(junk["folder"] == STATE["junk_folder"] and junk["junk"] is True,
          "a probe in the SPECIAL-USE \\Junk folder %r is found and marked junk" % STATE["junk_folder"])
    check(dsn["report"]["status"] == "5.1.1" and dsn["report"]["recipient"] == "nobody@example.net",
          "the DSN of the probe is found in the bounce mailbox over STARTTLS, with status and recipient")
    check(("INBOX", True) not in finder.folders and finder.folders[0] == ("INBOX", False), "folders: INBOX first")
    started = time.monotonic()
    late = finder.expect(LATE)
    finder.deadline = time.monotonic() + 2
    check(await late is None and time.monotonic() - started < 5, "a probe that never comes ends at the deadline")
    for watcher in (finder, dsns):
        watcher.finish()
        await watcher.task
    cleaned = await finder.cleanup({MINE, JUNKED})
    cleaned_dsn = await dsns.cleanup({MINE})
    await finder.close()
    await dsns.close()
    check(cleaned == {"deleted": 2, "stale": 1, "expunge": "uid_expunge"},
          "cleanup deletes this run's two probes and the stale one, with UID EXPUNGE: %s" % cleaned)
    check(cleaned_dsn == {"deleted": 1, "stale": 1, "expunge": "uid_expunge"},
          "cleanup deletes the probe's bounce and a stale bounce: %s" % cleaned_dsn)


def errors():
    wrong = imap.Session(mailbox("probe", "Wrong-Pa55"))
    try:
        wrong.open()
        check(False, "a wrong password is refused")
    except imap.MailboxError as exc:
        check(exc.category == "auth" and "Wrong-Pa55" not in str(exc), "a wrong password: category auth, no secret")
    untrusted = imap.Session(dict(mailbox("probe", "Imap-S3cret"), tls={}))
    try:
        untrusted.open()
        check(False, "an untrusted certificate is refused")
    except imap.MailboxError as exc:
        check(exc.category == "tls_certificate", "a certificate from an unknown CA: category tls_certificate")
    missing = imap.Session(mailbox("probe", "Imap-S3cret", folders=["Receipts"]))
    missing.open()
    try:
        missing.folders(["Receipts"])
        check(False, "a declared folder that does not exist is reported")
    except imap.MailboxError as exc:
        check(exc.category == "folder" and "Bulk Mail" in exc.hint, "a missing declared folder names what exists")
    missing.close()


# Before the run: messages of others, a stale probe and a stale bounce of an earlier run.
for data in FOREIGN:
    append("probe", "Imap-S3cret", "INBOX", data)
append("probe", "Imap-S3cret", STATE["junk_folder"], FOREIGN[0])
append("probe", "Imap-S3cret", "INBOX", probe(STALE, NOW - 60))
append("postmaster", "B0unce-pw", "INBOX", bounce(STALE, NOW - 60))
append("postmaster", "B0unce-pw", "INBOX", FOREIGN[0])
asyncio.run(main())
after = contents("probe", "Imap-S3cret")
EXPECTED = {"INBOX": ["Subject: Field trip", "Subject: about X-Mailops-Probe"],
            STATE["junk_folder"]: ["Subject: Field trip"]}
check(after == EXPECTED,
      "every foreign message is untouched, in INBOX and in Junk: %s" % after)
check(contents("postmaster", "B0unce-pw")["INBOX"] == ["Subject: Field trip"], "the foreign message in the bounce "
      "mailbox is untouched")
errors()
