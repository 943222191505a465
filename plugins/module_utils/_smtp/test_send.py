# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Send a real test message through one connector, as each declared sender purpose.

Private to the collection: may change without notice. The decision whether to send
(fingerprint comparison) is made by the caller; this file builds messages and runs the
session: MAIL, RCPT (all recipients must be accepted, else RSET and nothing is sent),
DATA (a message counts as sent only on a 2xx after DATA).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from email import policy as email_policy
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from ansible_collections.mailops.smtp.plugins.module_utils._smtp.engine import Session, base_result, status_of
from ansible_collections.mailops.smtp.plugins.module_utils._smtp.probe import envelope_address

HEADER = "X-Mailops-Test"
# CRLF line ends as on the wire, and headers folded only past the RFC 5322 hard limit, so the
# X-Mailops-Test header stays on one line for whoever searches mailboxes for it.
WIRE_POLICY = email_policy.SMTP.clone(max_line_length=998)


def build_message(connector, purpose, recipients, run_id):
    sender = connector["senders"][purpose]
    address = envelope_address(sender)
    domain = address.rpartition("@")[2] or "localhost"
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = ", ".join(recipients)
    msg["Subject"] = "mailops test: connector %s, sender %s" % (connector["name"], purpose)
    msg["Date"] = formatdate(localtime=False, usegmt=True)
    msg["Message-ID"] = make_msgid(idstring="mailops-test", domain=domain)
    msg[HEADER] = "connector=%s; purpose=%s; run=%s" % (connector["name"], purpose, run_id)
    reply_to = connector.get("reply_to")
    if reply_to and reply_to not in ("none", "sender"):
        msg["Reply-To"] = reply_to
    msg.set_content(
        "This is a test message from the mailops.smtp collection.\n\n"
        "Connector: %s\nServer: %s:%s (%s)\nSender purpose: %s\nRun: %s\n\n"
        "It was sent because the connector's settings changed since its last successful test, or a "
        "test was forced. No reply is needed.\n" % (
            connector["name"], connector["host"], connector["port"], connector["security"], purpose, run_id))
    return msg, address


class Throttle:
    """At most `per_second` messages per second through one connector."""

    def __init__(self, per_second):
        self.interval = 1.0 / per_second if per_second else 0.0
        self.last = None

    async def wait(self):
        if self.interval and self.last is not None:
            pause = self.last + self.interval - time.monotonic()
            if pause > 0:
                await asyncio.sleep(pause)
        self.last = time.monotonic()


async def send_connector(connector, plan, options, check_mode, build=build_message):
    """Run the test for one connector. plan: purposes, recipients, would_send, reason, fingerprint.

    build(connector, purpose, recipients, run_id) -> (EmailMessage, envelope address) makes each message
    (delivery_check builds tokened probes with it).
    """
    out = base_result(connector)
    out.update({
        "would_send": plan["would_send"],
        "reason": plan["reason"],
        "purposes": plan["purposes"],
        "recipients": plan["recipients"],
        "messages": [],
        "refused_recipients": {},
        "sent": False,
        "changed": False,
        "error": None,
        "warnings": [],
        "attempts": 0,
    })
    if not plan["would_send"]:
        out["status"] = "ok"
        return out
    throttle = Throttle((connector.get("delivery") or {}).get("throttle_per_second"))
    run_id = uuid.uuid4().hex[:16]
    remaining = list(plan["purposes"])
    attempt = 0
    timings = {}
    while True:
        attempt += 1
        error, session = await _session(connector, remaining, plan["recipients"], options, check_mode,
                                        throttle, run_id, out, build)
        timings = session.timings
        for warning in session.warnings:
            if warning not in out["warnings"]:
                out["warnings"].append(warning)
        done = set(m["purpose"] for m in out["messages"])
        remaining = [p for p in remaining if p not in done]
        if not error or not error.get("retryable") or attempt > options["retries"]:
            break
        out["refused_recipients"] = {}
        await asyncio.sleep(min(options["retry_delay"] * (2 ** (attempt - 1)), 30.0))
    out["attempts"] = attempt
    out["error"] = error
    out["timings"] = timings
    accepted = [m for m in out["messages"] if m.get("accepted")]
    out["sent"] = bool(accepted) and not check_mode
    out["changed"] = bool(accepted) if not check_mode else plan["would_send"] and not error
    out["status"] = status_of(error, out["warnings"])
    return out


async def _session(connector, purposes, recipients, options, check_mode, throttle, run_id, out, build):
    session = Session(connector, options["ehlo_name"], options.get("resolver"))
    error = None
    try:
        await session.open()
        await session.authenticate()
        for purpose in purposes:
            msg, address = build(connector, purpose, recipients, run_id)
            await throttle.wait()
            await session.mail(address)
            _accepted, refused = await session.rcpt(recipients)
            if refused:
                await session.rset()
                out["refused_recipients"].update(dict((a, e["message"]) for a, e in refused.items()))
                retryable = all(e["retryable"] for e in refused.values())
                first = refused[sorted(refused)[0]]
                error = dict(first)
                error["hint"] = "%s Refused: %s. Nothing was sent for sender %s." % (
                    first["hint"], ", ".join(sorted(refused)), purpose)
                error["retryable"] = retryable
                break
            if check_mode:
                await session.rset()
                out["messages"].append({"purpose": purpose, "from": address, "message_id": msg["Message-ID"],
                                        "accepted": False, "checked": True, "reply": None})
                continue
            reply = await session.data(msg.as_bytes(policy=WIRE_POLICY))
            out["messages"].append({"purpose": purpose, "from": address, "message_id": msg["Message-ID"],
                                    "accepted": True, "reply": reply})
    except Exception as exc:  # pylint: disable=broad-except
        error = await session.classify(exc)
    finally:
        await session.close()
    return error, session
