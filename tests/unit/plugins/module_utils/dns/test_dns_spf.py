# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""SPF parsing, macro expansion and check_host() results (RFC 7208), against in-memory records."""

from __future__ import annotations

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))

from fake_dns import FakeClient, run  # noqa: E402  pylint: disable=wrong-import-position

from ansible_collections.mailops.smtp.plugins.module_utils._dns import spf  # noqa: E402


def evaluate(records, ip, domain="example.org", sender="mailer@example.org", errors=None):
    result, reason, ctx = run(spf.evaluate(FakeClient(records, errors), ip, domain, sender))
    return result, reason, ctx


@pytest.mark.parametrize("record", [
    "v=spf1 -all",
    "v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::/32 a mx/24 a:mail.example.org/28//64 include:_spf.example.net ~all",
    "v=spf1 exists:%{ir}.%{l1r+-}._spf.%{d} redirect=_spf.example.org",
    "v=spf1 ptr:example.org ?all unknown-modifier=x",
])
def test_parse_accepts_valid_records(record):
    assert spf.parse(record)


@pytest.mark.parametrize("record, message", [
    ("v=spf1 ip4:300.1.1.1 -all", "invalid address"),
    ("v=spf1 ip4:2001:db8::1 -all", "wrong address family"),
    ("v=spf1 include -all", "needs ':domain'"),
    ("v=spf1 foo:bar -all", "unknown mechanism"),
    ("v=spf1 redirect=a.example redirect=b.example", "more than once"),
    ("v=spf1 a/33 -all", "IPv4 prefix"),
    ("v=spf1 exists:%{x}.example -all", "invalid macro"),
    ("v=spf1 -all=foo", "takes no argument"),
    ("v=spf1 -exp=foo.example", "qualifier"),
])
def test_parse_rejects_what_receivers_reject(record, message):
    with pytest.raises(spf.PermError, match=message):
        spf.parse(record)


def test_macro_expansion_follows_rfc7208_examples():
    ctx = spf.Context("192.0.2.3", "strong-bad@email.example.com")
    assert spf.expand("%{s}", ctx, "email.example.com") == "strong-bad@email.example.com"
    assert spf.expand("%{o}", ctx, "email.example.com") == "email.example.com"
    assert spf.expand("%{d4}", ctx, "email.example.com") == "email.example.com"
    assert spf.expand("%{d2}", ctx, "email.example.com") == "example.com"
    assert spf.expand("%{dr}", ctx, "email.example.com") == "com.example.email"
    assert spf.expand("%{d2r}", ctx, "email.example.com") == "example.email"
    assert spf.expand("%{l}", ctx, "email.example.com") == "strong-bad"
    assert spf.expand("%{l-}", ctx, "email.example.com") == "strong.bad"
    assert spf.expand("%{lr-}", ctx, "email.example.com") == "bad.strong"
    assert spf.expand("%{l1r-}", ctx, "email.example.com") == "strong"
    assert spf.expand("%{ir}.%{v}._spf.%{d2}", ctx, "email.example.com") == "3.2.0.192.in-addr._spf.example.com"
    ctx6 = spf.Context("2001:db8::cb01", "strong-bad@email.example.com")
    assert spf.expand("%{ir}.%{v}._spf.%{d2}", ctx6, "email.example.com") == (
        "1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6._spf.example.com")


BASE = {
    ("example.org", "TXT"): ["v=spf1 include:_spf.provider.example -all"],
    ("_spf.provider.example", "TXT"): ["v=spf1 include:_nets.provider.example ~all"],
    ("_nets.provider.example", "TXT"): ["v=spf1 ip4:192.0.2.0/28 ip6:2001:db8:25::/64 -all"],
}


def test_nested_include_authorizes_the_relay():
    result, reason, ctx = evaluate(BASE, "192.0.2.10")
    assert result == "pass"
    assert "_nets.provider.example matched ip4:192.0.2.0/28" in reason
    assert ctx.lookups == 2


def test_ipv6_relay_matches_ip6_mechanism():
    assert evaluate(BASE, "2001:db8:25::7")[0] == "pass"


def test_relay_outside_the_record_gets_fail():
    assert evaluate(BASE, "198.51.100.1")[0] == "fail"


def test_softfail_neutral_and_none():
    assert evaluate({("example.org", "TXT"): ["v=spf1 ~all"]}, "192.0.2.1")[0] == "softfail"
    assert evaluate({("example.org", "TXT"): ["v=spf1 ip4:192.0.2.9"]}, "192.0.2.1")[0] == "neutral"
    assert evaluate({("example.org", "TXT"): ["not spf"]}, "192.0.2.1")[0] == "none"
    assert evaluate({}, "192.0.2.1")[0] == "none"


def test_two_records_are_permerror():
    result, reason, _ctx = evaluate({("example.org", "TXT"): ["v=spf1 -all", "v=spf1 +all"]}, "192.0.2.1")
    assert result == "permerror"
    assert "2 SPF records" in reason


def test_eleventh_lookup_is_permerror():
    records = {("example.org", "TXT"): ["v=spf1 " + " ".join("a:h%d.example.org" % i for i in range(11)) + " -all"]}
    for i in range(11):
        records[("h%d.example.org" % i, "A")] = ["198.51.100.%d" % i]
    result, reason, ctx = evaluate(records, "192.0.2.1")
    assert result == "permerror"
    assert "more than 10 DNS lookups" in reason
    assert ctx.lookups == 11


def test_ten_lookups_are_fine():
    records = {("example.org", "TXT"): ["v=spf1 " + " ".join("a:h%d.example.org" % i for i in range(10)) + " -all"]}
    for i in range(10):
        records[("h%d.example.org" % i, "A")] = ["198.51.100.%d" % i]
    assert evaluate(records, "192.0.2.1")[0] == "fail"


def test_third_void_lookup_is_permerror():
    records = {("example.org", "TXT"): ["v=spf1 a:nx1.example.org a:nx2.example.org a:nx3.example.org +all"]}
    result, reason, ctx = evaluate(records, "192.0.2.1")
    assert result == "permerror"
    assert "void lookups" in reason
    assert ctx.voids == 3


def test_include_loop_is_permerror():
    records = {("example.org", "TXT"): ["v=spf1 include:b.example.org -all"],
               ("b.example.org", "TXT"): ["v=spf1 include:example.org -all"]}
    result, reason, _ctx = evaluate(records, "192.0.2.1")
    assert result == "permerror"
    assert "loop" in reason


def test_include_without_record_is_permerror_and_redirect_follows():
    assert evaluate({("example.org", "TXT"): ["v=spf1 include:nothing.example -all"]}, "192.0.2.1")[0] == "permerror"
    records = {("example.org", "TXT"): ["v=spf1 redirect=_spf.example.org"],
               ("_spf.example.org", "TXT"): ["v=spf1 ip4:192.0.2.1 -all"]}
    assert evaluate(records, "192.0.2.1")[0] == "pass"
    assert evaluate(records, "192.0.2.2")[0] == "fail"


def test_mx_and_a_mechanisms_with_prefixes():
    records = {("example.org", "TXT"): ["v=spf1 mx/24 -all"],
               ("example.org", "MX"): ["10 mx.example.org."],
               ("mx.example.org", "A"): ["192.0.2.200"]}
    assert evaluate(records, "192.0.2.7")[0] == "pass"
    assert evaluate(records, "192.0.3.7")[0] == "fail"


def test_exists_with_macro():
    records = {("example.org", "TXT"): ["v=spf1 exists:%{i}._spf.example.org -all"],
               ("192.0.2.10._spf.example.org", "A"): ["127.0.0.2"]}
    assert evaluate(records, "192.0.2.10")[0] == "pass"
    assert evaluate(records, "192.0.2.11")[0] == "fail"


def test_dns_error_is_temperror_not_fail():
    result, reason, _ctx = evaluate({}, "192.0.2.1", errors={("example.org", "TXT"): "timeout"})
    assert result == "temperror"
    assert spf.status_for(result) == "error"


def test_check_reports_tree_problems_in_status_and_hint():
    records = {("example.org", "TXT"): ["v=spf1 ptr ip4:192.0.2.1 -all"]}
    found = run(spf.check(FakeClient(records), "example.org", ["192.0.2.1"], "a@example.org"))
    assert [f["status"] for f in found] == ["warn"]
    assert "ptr mechanism is discouraged" in found[0]["hint"]
    found = run(spf.check(FakeClient(records), "example.org", [], "a@example.org"))
    assert found[0]["item"] is None and found[0]["status"] == "warn"


def test_status_mapping_never_folds_temperror():
    assert spf.status_for("pass") == "pass"
    assert spf.status_for("softfail") == "fail"
    assert spf.status_for("neutral") == "warn"
    assert spf.status_for("temperror") == "error"
