#!/usr/bin/env python
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Assert that a comparison report lists exactly the expected differences: check_report.py REPORT KEY."""

import json
import sys

report = json.load(open(sys.argv[1], encoding="utf-8"))
expected = json.load(open("expected_differences.json", encoding="utf-8"))[sys.argv[2]]
found = sorted([d["connector"], d["field"]] for d in report["differences"])
missing = [e for e in sorted(expected) if e not in found]
extra = [f for f in found if f not in expected]
assert not missing and not extra, "missing: %s, not expected: %s" % (missing, extra)
assert report["added"] == [] and report["removed"] == [], (report["added"], report["removed"])
assert all(d["left"] is None and d["right"] is None for d in report["differences"] if d["secret"])
assert report["summary"]["changed_fields"] == len(expected)
print("OK: %d differences, exactly the expected ones" % len(found))
