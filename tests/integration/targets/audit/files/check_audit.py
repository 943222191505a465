#!/usr/bin/env python
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""check_audit.py REPORT.json EXPECTED: the report's drift is exactly EXPECTED.

EXPECTED is a JSON list of [host, connector, field, declared, actual, status].
"""

import json
import sys

report = json.load(open(sys.argv[1], encoding="utf-8"))
expected = json.loads(sys.argv[2])
found = [[h["host"], d["connector"], d["field"], d["declared"], d["actual"], d["status"]]
         for h in report["hosts"] for c in h["connectors"] for d in c["drift"]]
assert found == expected, "drift found: %s\nexpected: %s" % (found, expected)
assert report["drift"] == bool(expected)
assert report["summary"]["drifted_fields"] == len([e for e in expected if e[2] is not None])
print("OK: %d drift entries, exactly the expected ones" % len(found))
