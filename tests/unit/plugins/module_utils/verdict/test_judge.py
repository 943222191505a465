# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""DKIM verification of messages signed here with dkimpy and generated keys, and the whole verdict.

The keys are published in an in-memory resolver; the verdict fetches them through the same
seam (DnsClient.query) that reaches nsd or a real resolver in the module.
"""

from __future__ import annotations

import base64
import os
import sys

import dkim
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(__file__)), "dns"))

from fake_dns import FakeClient, run  # noqa: E402  pylint: disable=wrong-import-position

from ansible_collections.mailops.smtp.plugins.module_utils._verdict import judge, signatures  # noqa: E402

FROM = "noreply@example.org"
SENT = (b"From: \"Example District\" <noreply@example.org>\r\n"
        b"To: probe@example.net\r\n"
        b"Subject: mailops delivery check: connector relay\r\n"
        b"Date: Tue, 03 Jun 2025 10:00:00 +0000\r\n"
        b"Message-ID: <mailops-probe.0123456789abcdef0123456789abcdef@example.org>\r\n"
        b"X-Mailops-Probe: token=0123456789abcdef0123456789abcdef; connector=relay; expires=1748944920\r\n"
        b"MIME-Version: 1.0\r\n"
        b"Content-Type: text/plain; charset=\"utf-8\"\r\n"
        b"\r\n"
        b"This is a delivery check.\r\n")
RECEIVED = (b"Return-Path: <noreply@example.org>\r\n"
            b"Received: from mx.example.net by imap.example.net with LMTP id kT3xQ for <probe@example.net>; "
            b"Tue, 03 Jun 2025 10:00:04 +0000\r\n"
            b"Authentication-Results: mx.example.net; dkim=pass header.d=example.org header.s=sel\r\n"
            b"Authentication-Results: mx.example.net; spf=pass smtp.mailfrom=noreply@example.org\r\n"
            b"Authentication-Results: mx.example.net; dmarc=pass header.from=example.org\r\n"
            b"Received: from relay.example.org (relay.example.org [192.0.2.10]) (using TLSv1.3 with cipher "
            b"TLS_AES_256_GCM_SHA384 (256/256 bits)) by mx.example.net (Postfix) with ESMTPS id 4AbCd; "
            b"Tue, 3 Jun 2025 10:00:03 +0000 (UTC)\r\n")
RELAY_HOP = (b"Received: from client (localhost [127.0.0.1]) (using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 "
             b"(256/256 bits)) by relay.example.org (Postfix) with ESMTPSA id 4XyZ; Tue, 3 Jun 2025 10:00:01 +0000\r\n")


def make_key(bits=2048):
    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                            serialization.NoEncryption())
    der = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return pem, "v=DKIM1; k=rsa; p=" + base64.b64encode(der).decode("ascii")


@pytest.fixture(scope="module")
def keys():
    return {"good": make_key(), "other": make_key()}


SIGNED_HEADERS = (b"from", b"to", b"subject", b"date", b"message-id")


def sign(message, pem, domain="example.org", selector="sel", headers=SIGNED_HEADERS):
    return dkim.sign(message, selector.encode(), domain.encode(), pem, include_headers=list(headers)) + message


def records(public, dmarc="v=DMARC1; p=reject", spf="v=spf1 ip4:192.0.2.10 -all", selector="sel",
            domain="example.org"):
    out = {("%s._domainkey.%s" % (selector, domain), "TXT"): [public], ("example.org", "TXT"): [spf]}
    if dmarc:
        out[("_dmarc.example.org", "TXT")] = [dmarc]
    return out


def arrived(signed):
    """What a receiver hands to the mailbox: its own headers on top of what the relay sent."""
    return RECEIVED + RELAY_HOP + signed


def verdict(received_bytes, dns_records, authserv_id="mx.example.net", sent=SENT):
    return run(judge.judge(FakeClient(dns_records), sent, received_bytes, authserv_id))


def test_aligned_dkim_pass_spf_pass_dmarc_pass(keys):
    pem, public = keys["good"]
    out = verdict(arrived(sign(SENT, pem)), records(public))
    (sig,) = out["auth"]["dkim"]
    assert sig["result"] == "pass" and sig["aligned"] is True and sig["covers_from"] is True
    assert sig["key_bits"] == 2048 and sig["domain"] == "example.org" and sig["selector"] == "sel"
    assert out["auth"]["spf"]["result"] == "pass" and out["auth"]["spf"]["ip"] == "192.0.2.10"
    assert out["auth"]["dmarc"]["result"] == "pass" and out["auth"]["dmarc"]["policy"] == "reject"
    assert out["auth"]["disagreements"] == []
    assert out["transit"]["body_intact"] and out["transit"]["from_intact"]
    assert out["tls_all_hops"] is True
    assert not [f for f in out["findings"] if f["severity"] == "error"]


def test_body_altered_after_signing_fails_with_a_footer_finding(keys):
    pem, public = keys["good"]
    signed = sign(SENT, pem) + b"-- \r\nScanned by ExampleAV\r\n"
    out = verdict(arrived(signed), records(public))
    (sig,) = out["auth"]["dkim"]
    assert sig["result"] == "fail" and "body hash mismatch" in sig["reason"]
    assert out["transit"]["body_intact"] is False and out["transit"]["body_change"] == "appended"
    categories = [f["category"] for f in out["findings"] if f["severity"] == "error"]
    assert "dkim" in categories and "transit" in categories
    # The receiver claimed dkim=pass: that is a disagreement the user sees.
    assert {"method": "dkim", "item": "d=example.org s=sel", "ours": "fail", "receiver": "pass"} in \
        out["auth"]["disagreements"]


def test_key_in_dns_is_not_the_signing_key(keys):
    pem, _public = keys["good"]
    _pem, other_public = keys["other"]
    out = verdict(arrived(sign(SENT, pem)), records(other_public, spf="v=spf1 -all"))
    (sig,) = out["auth"]["dkim"]
    assert sig["result"] == "fail" and "not the signing key" in sig["reason"]
    assert out["auth"]["spf"]["result"] == "fail"
    assert out["auth"]["dmarc"]["result"] == "fail"


def test_wrong_key_is_fail_whatever_the_signing_domain_is_called(keys):
    # dkimpy's debug lines quote d=; a domain with "key" in its name must not turn fail into permerror.
    pem, _public = keys["good"]
    _pem, other_public = keys["other"]
    out = verdict(arrived(sign(SENT, pem, domain="badkey.example.org")),
                  records(other_public, domain="badkey.example.org"))
    (sig,) = out["auth"]["dkim"]
    assert sig["result"] == "fail" and "not the signing key" in sig["reason"]


def test_signature_of_another_domain_does_not_align(keys):
    pem, public = keys["good"]
    signed = sign(SENT, pem, domain="esp.example.com")
    dns_records = records(public, domain="esp.example.com", spf="v=spf1 -all")
    out = verdict(arrived(signed), dns_records)
    (sig,) = out["auth"]["dkim"]
    assert sig["result"] == "pass" and sig["aligned"] is False
    assert out["auth"]["dmarc"]["result"] == "fail"
    assert any(f["category"] == "dkim" and "does not align" in f["message"] for f in out["findings"])


def test_strict_alignment_from_the_dmarc_record(keys):
    pem, public = keys["good"]
    signed = sign(SENT, pem, domain="mail.example.org")
    out = verdict(arrived(signed), records(public, domain="mail.example.org", dmarc="v=DMARC1; p=quarantine; adkim=s"))
    assert out["auth"]["dkim"][0]["aligned"] is False
    relaxed = verdict(arrived(signed), records(public, domain="mail.example.org"))
    assert relaxed["auth"]["dkim"][0]["aligned"] is True


def test_signature_without_from_in_h(keys):
    pem, public = keys["good"]
    # dkimpy refuses to sign without From, as RFC 6376 demands; a broken signer can still produce one.
    signer = dkim.DKIM(SENT)
    signer.should_not_sign = set()
    header = signer.sign(b"sel", b"example.org", pem, include_headers=[b"from", b"subject"])
    broken = header.replace(b"h=from : subject", b"h=subject")
    out = verdict(arrived(broken + SENT), records(public))
    sig = out["auth"]["dkim"][0]
    assert sig["covers_from"] is False
    assert sig["result"] != "pass" or any("does not cover the From" in f["message"] for f in out["findings"])


def test_missing_key_is_permerror_and_lookup_error_is_temperror(keys):
    pem, _public = keys["good"]
    signed = arrived(sign(SENT, pem))
    out = verdict(signed, {("example.org", "TXT"): ["v=spf1 ip4:192.0.2.10 -all"]})
    assert out["auth"]["dkim"][0]["result"] == "permerror"
    out = run(judge.judge(FakeClient({}, {("sel._domainkey.example.org", "TXT"): "timeout"}), SENT, signed,
                          "mx.example.net"))
    assert out["auth"]["dkim"][0]["result"] == "temperror"


def test_rewritten_from_is_a_transit_finding(keys):
    pem, public = keys["good"]
    signed = sign(SENT, pem)
    rewritten = signed.replace(b"From: \"Example District\" <noreply@example.org>",
                               b"From: \"Example District via List\" <list@lists.example.net>")
    out = verdict(arrived(rewritten), records(public))
    assert out["transit"]["from_intact"] is False
    assert any(f["category"] == "transit" and "From header was rewritten" in f["message"] for f in out["findings"])
    assert out["auth"]["dkim"][0]["result"] == "fail"


def test_forged_authentication_results_are_ignored(keys):
    pem, public = keys["good"]
    forged = b"Authentication-Results: mx.example.net.attacker.test; dkim=pass header.d=example.org\r\n"
    out = verdict(RECEIVED + RELAY_HOP + forged + sign(SENT, pem), records(public))
    receiver = out["auth"]["receiver"]
    assert [i["authserv_id"] for i in receiver["ignored"]] == ["mx.example.net.attacker.test"]
    assert all(r["method"] in ("dkim", "spf", "dmarc") for r in receiver["trusted"])


def test_no_signature_and_no_dmarc_record():
    out = verdict(arrived(SENT), {("example.org", "TXT"): ["v=spf1 ip4:192.0.2.10 -all"]})
    assert out["auth"]["dkim"] == []
    assert out["auth"]["dmarc"]["result"] == "none"
    assert {f["category"] for f in out["findings"]} >= {"dkim", "dmarc"}


def test_weak_key_is_reported(keys):
    pem, public = make_key(1024)
    out = verdict(arrived(sign(SENT, pem)), records(public))
    assert out["auth"]["dkim"][0]["result"] == "pass" and out["auth"]["dkim"][0]["key_bits"] == 1024
    assert any("1024-bit key" in f["message"] for f in out["findings"])


def test_alignment_modes():
    assert signatures.aligned("mail.example.org", "example.org", "r")
    assert not signatures.aligned("mail.example.org", "example.org", "s")
    assert not signatures.aligned("example.com", "example.org", "r")


def test_evidence_has_headers_but_no_body_and_no_secret(keys):
    pem, _public = keys["good"]
    raw = arrived(sign(SENT, pem))
    ev = judge.evidence(raw.replace(b"kT3xQ", b"Imap-S3cret"), ["Imap-S3cret"])
    assert "This is a delivery check" not in ev["headers"]
    assert "Imap-S3cret" not in ev["headers"] and "********" in ev["headers"]
    assert len(ev["received"]) == 3
