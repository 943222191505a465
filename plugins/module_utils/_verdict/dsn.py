# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Delivery status notifications (RFC 3464 multipart/report): which probe bounced, and why.

Private to the collection: may change without notice. Standard library only.
"""

from __future__ import annotations

import email
import email.policy
import re

PROBE_HEADER = "X-Mailops-Probe"
_TOKEN = re.compile(r"\btoken=([0-9a-f]{32})\b")
_HEADER_LINE = re.compile(r"^" + PROBE_HEADER + r":[ \t]*(.*(?:\r?\n[ \t].*)*)", re.IGNORECASE | re.MULTILINE)


def probe_token(header_value):
    """The token of an X-Mailops-Probe header value, or None when it is not one of ours."""
    match = _TOKEN.search(" ".join(str(header_value or "").split()))
    return match.group(1) if match else None


def probe_fields(header_value):
    """{key: value} of an X-Mailops-Probe header ('token=...; connector=...; expires=...')."""
    out = {}
    for part in " ".join(str(header_value or "").split()).split(";"):
        key, sep, value = part.strip().partition("=")
        if sep:
            out[key.strip().lower()] = value.strip()
    return out


def _fields(block):
    """A delivery-status block (an email.message.Message of fields) -> {lower name: value}."""
    return dict((k.lower(), " ".join(str(v).split())) for k, v in block.items())


def _typed(value):
    """'rfc822; a@example.org' -> 'a@example.org'; 'smtp; 550 ...' keeps the text after the type."""
    if not value:
        return None
    kind, sep, rest = value.partition(";")
    return rest.strip() if sep else value.strip()


def parse(message_bytes):
    """A DSN -> {token, reporting_mta, recipients: [...], action, status, diagnostic, recipient, remote_mta}.

    Returns None when the message is not a delivery-status report about one of our probes.
    """
    msg = email.message_from_bytes(message_bytes, policy=email.policy.compat32)
    if msg.get_content_type() != "multipart/report":
        return None
    if (msg.get_param("report-type") or "").lower() != "delivery-status":
        return None
    status_part = None
    returned = None
    for part in msg.walk():
        ctype = part.get_content_type()
        if ctype == "message/delivery-status" and status_part is None:
            status_part = part
        elif ctype in ("message/rfc822", "text/rfc822-headers", "message/rfc822-headers") and returned is None:
            returned = part
    if status_part is None or returned is None:
        return None
    token = _returned_token(returned)
    if token is None:
        return None
    blocks = status_part.get_payload()
    if not isinstance(blocks, list) or not blocks:
        return None
    per_message = _fields(blocks[0])
    recipients = []
    for block in blocks[1:]:
        fields = _fields(block)
        recipients.append({
            "recipient": _typed(fields.get("final-recipient") or fields.get("original-recipient")),
            "action": (fields.get("action") or "").lower() or None,
            "status": fields.get("status"),
            "diagnostic": fields.get("diagnostic-code"),
            "remote_mta": _typed(fields.get("remote-mta")),
        })
    failed = [r for r in recipients if r["action"] in ("failed", "delayed")] or recipients
    first = failed[0] if failed else {}
    return {
        "token": token,
        "reporting_mta": _typed(per_message.get("reporting-mta")),
        "action": first.get("action"),
        "status": first.get("status"),
        "diagnostic": first.get("diagnostic"),
        "recipient": first.get("recipient"),
        "remote_mta": first.get("remote_mta"),
        "recipients": recipients,
        "expires": _returned_expiry(returned),
    }


def _returned_text(part):
    if part.get_content_type() == "message/rfc822":
        inner = part.get_payload()
        inner = inner[0] if isinstance(inner, list) and inner else inner
        if hasattr(inner, "get"):
            return "%s: %s" % (PROBE_HEADER, inner.get(PROBE_HEADER, "")) if inner.get(PROBE_HEADER) else ""
    payload = part.get_payload(decode=True)
    if payload is None:
        payload = part.get_payload()
        if isinstance(payload, list):
            payload = "".join(p.as_string() if hasattr(p, "as_string") else str(p) for p in payload)
    if isinstance(payload, bytes):
        payload = payload.decode("utf-8", "replace")
    return str(payload)


def _returned_header(part):
    match = _HEADER_LINE.search(_returned_text(part))
    return match.group(1) if match else None


def _returned_token(part):
    return probe_token(_returned_header(part))


def _returned_expiry(part):
    value = probe_fields(_returned_header(part)).get("expires")
    return int(value) if value and value.isdigit() else None
