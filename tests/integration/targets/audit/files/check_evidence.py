#!/usr/bin/env python
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""check_evidence.py FIRST SECOND: the verification evidence of two audits run one after the other."""

import json
import sys

first = json.load(open(sys.argv[1], encoding="utf-8"))
second = json.load(open(sys.argv[2], encoding="utf-8"))
evidence = first["evidence"]
assert evidence["checks"] == ["probe", "tls_check", "test_send", "dns_check"], evidence["checks"]
[row] = evidence["connectors"]
assert row["name"] == "verified-relay", row
assert row["probe"]["status"] == "ok" and row["probe"]["stage_reached"], row["probe"]
assert row["probe"]["tls_version"].startswith("TLSv1."), row["probe"]
assert row["tls"]["status"] == "ok" and row["tls"]["days_left"] > 300, row["tls"]
assert row["delivery"]["status"] == "ok" and row["delivery"]["sent_now"], row["delivery"]
assert row["delivery"]["last_verified"].endswith("Z") and len(row["delivery"]["message_ids"]) == 1, row["delivery"]
checks = sorted(set((d["target"], d["check"]) for d in evidence["dns"]))
assert ("good.mail.test", "mx") in checks and ("good.mail.test", "dmarc") in checks, checks
assert evidence["summary"]["probe_problems"] == 0 and evidence["summary"]["tls_problems"] == 0, evidence["summary"]
assert evidence["summary"]["certificate_days_left_min"] == row["tls"]["days_left"]
# declared-vs-actual is still there, next to the evidence
assert first["summary"]["hosts"] == 1 and first["drift"] is False, first["summary"]
# The second run sends nothing (settings unchanged) and shows the same last verified delivery.
again = second["evidence"]["connectors"][0]["delivery"]
assert not again["sent_now"] and again["last_verified"] == row["delivery"]["last_verified"], again
print("OK: evidence of %d connector(s), %d DNS verdicts, last verified delivery %s"
      % (len(evidence["connectors"]), len(evidence["dns"]), row["delivery"]["last_verified"]))
