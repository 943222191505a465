# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""fail_on: one vocabulary for every check module (probe, tls_check, test_send, dns_check).

Each check reports results with its own statuses (ok/warning/failed for the SMTP checks,
pass/warn/fail/error for dns_check). fail_on speaks of them in the same words everywhere:

- ``failed`` (or ``fail``): a result that failed;
- ``warning`` (or ``warn``): a result with warnings;
- ``error``: a result for which no answer could be obtained (dns_check: status error; SMTP
  checks: a failure of category dns or connection, the server was not reached);
- ``never`` (or an empty list): the task never fails; read results and summary instead;
- a topic: only failures about it (SMTP checks: a failure category such as ``auth``;
  dns_check: a check such as ``spf``).

docs/checks.md has the table.
"""

from __future__ import annotations

STATUS_WORDS = ("failed", "warning", "error", "never")
ALIASES = {"fail": "failed", "warn": "warning"}
UNREACHED_CATEGORIES = ("dns", "connection")
"""SMTP failure categories in which the server gave no answer: what ``error`` selects there."""


def choices(topics):
    """Every value fail_on accepts for a check whose topics are ``topics``."""
    return list(STATUS_WORDS) + sorted(ALIASES) + [t for t in topics if t not in STATUS_WORDS]


def normalize(fail_on):
    """The canonical words of a fail_on list (aliases resolved); raises ValueError on bad combinations."""
    words = [ALIASES.get(word, word) for word in (fail_on or [])]
    if "never" in words and len(set(words)) > 1:
        raise ValueError("fail_on: 'never' cannot be combined with other values")
    return set(words) - {"never"}


def selects(fail_on, kind, topics):
    """Does fail_on select a result of this kind (failed, warning, error or ok) about these topics?

    ``kind`` is the result's status in the shared words; ``topics`` are its failure categories
    (SMTP checks) or its check name (dns_check). ``fail_on`` must be normalized.
    """
    if kind == "warning":
        return "warning" in fail_on
    if kind == "failed":
        return "failed" in fail_on or bool(fail_on & set(topics)) or (
            "error" in fail_on and bool(set(topics) & set(UNREACHED_CATEGORIES)))
    if kind == "error":
        return "error" in fail_on
    return False
