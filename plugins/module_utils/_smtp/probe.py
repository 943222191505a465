# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Probe one connector: banner, EHLO, STARTTLS, TLS, AUTH, optional MAIL FROM / RCPT TO; never DATA.

Private to the collection: may change without notice.
"""

from __future__ import annotations

import time
from email.utils import parseaddr

from ansible_collections.mailops.smtp.plugins.module_utils._smtp.engine import (
    Session,
    base_result,
    status_of,
    with_retries,
)


def envelope_address(mailbox):
    """The addr-spec of a mailbox ('"Name" <a@b>' -> 'a@b')."""
    return parseaddr(mailbox or "")[1] or (mailbox or "")


async def probe_connector(connector, options):
    """Probe with retries; returns the per-connector result (secrets not yet scrubbed)."""

    async def attempt(_number):
        return await _probe_once(connector, options)

    return await with_retries(attempt, options["retries"], options["retry_delay"])


async def _probe_once(connector, options):
    started = time.monotonic()
    session = Session(connector, options["ehlo_name"])
    out = base_result(connector)
    out.update({"senders": None, "recipients": None, "error": None})
    try:
        await session.open()
        await session.authenticate()
        if options.get("mail_from") or options.get("rcpt_to"):
            await _envelope(session, connector, options, out)
    except Exception as exc:  # pylint: disable=broad-except
        out["error"] = session.classify(exc)
    finally:
        await session.close()
    if out["error"] is None:
        out["error"] = out.pop("_envelope_error", None)
    out.pop("_envelope_error", None)
    session.timings["total"] = round((time.monotonic() - started) * 1000.0, 1)
    out.update({
        "stage_reached": session.reached,
        "banner": session.banner,
        "capabilities": session.capabilities,
        "capabilities_before_tls": session.capabilities_before_tls,
        "tls": session.public_tls(),
        "encrypted": session.encrypted,
        "auth": session.auth,
        "timings": session.timings,
        "warnings": session.warnings,
        "changed": False,
    })
    out["status"] = status_of(out["error"], out["warnings"])
    return out


async def _envelope(session, connector, options, out):
    senders = connector.get("senders") or {}
    test = connector.get("test") or {}
    first_error = None
    if options.get("mail_from"):
        out["senders"] = {}
        for purpose in sorted(senders):
            address = envelope_address(senders[purpose])
            entry = {"address": address, "accepted": False, "reply": None}
            try:
                await session.mail(address)
                entry["accepted"] = True
            except Exception as exc:  # pylint: disable=broad-except
                error = session.classify(exc)
                entry["reply"] = error.get("message")
                entry["error"] = error
                if error["category"] in ("connection", "throttled", "protocol") and \
                        error.get("smtp_code") in (None, 421):
                    raise
                first_error = first_error or error
            await session.rset()
            out["senders"][purpose] = entry
    if options.get("rcpt_to"):
        recipients = test.get("to") or []
        purpose = test.get("sender") or "default"
        out["recipients"] = {}
        if recipients:
            await session.mail(envelope_address(senders.get(purpose) or senders.get("default")))
            accepted, refused = await session.rcpt(recipients)
            for address in recipients:
                if address in refused:
                    out["recipients"][address] = {"accepted": False, "error": refused[address],
                                                  "reply": refused[address]["message"]}
                    first_error = first_error or refused[address]
                else:
                    out["recipients"][address] = {"accepted": address in accepted, "reply": None}
            await session.rset()
    out["_envelope_error"] = first_error
