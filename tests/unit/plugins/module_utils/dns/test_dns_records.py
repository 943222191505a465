# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""DMARC, DKIM, MX, PTR, DNSBL, MTA-STS and TLS-RPT evaluation, against in-memory records."""

from __future__ import annotations

import base64
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))

from fake_dns import FakeClient, run  # noqa: E402  pylint: disable=wrong-import-position

from ansible_collections.mailops.smtp.plugins.module_utils._dns import (  # noqa: E402
    dkim,
    dmarc,
    dnsbl,
    mta_sts,
    mx,
    ptr,
    tls_rpt,
)


def one(found):
    assert len(found) == 1
    return found[0]


# ---------------------------------------------------------------- DMARC

def dmarc_check(record, domain="example.org", extra=None, min_policy="quarantine"):
    records = {("_dmarc." + domain, "TXT"): [record] if record else []}
    records.update(extra or {})
    return one(run(dmarc.check(FakeClient(records), domain, min_policy)))


def test_dmarc_strong_policy_passes():
    found = dmarc_check("v=DMARC1; p=reject; rua=mailto:d@example.org")
    assert found["status"] == "pass"
    assert found["details"]["policy"] == "reject"
    assert found["details"]["alignment"] == {"dkim": "r", "spf": "r"}


def test_dmarc_p_none_fails_against_quarantine_but_passes_against_none():
    assert dmarc_check("v=DMARC1; p=none; rua=mailto:d@example.org")["status"] == "fail"
    assert dmarc_check("v=DMARC1; p=none; rua=mailto:d@example.org", min_policy="none")["status"] == "pass"


def test_dmarc_missing_and_duplicate():
    found = dmarc_check(None)
    assert found["status"] == "fail" and "No DMARC record" in found["hint"]
    records = {("_dmarc.example.org", "TXT"): ["v=DMARC1; p=reject", "v=DMARC1; p=none"]}
    found = one(run(dmarc.check(FakeClient(records), "example.org")))
    assert found["status"] == "fail" and "2 DMARC records" in found["hint"]


@pytest.mark.parametrize("record, message", [
    ("v=DMARC1; p=rejected", "p=rejected is not one of"),
    ("v=DMARC1; p=reject; adkim=x", "adkim=x"),
    ("v=DMARC1; p=reject; pct=150", "pct=150"),
    ("v=DMARC1; rua=mailto:d@example.org", "p= is missing"),
    ("p=reject; v=DMARC1", "start with v=DMARC1"),
    ("v=DMARC1; p=reject; rua=https://example.org/r", "not a mailto"),
])
def test_dmarc_bad_tags_fail(record, message):
    records = {("_dmarc.example.org", "TXT"): [record]}
    found = one(run(dmarc.check(FakeClient(records), "example.org")))
    if record.startswith("p=reject"):  # not recognised as a DMARC record at all
        assert "No DMARC record" in found["hint"]
        return
    assert found["status"] == "fail"
    assert message in found["hint"]


def test_dmarc_inherits_from_organizational_domain_and_uses_sp():
    records = {("_dmarc.example.org", "TXT"): ["v=DMARC1; p=reject; sp=none; rua=mailto:d@example.org"]}
    found = one(run(dmarc.check(FakeClient(records), "mail.example.org")))
    assert found["details"]["inherited_from_organizational_domain"] is True
    assert found["status"] == "fail" and "sp=none" in found["hint"]


def test_dmarc_external_report_destination_needs_authorization():
    record = "v=DMARC1; p=reject; rua=mailto:d@reports.example.net"
    found = dmarc_check(record)
    assert found["status"] == "warn" and "_report._dmarc.reports.example.net" in found["hint"]
    found = dmarc_check(record, extra={("example.org._report._dmarc.reports.example.net", "TXT"): ["v=DMARC1"]})
    assert found["status"] == "pass"


def test_dmarc_lookup_error_is_error():
    found = one(run(dmarc.check(FakeClient({}, {("_dmarc.example.org", "TXT"): "SERVFAIL"}), "example.org")))
    assert found["status"] == "error" and "SERVFAIL" in found["hint"]


# ---------------------------------------------------------------- DKIM

def _der(tag, body):
    n = len(body)
    if n < 0x80:
        return bytes([tag, n]) + body
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(raw)]) + raw + body


def rsa_key(bits):
    modulus = (1 << (bits - 1)) | 1
    pkcs1 = _der(0x30, _der(0x02, b"\x00" + modulus.to_bytes(bits // 8, "big")) + _der(0x02, b"\x01\x00\x01"))
    algo = _der(0x30, _der(0x06, dkim.RSA_OID) + b"\x05\x00")
    return base64.b64encode(_der(0x30, algo + _der(0x03, b"\x00" + pkcs1))).decode()


@pytest.mark.parametrize("bits, status", [(4096, "pass"), (2048, "pass"), (1024, "warn"), (768, "fail")])
def test_dkim_rsa_sizes(bits, status):
    found = dkim.evaluate("v=DKIM1; k=rsa; p=" + rsa_key(bits))
    assert found[0] == status
    assert found[2]["bits"] == bits


def test_dkim_cryptography_agrees_on_key_size():
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()
    der = key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    assert dkim.key_facts("rsa", base64.b64encode(der).decode()) == ("rsa", 2048)
    pkcs1 = key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.PKCS1)
    assert dkim.key_facts("rsa", base64.b64encode(pkcs1).decode()) == ("rsa", 2048)


def test_dkim_ed25519_revoked_and_garbage():
    assert dkim.evaluate("v=DKIM1; k=ed25519; p=" + base64.b64encode(b"k" * 32).decode())[0] == "pass"
    status, hint, _details = dkim.evaluate("v=DKIM1; k=rsa; p=")
    assert status == "fail" and "revoked" in hint
    assert dkim.evaluate("v=DKIM1; k=rsa; p=!!!")[0] == "fail"
    assert dkim.evaluate("v=DKIM2; p=" + rsa_key(2048))[0] == "fail"
    assert dkim.evaluate("v=DKIM1; t=y; p=" + rsa_key(2048))[0] == "warn"


def test_dkim_check_per_selector():
    records = {("s1._domainkey.example.org", "TXT"): ["v=DKIM1; p=" + rsa_key(2048)]}
    found = run(dkim.check(FakeClient(records), "example.org", ["s1", "s2"]))
    assert [(f["item"], f["status"]) for f in found] == [("s1", "pass"), ("s2", "fail")]


# ---------------------------------------------------------------- MX

def test_mx_null_duplicates_cname_and_implicit():
    null = one(run(mx.check(FakeClient({("example.org", "MX"): ["0 ."]}), "example.org")))
    assert null["status"] == "fail" and null["details"]["null_mx"] is True
    recs = {("example.org", "MX"): ["10 mx.example.org.", "20 mx.example.org."], ("mx.example.org", "A"): ["192.0.2.1"]}
    dup = one(run(mx.check(FakeClient(recs), "example.org")))
    assert dup["status"] == "warn" and dup["details"]["duplicates"] == ["mx.example.org"]
    implicit = one(run(mx.check(FakeClient({("example.org", "A"): ["192.0.2.1"]}), "example.org")))
    assert implicit["status"] == "warn" and "No MX record" in implicit["hint"]
    nx = one(run(mx.check(FakeClient({}), "example.org")))
    assert nx["status"] == "fail" and "NXDOMAIN" in nx["hint"]


# ---------------------------------------------------------------- PTR

@pytest.mark.parametrize("name, ip, generic", [
    ("mail.example.org", "192.0.2.10", False),
    ("192-0-2-10.dyn.isp.example", "192.0.2.10", True),
    ("10.2.0.192.static.isp.example", "192.0.2.10", True),
    ("c0000210.isp.example", "192.0.2.16", True),  # the address in hex
    ("dsl-pool-17.isp.example", "192.0.2.10", True),
    ("smtp-out1.example.org", "192.0.2.10", False),
])
def test_generic_ptr_names(name, ip, generic):
    assert ptr.looks_generic(name, ip) is generic


def test_ptr_forward_confirmation():
    recs = {("10.2.0.192.in-addr.arpa", "PTR"): ["mail.example.org."], ("mail.example.org", "A"): ["192.0.2.10"]}
    assert one(run(ptr.check(FakeClient(recs), "192.0.2.10")))["status"] == "pass"
    recs[("mail.example.org", "A")] = ["192.0.2.11"]
    found = one(run(ptr.check(FakeClient(recs), "192.0.2.10")))
    assert found["status"] == "fail" and "not forward-confirmed" in found["hint"]
    assert one(run(ptr.check(FakeClient({}), "192.0.2.10")))["status"] == "fail"


# ---------------------------------------------------------------- DNSBL

def test_dnsbl_classification():
    assert dnsbl.classify(["127.0.0.2"]) == "listed"
    assert dnsbl.classify(["127.0.0.2", "127.0.0.11"]) == "listed"
    assert dnsbl.classify(["127.255.255.254"]) == "refused"
    assert dnsbl.classify(["127.255.255.252"]) == "refused"
    assert dnsbl.classify(["192.0.2.1"]) == "unexpected"


def test_dnsbl_query_names_and_results():
    recs = {("2.0.0.127.bl.example", "A"): ["127.0.0.2"], ("2.0.0.127.bl.example", "TXT"): ["spam source"],
            ("2.0.0.127.refuse.example", "A"): ["127.255.255.254"]}
    client = FakeClient(recs)
    listed = run(dnsbl.check_zone(client, "127.0.0.2", "bl.example"))
    assert listed["status"] == "fail" and "spam source" in listed["hint"]
    refused = run(dnsbl.check_zone(client, "127.0.0.2", "refuse.example"))
    assert refused["status"] == "error" and refused["details"]["listed"] is None
    clean = run(dnsbl.check_zone(client, "192.0.2.1", "bl.example"))
    assert clean["status"] == "pass" and clean["details"]["query"] == "1.2.0.192.bl.example"
    six = run(dnsbl.check_zone(client, "2001:db8::1", "bl.example"))
    assert six["details"]["query"] == "1." + "0." * 23 + "8.b.d.0.1.0.0.2.bl.example"


# ---------------------------------------------------------------- MTA-STS, TLS-RPT

def test_mta_sts_policy_parsing_and_mx_patterns():
    policy, errors = mta_sts.parse_policy("version: STSv1\r\nmode: enforce\r\nmx: *.example.org\r\nmax_age: 86400\r\n")
    assert errors == [] and policy["mx"] == ["*.example.org"]
    assert mta_sts.mx_matches("mx1.example.org", "*.example.org")
    assert not mta_sts.mx_matches("a.mx1.example.org", "*.example.org")
    assert not mta_sts.mx_matches("example.org", "*.example.org")
    _policy, errors = mta_sts.parse_policy("version: STSv1\nmode: strict\nmax_age: 99999999999\n")
    assert any("mode" in e for e in errors) and any("max_age" in e for e in errors)
    assert mta_sts.parse_record("v=STSv1; id=abc123")[1] == []
    assert mta_sts.parse_record("v=STSv1; id=no-dashes")[1]


def test_tls_rpt_record():
    assert tls_rpt.parse("v=TLSRPTv1; rua=mailto:r@example.org,https://r.example.org/x")[1] == []
    assert tls_rpt.parse("v=TLSRPTv1; rua=ftp://r.example.org")[1]
    assert tls_rpt.parse("v=TLSRPTv1")[1] == ["rua= is required"]
