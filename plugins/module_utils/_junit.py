# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""JUnit XML for CI systems: one testsuite, one testcase per checked item.

Private to the collection: may change without notice.
"""

from __future__ import annotations

import datetime
import re
from xml.sax.saxutils import escape, quoteattr

# Characters XML 1.0 cannot carry at all, even escaped.
_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _text(value):
    return escape(_INVALID_XML.sub("?", str(value)))


def _attr(value):
    return quoteattr(_INVALID_XML.sub("?", str(value)))


def junit_xml(suite_name, cases, timestamp=None):
    """Return a JUnit XML document.

    cases: dicts with classname, name, failures (list of messages; empty means passed),
    skipped (reason or None) and output (text for system-out).
    """
    failures = sum(1 for c in cases if c.get("failures"))
    skipped = sum(1 for c in cases if not c.get("failures") and c.get("skipped"))
    stamp = timestamp or datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
    lines = ['<?xml version="1.0" encoding="UTF-8"?>',
             "<testsuites name=%s tests=\"%d\" failures=\"%d\" errors=\"0\" skipped=\"%d\">"
             % (_attr(suite_name), len(cases), failures, skipped),
             "  <testsuite name=%s tests=\"%d\" failures=\"%d\" errors=\"0\" skipped=\"%d\" timestamp=%s>"
             % (_attr(suite_name), len(cases), failures, skipped, _attr(stamp))]
    for case in cases:
        lines.append("    <testcase classname=%s name=%s time=\"0\">"
                     % (_attr(case.get("classname", suite_name)), _attr(case.get("name", ""))))
        for message in case.get("failures") or []:
            first = str(message).splitlines()[0] if str(message) else ""
            lines.append("      <failure message=%s type=\"failure\">%s</failure>" % (_attr(first), _text(message)))
        if not case.get("failures") and case.get("skipped"):
            lines.append("      <skipped message=%s/>" % _attr(case["skipped"]))
        if case.get("output"):
            lines.append("      <system-out>%s</system-out>" % _text(case["output"]))
        lines.append("    </testcase>")
    lines.extend(["  </testsuite>", "</testsuites>", ""])
    return "\n".join(lines)
