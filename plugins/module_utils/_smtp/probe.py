# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Probe one connector: banner, EHLO, STARTTLS, TLS, AUTH, optional MAIL FROM / RCPT TO; never DATA.

Private to the collection: may change without notice.
"""

from __future__ import annotations

import math
import time
from email.utils import parseaddr

from ansible_collections.mailops.smtp.plugins.module_utils._smtp.engine import (
    Session,
    base_result,
    with_retries,
)

MIB = 1024 * 1024
"""attachments.max_size_mb counts binary megabytes, as mail clients and providers' limits do."""

HEADER_ALLOWANCE = 8192
"""Bytes a message carries besides its attachment: headers, the text part, MIME boundaries."""

BASE64_LINE = 76
"""Base64 characters per line in MIME (RFC 2045), each line followed by CRLF."""


def envelope_address(mailbox):
    """The addr-spec of a mailbox ('"Name" <a@b>' -> 'a@b')."""
    return parseaddr(mailbox or "")[1] or (mailbox or "")


def wire_size(attachment_bytes, header_allowance=HEADER_ALLOWANCE):
    """Bytes on the wire (what SIZE limits) of a message carrying one attachment of this size."""
    encoded = 4 * int(math.ceil(attachment_bytes / 3.0))
    lines = int(math.ceil(encoded / float(BASE64_LINE)))
    return encoded + 2 * lines + header_allowance


def largest_attachment(size_limit, header_allowance=HEADER_ALLOWANCE):
    """The largest attachment, in bytes, whose message still fits into size_limit."""
    room = size_limit - header_allowance
    if room <= 0:
        return 0
    # Each full line is 76 characters plus CRLF; 4 characters carry 3 bytes.
    chars = (room // (BASE64_LINE + 2)) * BASE64_LINE + max(0, room % (BASE64_LINE + 2) - 2)
    best = (chars // 4) * 3
    while best > 0 and wire_size(best, header_allowance) > size_limit:
        best -= 3
    return best


def _non_ascii(text):
    return any(ord(ch) > 127 for ch in text or "")


def declaration_findings(connector, capabilities, check_attachments=True):
    """Compare what the connector declares with what the server's EHLO offers.

    Returns findings (id, category, severity, message, hint, details). Attachments are only
    compared when the connector declares them (check_attachments): the schema default would
    otherwise judge every connector by a limit nobody chose.
    """
    findings = []
    if not capabilities:
        return findings

    def add(fid, category, severity, message, hint, details=None):
        findings.append({"id": fid, "category": category, "severity": severity, "message": message,
                         "hint": hint, "details": details or {}})

    attachments = connector.get("attachments") or {}
    size_limit = capabilities.get("size_limit")
    if check_attachments and attachments.get("allowed", True) and not attachments.get("as_url") and \
            attachments.get("max_size_mb") and size_limit:
        declared = float(attachments["max_size_mb"])
        attachment = int(declared * MIB)
        needed = wire_size(attachment)
        if needed > size_limit:
            largest = largest_attachment(size_limit)
            add("attachment_exceeds_size", "message", "error",
                "attachments.max_size_mb %g allows a %d-byte attachment, which is %d bytes on the wire "
                "(base64 adds 4/3 plus a line break every 76 characters, plus %d bytes of headers); the "
                "server's SIZE limit is %d bytes. The largest attachment that fits is %.1f MB."
                % (declared, attachment, needed, HEADER_ALLOWANCE, size_limit, largest / float(MIB)),
                "Lower attachments.max_size_mb to %.1f or less, or raise the server's message size limit "
                "(Postfix: message_size_limit) to at least %d bytes; otherwise the largest attachments "
                "users may add are refused with 552." % (math.floor(largest * 10.0 / MIB) / 10.0, needed),
                {"max_size_mb": declared, "attachment_bytes": attachment, "wire_bytes": needed,
                 "size_limit": size_limit, "largest_attachment_bytes": largest,
                 "largest_max_size_mb": math.floor(largest * 10.0 / MIB) / 10.0})

    auth = connector.get("auth") or {}
    declared_mechs = [m.upper() for m in auth.get("mechanisms") or []]
    offered = capabilities.get("auth_mechanisms") or []
    if auth and declared_mechs and offered:
        missing = [m for m in declared_mechs if m not in offered]
        usable = [m for m in declared_mechs if m in offered]
        if not usable:
            add("auth_mechanisms_not_offered", "auth", "error",
                "None of auth.mechanisms (%s) is offered; the server offers %s."
                % (", ".join(declared_mechs), ", ".join(offered)),
                "Set auth.mechanisms to one the server offers (%s)." % ", ".join(offered),
                {"declared": declared_mechs, "offered": offered})
        elif missing:
            add("auth_mechanisms_partly_offered", "auth", "warning",
                "auth.mechanisms lists %s, which the server does not offer (it offers %s); %s will be used."
                % (", ".join(missing), ", ".join(offered), usable[0]),
                "Remove the mechanisms the server does not offer, so the declaration says what is used.",
                {"declared": declared_mechs, "offered": offered, "missing": missing})

    smtputf8 = bool(capabilities.get("smtputf8"))
    eightbit = bool(capabilities.get("8bitmime"))
    for purpose in sorted(connector.get("senders") or {}):
        name, address = parseaddr(connector["senders"][purpose])
        local, _sep, domain = address.rpartition("@")
        if not smtputf8 and (_non_ascii(local) or _non_ascii(domain)):
            # A non-ASCII local part has no ASCII form; a domain has one (IDNA).
            fid, severity, fix = ("sender_needs_smtputf8", "error", "use an ASCII address for this server") \
                if _non_ascii(local) else ("sender_domain_needs_idna", "warning", "write the domain in its "
                                           "ASCII (IDNA, xn--) form, or the application must convert it")
            add(fid, "sender", severity,
                "senders.%s (%s) is not ASCII, and the server does not offer SMTPUTF8." % (purpose, address),
                "Such an address needs SMTPUTF8 (RFC 6531): %s, or use a server that offers SMTPUTF8." % fix,
                {"purpose": purpose, "smtputf8": smtputf8})
        if _non_ascii(name) and not smtputf8:
            add("display_name_needs_encoding", "sender", "warning",
                "senders.%s has a non-ASCII display name (%s), and the server offers no SMTPUTF8%s."
                % (purpose, name, " (8BITMIME covers message bodies, not headers)" if eightbit
                   else " nor 8BITMIME (a 7-bit path)"),
                "The application must encode the name (RFC 2047 encoded-word); raw UTF-8 in the From "
                "header is refused or garbled by this server. Check a test message's From line.",
                {"purpose": purpose, "smtputf8": smtputf8, "8bitmime": eightbit})
    return findings


async def probe_connector(connector, options):
    """Probe with retries; returns the per-connector result (secrets not yet scrubbed)."""

    async def attempt(_number):
        return await _probe_once(connector, options)

    return await with_retries(attempt, options["retries"], options["retry_delay"])


async def _probe_once(connector, options):
    started = time.monotonic()
    session = Session(connector, options["ehlo_name"], options.get("resolver"))
    out = base_result(connector)
    out.update({"senders": None, "recipients": None, "error": None})
    try:
        await session.open()
        await session.authenticate()
        if options.get("mail_from") or options.get("rcpt_to"):
            await _envelope(session, connector, options, out)
    except Exception as exc:  # pylint: disable=broad-except
        out["error"] = await session.classify(exc)
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
    out["findings"] = declaration_findings(
        connector, session.capabilities, connector.get("name") in options.get("declared_attachments", ()))
    if out["error"] or any(f["severity"] == "error" for f in out["findings"]):
        out["status"] = "failed"
    elif out["warnings"] or out["findings"]:
        out["status"] = "warning"
    else:
        out["status"] = "ok"
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
                error = await session.classify(exc)
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
