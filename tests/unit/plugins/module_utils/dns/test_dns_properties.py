# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Whatever text a zone publishes, the parsers give a verdict and never a traceback."""

from __future__ import annotations

import os
import sys

from hypothesis import given, settings
from hypothesis import strategies as st

sys.path.insert(0, os.path.dirname(__file__))

from fake_dns import FakeClient, run  # noqa: E402  pylint: disable=wrong-import-position

from ansible_collections.mailops.smtp.plugins.module_utils._dns import (  # noqa: E402
    dkim,
    dmarc,
    mta_sts,
    spf,
    tls_rpt,
)

TERMS = st.sampled_from([
    "a", "mx", "ptr", "all", "-all", "~all", "?all", "+all", "a:%{d}", "mx:example.org/24", "a//64",
    "ip4:192.0.2.0/24", "ip6:2001:db8::/32", "ip4:300.0.0.1", "include:b.example", "include:%{l}.b.example",
    "exists:%{ir}.x.example", "redirect=b.example", "exp=%{x}", "foo=bar", "include", "a/99", "%{", "v=spf1",
    "ptr:", "mx:", "-include:c.example", "exists:%{i2r-}.x.example", "unknown:mech",
])
RECORDS = st.lists(TERMS, max_size=12).map(lambda t: "v=spf1 " + " ".join(t))
ZONE = {
    ("b.example", "TXT"): ["v=spf1 include:c.example ~all"],
    ("c.example", "TXT"): ["v=spf1 ip4:192.0.2.0/28 include:b.example -all"],
    ("example.org", "MX"): ["10 mx.example.org."],
    ("mx.example.org", "A"): ["192.0.2.5"],
}


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_spf_parse_only_raises_permerror(text):
    try:
        spf.parse(text)
    except spf.PermError:
        pass


@settings(max_examples=200, deadline=None)
@given(RECORDS, st.sampled_from(["192.0.2.1", "198.51.100.7", "2001:db8::1"]))
def test_spf_evaluation_always_gives_a_receiver_result(record, ip):
    zone = dict(ZONE)
    zone[("example.org", "TXT")] = [record]
    result, _reason, ctx = run(spf.evaluate(FakeClient(zone), ip, "example.org", "a@example.org"))
    assert result in ("pass", "fail", "softfail", "neutral", "none", "permerror", "temperror")
    assert ctx.lookups <= spf.MAX_LOOKUPS + 1
    found = run(spf.check(FakeClient(zone), "example.org", [ip], "a@example.org"))
    assert found[0]["status"] in ("pass", "warn", "fail", "error")


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=120))
def test_macro_expansion_only_raises_permerror(spec):
    ctx = spf.Context("192.0.2.1", "user@example.org")
    try:
        spf.expand(spec, ctx, "example.org")
    except spf.PermError:
        pass


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_record_parsers_never_raise(text):
    dmarc.parse(text)
    tls_rpt.parse(text)
    mta_sts.parse_record(text)
    mta_sts.parse_policy(text)
    status, hint, _details = dkim.evaluate(text)
    assert status in ("pass", "warn", "fail") and hint
