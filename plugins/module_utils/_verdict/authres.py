# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Authentication-Results (RFC 8601): parse, and trust only the receiving system's own authserv-id.

Private to the collection: may change without notice. Standard library only.

Anyone upstream can write an Authentication-Results header; only the receiving system's
authserv-id makes one trustworthy (RFC 8601 section 5), so every other instance is set aside
and said to be ignored.
"""

from __future__ import annotations

from ansible_collections.mailops.smtp.plugins.module_utils._verdict.header_text import segments


def _split(text, sep):
    """Split at sep outside quoted strings."""
    parts, current, quoted = [], [], False
    for char in text:
        if char == '"':
            quoted = not quoted
        if char == sep and not quoted:
            parts.append("".join(current))
            current = []
            continue
        current.append(char)
    parts.append("".join(current))
    return parts


def _parts(text):
    """Split at ';' outside comments and quoted strings -> [[text, [comments]]]."""
    parts = [["", []]]
    for kind, chunk in segments(text):
        if kind == "comment":
            parts[-1][1].append(chunk)
            continue
        pieces = _split(chunk, ";")
        parts[-1][0] += " " + pieces[0]
        for piece in pieces[1:]:
            parts.append([piece, []])
    return parts


def parse(value):
    """One header value -> {authserv_id, results: [{method, result, reason, properties, comment}]}.

    Returns None when the value does not even start with an authserv-id.
    """
    parts = _parts(" ".join(str(value).split()))
    head = parts[0][0].split()
    if not head:
        return None
    out = {"authserv_id": head[0].lower(), "results": []}
    for text, comments in parts[1:]:
        words = [w for w in _split(text.strip(), " ") if w]
        if not words or words[0].lower() == "none":
            continue
        method, sep, result = words[0].partition("=")
        if not sep:
            continue
        entry = {"method": method.split("/")[0].lower(), "result": result.strip('"').lower(), "reason": None,
                 "properties": {}, "comment": "; ".join(comments) or None}
        for word in words[1:]:
            key, sep, val = word.partition("=")
            if not sep:
                continue
            key = key.lower()
            val = val.strip('"')
            if key == "reason":
                entry["reason"] = val
            else:
                entry["properties"][key] = val
        out["results"].append(entry)
    return out


def trusted(values, authserv_id):
    """Split Authentication-Results header values into trusted (of authserv_id) and ignored ones."""
    wanted = (authserv_id or "").rstrip(".").lower()
    out = {"authserv_id": authserv_id, "trusted": [], "ignored": []}
    for value in values or []:
        parsed = parse(value)
        if parsed is None:
            out["ignored"].append({"header": str(value), "reason": "does not parse as Authentication-Results"})
            continue
        if not wanted:
            out["ignored"].append({"authserv_id": parsed["authserv_id"], "header": " ".join(str(value).split()),
                                   "reason": "no test.mailbox.authserv_id is configured, so no header is trusted"})
            continue
        if parsed["authserv_id"].rstrip(".") != wanted:
            out["ignored"].append({"authserv_id": parsed["authserv_id"], "header": " ".join(str(value).split()),
                                   "reason": "written by %s, not by the receiving system %s" % (
                                       parsed["authserv_id"], authserv_id)})
            continue
        out["trusted"].extend(parsed["results"])
    return out


def method_results(trusted_results, method):
    return [r for r in trusted_results if r["method"] == method]
