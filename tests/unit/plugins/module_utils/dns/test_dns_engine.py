# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Targets from connectors, option validation, fail_on, and the resolver helpers."""

from __future__ import annotations

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))

from fake_dns import FakeClient, run  # noqa: E402  pylint: disable=wrong-import-position

from ansible_collections.mailops.smtp.plugins.module_utils._dns import engine  # noqa: E402
from ansible_collections.mailops.smtp.plugins.module_utils._dns.resolver import (  # noqa: E402
    parse_nameserver,
    reverse_name,
)


@pytest.mark.parametrize("text, expected", [
    ("192.0.2.53", ("192.0.2.53", 53)),
    ("192.0.2.53:5353", ("192.0.2.53", 5353)),
    ("2001:db8::53", ("2001:db8::53", 53)),
    ("[2001:db8::53]:5353", ("2001:db8::53", 5353)),
])
def test_parse_nameserver(text, expected):
    assert parse_nameserver(text) == expected


@pytest.mark.parametrize("text", ["ns1.example.org", "192.0.2.53:0", "192.0.2.53:x", "[2001:db8::53"])
def test_parse_nameserver_rejects(text):
    with pytest.raises(ValueError):
        parse_nameserver(text)


def test_reverse_names():
    assert reverse_name("192.0.2.10") == "10.2.0.192.in-addr.arpa"
    assert reverse_name("192.0.2.10", "bl.example.") == "10.2.0.192.bl.example"
    assert reverse_name("2001:db8::1").endswith(".8.b.d.0.1.0.0.2.ip6.arpa")


def test_sender_domain():
    assert engine.sender_domain('"Example District" <noreply@Example.ORG>') == ("noreply@Example.ORG", "example.org")
    assert engine.sender_domain("not an address") == (None, None)


def base_params(**kwargs):
    params = dict(connectors=None, domains=[], relay_ips=[], checks=None, nameservers=[], timeout=5.0,
                  concurrency=50, dkim_selectors=[], dnsbl_zones=["bl.example"], min_dmarc_policy="quarantine",
                  fail_on=["fail"], ca_file=None)
    params.update(kwargs)
    return params


@pytest.mark.parametrize("changes, message", [
    ({}, "nothing to check"),
    ({"domains": ["exa mple.org"]}, "domains[0]"),
    ({"relay_ips": ["192.0.2.300"], "domains": ["example.org"]}, "relay_ips[0]"),
    ({"nameservers": ["ns.example.org"], "domains": ["example.org"]}, "nameservers[0]"),
    ({"fail_on": ["never", "fail"], "domains": ["example.org"]}, "fail_on"),
    ({"checks": ["dkim"], "domains": ["example.org"]}, "dkim_selectors"),
    ({"timeout": 0, "domains": ["example.org"]}, "timeout"),
])
def test_validate_names_the_option(changes, message):
    with pytest.raises(engine.OptionError, match=message.replace("[", r"\[").replace("]", r"\]")):
        engine.validate(base_params(**changes))


def dns_result(check, status):
    return {"target": "example.org", "kind": "domain", "check": check, "status": status}


def test_fail_on():
    results = [dns_result("mx", "pass"), dns_result("spf", "warn"), dns_result("dmarc", "error"),
               dns_result("ptr", "error")]
    assert engine.failing(results, ["fail"]) == []
    assert len(engine.failing(results, ["fail", "error"])) == 2
    assert len(engine.failing(results, ["warn", "fail", "error"])) == 3
    assert engine.failing(results + [dns_result("spf", "fail")] * 3, ["never"]) == []


def test_fail_on_speaks_the_shared_words():
    results = [dns_result("mx", "pass"), dns_result("spf", "fail"), dns_result("dmarc", "fail"),
               dns_result("dkim", "warn"), dns_result("ptr", "error")]
    # the SMTP checks' words mean the same here
    assert engine.failing(results, ["failed"]) == engine.failing(results, ["fail"])
    assert [r["check"] for r in engine.failing(results, ["warning"])] == ["dkim"]
    # a check name selects that check's failures, as a category does for the SMTP checks
    assert [r["check"] for r in engine.failing(results, ["spf"])] == ["spf"]
    assert [r["check"] for r in engine.failing(results, ["error"])] == ["ptr"]
    # an empty list never fails, as for the SMTP checks
    assert engine.failing(results, []) == []


def test_targets_from_connectors_keep_connector_names_and_relays():
    client = FakeClient({("relay.example.org", "A"): ["192.0.2.10"]})
    params = base_params(connectors=[
        {"name": "a", "host": "relay.example.org", "port": 587, "senders": {"default": "A <a@example.org>"}},
        {"name": "b", "host": "192.0.2.20", "senders": {"default": "b@example.org", "x": "x@other.example"}},
        {"name": "c", "host": "gone.example.org", "senders": {"default": "c@example.org"}},
        {"name": "local", "host": "localhost", "senders": {"default": "l@local.example"}},
    ], relay_ips=["198.51.100.1"], domains=["extra.example"])
    targets = run(engine.collect(client, params))
    assert sorted(targets.domains["example.org"]["connectors"]) == ["a", "b", "c"]
    assert sorted(targets.domains["example.org"]["relays"]) == ["192.0.2.10", "192.0.2.20", "198.51.100.1"]
    assert sorted(targets.domains["other.example"]["relays"]) == ["192.0.2.20", "198.51.100.1"]
    assert sorted(targets.domains["extra.example"]["relays"]) == ["192.0.2.10", "192.0.2.20", "198.51.100.1"]
    assert targets.relays["192.0.2.10"]["connectors"] == {"a"}
    assert ("relay.example.org", 587) in targets.relay_hosts
    assert [(f["target"], f["check"], f["status"]) for f in targets.findings] == [
        ("gone.example.org", "resolve", "fail")]
    assert targets.local_connectors == ["local"]
    assert sorted(targets.domains["local.example"]["relays"]) == ["198.51.100.1"]


def test_run_async_sorts_and_summarizes():
    client = FakeClient({("example.org", "MX"): ["10 mx.example.org."], ("mx.example.org", "A"): ["192.0.2.1"]},
                        errors={("_dmarc.example.org", "TXT"): "timeout"})
    params = base_params(domains=["example.org"], checks=["mx", "dmarc"])
    results, _client, warnings = run(engine.run_async(params, client))
    assert warnings == []
    assert [(r["check"], r["status"]) for r in results] == [("mx", "pass"), ("dmarc", "error")]
    assert engine.summarize(results) == {"pass": 1, "warn": 0, "fail": 0, "error": 1, "total": 2}


def test_invalid_name_is_a_fact_not_an_error():
    from ansible_collections.mailops.smtp.plugins.module_utils._dns.resolver import DnsClient

    client = DnsClient(["127.0.0.1:9"], timeout=1)
    look = run(client.query("x" * 70 + ".example.org", "TXT"))
    assert look.kind == "nxdomain" and "invalid DNS name" in look.error
    assert client.queries == 0
