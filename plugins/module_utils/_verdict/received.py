# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The Received: chain (RFC 5321 4.4): hops oldest first, per-hop delays, clock skew, TLS per hop.

Private to the collection: may change without notice. Standard library only.
"""

from __future__ import annotations

import datetime
import email.utils
import ipaddress
import re

from ansible_collections.mailops.smtp.plugins.module_utils._verdict.header_text import segments

_KEYWORDS = ("from", "by", "via", "with", "id", "for")
# Protocol names that say the hop was encrypted (RFC 3848, RFC 8314 registry: ESMTPS, ESMTPSA, UTF8SMTPS, LMTPS...).
_TLS_PROTOCOLS = re.compile(r"^(esmtpsa?|utf8smtpsa?|lmtpsa?|utf8lmtpsa?|smtps)$", re.IGNORECASE)
# What MTAs write in comments when a hop used TLS: Postfix "(using TLSv1.3 with cipher ...)", Exim "tls TLS_AES..."
# or "(TLS1.3)", Microsoft "(version=TLS1_2, cipher=...)", Google "(Google Transport Security)".
_TLS_COMMENT = re.compile(r"using\s+TLSv?1|version=TLS|\bTLS1[._]?\d|\btls\s+TLS_|Google Transport Security"
                          r"|\bTLSv1\.\d", re.IGNORECASE)
_LOCAL_PROTOCOLS = ("lmtp", "lmtps", "lmtpa", "lmtpsa", "local", "utf8lmtp", "utf8lmtps")
_IP_IN_BRACKETS = re.compile(r"\[(?:IPv6:)?([0-9A-Fa-f:.]+)\]")


def _tokens(text):
    """Split a Received value into [word, comments] pairs; a comment belongs to the word before it."""
    out = []
    for kind, chunk in segments(text):
        if kind == "comment":
            if out:
                out[-1][1].append(chunk)
            else:
                out.append(["", [chunk]])
            continue
        for word in chunk.split():
            out.append([word, []])
    return out


def _clauses(text):
    """{keyword: [value, notes]} of one Received header value (without its date).

    The first word after a keyword is its value; further words and every comment go to its notes.
    """
    clauses = {}
    key = None
    for word, comments in _tokens(text):
        lowered = word.lower()
        if lowered in _KEYWORDS and lowered not in clauses:
            key = lowered
            clauses[key] = ["", list(comments)]
            continue
        if key is None:
            continue
        entry = clauses[key]
        if not entry[0]:
            entry[0] = word
        else:
            entry[1].append(word)
        entry[1].extend(comments)
    return clauses


def _address(comments):
    for comment in comments:
        match = _IP_IN_BRACKETS.search(comment)
        if match:
            try:
                return str(ipaddress.ip_address(match.group(1)))
            except ValueError:
                pass
    for comment in comments:
        for candidate in re.findall(r"[0-9A-Fa-f:.]+", comment):
            if ("." in candidate or ":" in candidate) and any(c.isdigit() for c in candidate):
                try:
                    return str(ipaddress.ip_address(candidate))
                except ValueError:
                    continue
    return None


def parse_date(text):
    """Aware datetime of an RFC 5322 date, or None (a trailing '(UTC)' comment is allowed)."""
    text = re.sub(r"\([^)]*\)\s*$", "", (text or "").strip()).strip()
    if not text:
        return None
    try:
        value = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=datetime.timezone.utc)
    return value


def parse_received(value):
    """One Received header value -> dict with from, from_ip, by, with, id, tls, timestamp (datetime or None)."""
    text = " ".join(str(value).split())
    head, sep, date_text = text.rpartition(";")
    if not sep:
        head, date_text = text, ""
    clauses = _clauses(head)
    from_name, from_notes = clauses.get("from", ["", []])
    by_name, by_notes = clauses.get("by", ["", []])
    with_proto, with_notes = clauses.get("with", ["", []])
    proto = with_proto.split()[0] if with_proto else ""
    every_note = " ".join(from_notes + by_notes + with_notes + clauses.get("id", ["", []])[1]
                          + clauses.get("via", ["", []])[1] + clauses.get("for", ["", []])[1])
    tls = bool(proto and _TLS_PROTOCOLS.match(proto)) or bool(_TLS_COMMENT.search(every_note))
    return {
        "from": from_name or None,
        "from_ip": _address([from_name] + from_notes) if from_name or from_notes else None,
        "by": by_name or None,
        "with": proto or None,
        "id": clauses.get("id", ["", []])[0] or None,
        "tls": tls,
        "local": (proto.lower() in _LOCAL_PROTOCOLS) or not from_name,
        "timestamp": parse_date(date_text),
    }


def _iso(value):
    return value.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ") if value else None


# Received dates have whole seconds, and a relay dates its header when the transaction starts,
# before it accepts the message (sent_at): a hop up to SLACK seconds "before" the previous time
# is ordinary, not clock skew (its delay is 0).
SLACK = 2.0


def chain(received_values, sent_at=None):
    """Hops oldest first (Received headers are prepended, so the header order is reversed).

    Each hop: from, from_ip, by, with, id, tls, local, timestamp (ISO), delay_seconds, skew.
    delay_seconds is the time since the previous hop (the first hop: since sent_at); a hop whose
    time is more than SLACK earlier than the previous one is flagged skew and gets no delay (never a
    negative one).
    Returns (hops, clock_skew).
    """
    parsed = [parse_received(v) for v in reversed(list(received_values or []))]
    hops = []
    skew = False
    previous = sent_at
    for hop in parsed:
        stamp = hop["timestamp"]
        delay = None
        hop_skew = False
        if stamp is not None and previous is not None:
            seconds = (stamp - previous).total_seconds()
            if seconds < -SLACK:
                hop_skew = True
                skew = True
            else:
                delay = max(0.0, seconds)
        if stamp is not None:
            previous = stamp
        entry = dict(hop, timestamp=_iso(stamp), delay_seconds=delay, skew=hop_skew)
        hops.append(entry)
    return hops, skew


def tls_after_relay(hops):
    """True when every network hop after the first (the relay's own) says it used TLS; None without such hops.

    Hops inside the receiving host (LMTP, local delivery) carry no network link and are not counted.
    """
    network = [h for h in hops[1:] if not h["local"]]
    if not network:
        return None
    return all(h["tls"] for h in network)


def receiving_hop(hops, authserv_id=None):
    """The hop where the receiving system took the message over the network, whose address SPF judges.

    The newest network hop whose 'by' is the authserv-id's host when one matches, else the newest network
    hop that recorded a client address.
    """
    network = [h for h in hops if not h["local"] and h["from_ip"]]
    if not network:
        return None
    if authserv_id:
        wanted = authserv_id.rstrip(".").lower()
        for hop in reversed(network):
            if (hop["by"] or "").rstrip(".").lower() == wanted:
                return hop
    return network[-1]
