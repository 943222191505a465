# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""End-to-end check of a Postfix relay: submit a message, follow it through the queue and the log.

Run on the relay host by the mailops.smtp.postfix_relay role (standard library only). Prints one
JSON object: the queue id Postfix gave the message, and for each recipient the status the upstream
relay's answer produced (sent, deferred, bounced), its DSN code and reply. Exit status 0 only when
every recipient was sent.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import smtplib
import socket
import subprocess
import sys
import time
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

QUEUED_AS = re.compile(r"queued as ([0-9A-Za-z]+)")
# "4XyZ: to=<a@b>, relay=host[1.2.3.4]:25, delay=0.2, delays=..., dsn=2.0.0, status=sent (250 ok)"
DELIVERY = re.compile(r"\b(?P<qid>[0-9A-Za-z]+): to=<(?P<to>[^>]*)>,.*?relay=(?P<relay>[^,]+),"
                      r".*?dsn=(?P<dsn>[0-9.]+), status=(?P<status>[a-z]+) \((?P<reply>.*)\)\s*$")


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--config-dir", required=True, help="Postfix configuration directory")
    parser.add_argument("--host", default="127.0.0.1", help="where the local Postfix accepts SMTP")
    parser.add_argument("--port", type=int, default=25)
    parser.add_argument("--sender", required=True, help="envelope and header sender")
    parser.add_argument("--to", action="append", required=True, help="recipient (repeatable)")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds to wait for delivery")
    parser.add_argument("--log-file", default="", help="Postfix mail log to read delivery results from")
    parser.add_argument("--postqueue", default="postqueue")
    return parser.parse_args(argv)


def submit(args):
    """Submit the message to the local Postfix; (message id, queue id, reply)."""
    msg = EmailMessage()
    hostname = socket.getfqdn()
    msg["From"] = args.sender
    msg["To"] = ", ".join(args.to)
    msg["Subject"] = "mailops.smtp relay check from %s" % hostname
    msg["Date"] = formatdate(localtime=True)
    msg["Message-ID"] = make_msgid(idstring="mailops-relay-check")
    msg["X-Mailops-Test"] = "postfix_relay end-to-end check"
    msg.set_content("This message checks that the Postfix relay on %s delivers to its upstream relay.\n" % hostname)
    with smtplib.SMTP(args.host, args.port, timeout=30) as smtp:
        smtp.ehlo()
        code, reply = smtp.mail(args.sender)
        if code != 250:
            raise CheckError("MAIL FROM refused by the local Postfix: %s %s" % (code, reply.decode("utf-8", "replace")))
        for rcpt in args.to:
            code, reply = smtp.rcpt(rcpt)
            if code not in (250, 251):
                raise CheckError("RCPT TO %s refused by the local Postfix: %s %s"
                                 % (rcpt, code, reply.decode("utf-8", "replace")))
        code, reply = smtp.data(msg.as_bytes())
        text = reply.decode("utf-8", "replace")
        if code != 250:
            raise CheckError("the local Postfix refused the message: %s %s" % (code, text))
    match = QUEUED_AS.search(text)
    if not match:
        raise CheckError("the local Postfix accepted the message but named no queue id: %s" % text)
    return msg["Message-ID"], match.group(1), "%s %s" % (code, text)


def queued(args, queue_id):
    """The queue entry of queue_id (postqueue -j), or None once it left the queue."""
    proc = subprocess.run([args.postqueue, "-c", args.config_dir, "-j"], capture_output=True, check=False)
    if proc.returncode != 0:
        raise CheckError("postqueue -c %s -j failed: %s" % (args.config_dir, proc.stderr.decode("utf-8", "replace").strip()))
    for line in proc.stdout.decode("utf-8", "replace").splitlines():
        line = line.strip()
        if line:
            entry = json.loads(line)
            if entry.get("queue_id") == queue_id:
                return entry
    return None


def log_lines(args):
    """Lines of the mail log: the log file if there is one, else the systemd journal."""
    if args.log_file and os.path.isfile(args.log_file):
        with open(args.log_file, "rb") as handle:
            return handle.read().decode("utf-8", "replace").splitlines(), args.log_file
    try:
        proc = subprocess.run(["journalctl", "-q", "--no-pager", "-o", "short", "--since", "-30min",
                               "SYSLOG_FACILITY=2"], capture_output=True, check=False)
    except OSError:
        return [], None
    if proc.returncode != 0:
        return [], None
    return proc.stdout.decode("utf-8", "replace").splitlines(), "journal"


def deliveries(lines, queue_id):
    """The last delivery result per recipient of queue_id found in the log."""
    found = {}
    for line in lines:
        match = DELIVERY.search(line)
        if match and match.group("qid") == queue_id:
            found[match.group("to")] = {
                "recipient": match.group("to"), "status": match.group("status"), "dsn": match.group("dsn"),
                "relay": match.group("relay"), "reply": match.group("reply"),
            }
    return found


def check(args):
    result = {"config_dir": args.config_dir, "recipients": list(args.to)}
    message_id, queue_id, reply = submit(args)
    result.update(message_id=message_id, queue_id=queue_id, submit_reply=reply)
    deadline = time.monotonic() + args.timeout
    entry = queued(args, queue_id)
    # A deferred message is not tried again before minimal_backoff_time (minutes): waiting
    # longer would not change the answer.
    while entry is not None and entry.get("queue_name") != "deferred" and time.monotonic() < deadline:
        time.sleep(0.5)
        entry = queued(args, queue_id)
    result["left_queue"] = entry is None
    if entry is not None:
        result["queue_entry"] = entry

    lines, source = log_lines(args)
    result["log"] = source
    found = deliveries(lines, queue_id)
    # The log line may trail the queue removal by a moment.
    while entry is None and source and len(found) < len(args.to) and time.monotonic() < deadline + 5:
        time.sleep(0.5)
        lines, source = log_lines(args)
        found = deliveries(lines, queue_id)
    result["deliveries"] = [found.get(rcpt, {"recipient": rcpt, "status": "unknown"}) for rcpt in args.to]
    sent = [d for d in result["deliveries"] if d["status"] == "sent"]
    result["delivered"] = entry is None and len(sent) == len(args.to)
    if result["delivered"]:
        result["msg"] = "the upstream relay accepted message %s (queue id %s) for %s" % (
            message_id, queue_id, ", ".join(args.to))
    elif entry is not None:
        reasons = sorted(set(r.get("delay_reason", "") for r in entry.get("recipients", []) if r.get("delay_reason")))
        if entry.get("queue_name") == "deferred":
            result["msg"] = "queue id %s was deferred (it stays in the deferred queue): %s" % (
                queue_id, "; ".join(reasons) or "no delay reason given")
        else:
            result["msg"] = "queue id %s is still in the %s queue after %ss: %s" % (
                queue_id, entry.get("queue_name"), int(args.timeout), "; ".join(reasons) or "no delay reason yet")
    elif not source:
        result["msg"] = ("queue id %s left the queue, but no mail log was found to confirm the upstream "
                         "accepted it (set the role's postfix_relay_log_file)" % queue_id)
    else:
        failed = ["%s: %s (%s %s)" % (d["recipient"], d["status"], d.get("dsn", "-"), d.get("reply", "no log line"))
                  for d in result["deliveries"] if d["status"] != "sent"]
        result["msg"] = "queue id %s was not delivered to the upstream relay: %s" % (queue_id, "; ".join(failed))
    return result


class CheckError(Exception):
    pass


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        result = check(args)
    except (CheckError, OSError, smtplib.SMTPException, ValueError) as exc:
        result = {"delivered": False, "msg": "%s: %s" % (type(exc).__name__, exc)}
    result["failed"] = not result["delivered"]
    print(json.dumps(result, sort_keys=True))
    return 0 if result["delivered"] else 1


if __name__ == "__main__":
    sys.exit(main())
