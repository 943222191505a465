# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Result shape shared by every DNS check.

Private to the collection: may change without notice.
"""

from __future__ import annotations

PASS = "pass"
WARN = "warn"
FAIL = "fail"
ERROR = "error"
STATUSES = (PASS, WARN, FAIL, ERROR)
_RANK = {PASS: 0, WARN: 1, FAIL: 2}


def finding(check, status, hint, item=None, **details):
    """One check outcome: what was seen (details) and what to do about it (hint)."""
    return {"check": check, "item": item, "status": status, "details": details, "hint": hint}


def worst(statuses):
    """The most severe of pass/warn/fail. Callers decide about error themselves, never here."""
    statuses = [s for s in statuses if s in _RANK]
    if not statuses:
        return PASS
    return max(statuses, key=lambda s: _RANK[s])


def lookup_error(check, look, item=None, **details):
    """The finding for a lookup that could not be answered: status error, never pass or fail."""
    details.update({"query": look.name, "type": look.rdtype, "error": look.error})
    return finding(check, ERROR, "Could not tell: %s. Retry, or point 'nameservers' at a resolver that answers "
                   "for this name." % look.error, item=item, **details)


def sentence(parts):
    """Join clauses into one sentence: first letter upper-cased, the rest untouched, final period."""
    text = "; ".join(p for p in parts if p)
    if not text:
        return ""
    return text[0].upper() + text[1:] + ("" if text.endswith(".") else ".")
