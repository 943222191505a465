#!/usr/bin/env python
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Assert that a comparison report lists exactly the expected differences: check_report.py REPORT KEY [UNEXPECTED_KEY].

With UNEXPECTED_KEY, the differences not expected by the report's policy must be exactly that list."""

import json
import sys

report = json.load(open(sys.argv[1], encoding="utf-8"))
lists = json.load(open("expected_differences.json", encoding="utf-8"))
expected = lists[sys.argv[2]]
found = sorted([d["connector"], d["field"]] for d in report["differences"])
missing = [e for e in sorted(expected) if e not in found]
extra = [f for f in found if f not in expected]
assert not missing and not extra, "missing: %s, not expected: %s" % (missing, extra)
assert report["added"] == [] and report["removed"] == [], (report["added"], report["removed"])
assert report["unmatched_hosts"] == {"left": [], "right": []}, report["unmatched_hosts"]
assert all(d["left"] is None and d["right"] is None for d in report["differences"] if d["secret"])
assert report["summary"]["changed_fields"] == len(expected)
if len(sys.argv) > 3:
    unexpected = sorted([d["connector"], d["field"]] for d in report["differences"] if not d["expected"])
    assert unexpected == sorted(lists[sys.argv[3]]), "unexpected differences: %s" % unexpected
    assert report["summary"]["unexpected_fields"] == len(unexpected)
    assert report["summary"]["expected_fields"] == len(expected) - len(unexpected)
    print("OK: %d unexpected differences, exactly the listed ones" % len(unexpected))
print("OK: %d differences, exactly the expected ones" % len(found))
