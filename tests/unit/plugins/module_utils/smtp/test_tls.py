# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Certificate facts and DANE TLSA matching on certificates made here."""

from __future__ import annotations

import datetime
import hashlib

import pytest

from ansible_collections.mailops.smtp.plugins.module_utils import _tls

x509 = pytest.importorskip("cryptography.x509")
# cryptography is a dependency of ansible-core, so this import does not skip in practice.
from cryptography.hazmat.primitives import hashes, serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec  # noqa: E402
from cryptography.x509.oid import NameOID  # noqa: E402


def make_cert(names, days_valid=90, ips=()):
    import ipaddress
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.UTC)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])])
    sans = [x509.DNSName(n) for n in names] + [x509.IPAddress(ipaddress.ip_address(i)) for i in ips]
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=days_valid))
            .add_extension(x509.SubjectAlternativeName(sans), critical=False)
            .sign(key, hashes.SHA256()))
    return cert.public_bytes(serialization.Encoding.DER)


def test_facts_name_matching_and_expiry():
    der = make_cert(["mail.example.org", "*.example.net"], days_valid=10, ips=["192.0.2.25"])
    facts = _tls.certificate_facts(der, "mail.example.org")
    assert facts["name_matches"] is True
    assert facts["dns_names"] == ["mail.example.org", "*.example.net"]
    assert facts["ip_addresses"] == ["192.0.2.25"]
    assert 8 <= facts["days_left"] <= 10
    assert facts["expired"] is False
    assert facts["sha256"] == hashlib.sha256(der).hexdigest()
    assert _tls.certificate_facts(der, "smtp.example.net")["name_matches"] is True
    assert _tls.certificate_facts(der, "a.b.example.net")["name_matches"] is False
    assert _tls.certificate_facts(der, "192.0.2.25")["name_matches"] is True
    assert _tls.certificate_facts(der, "other.example.org")["name_matches"] is False


def test_expired_certificate():
    der = make_cert(["mail.example.org"], days_valid=-1)
    facts = _tls.certificate_facts(der)
    assert facts["expired"] is True


def test_tlsa_matching_for_each_selector_and_type():
    der = make_cert(["mail.example.org"])
    other = make_cert(["mail.example.org"])
    for selector in (0, 1):
        for mtype in (0, 1, 2):
            rec = {"usage": 3, "selector": selector, "mtype": mtype,
                   "data": _tls.tlsa_association(der, selector, mtype)}
            assert _tls.match_tlsa([rec], der)["matched"] == [rec]
            assert _tls.match_tlsa([rec], other)["matched"] == []
    ta = {"usage": 2, "selector": 1, "mtype": 1, "data": "00"}
    result = _tls.match_tlsa([ta], der, None)
    assert result["not_checkable"] == 1 and result["checked"] == 0


def test_tlsa_name():
    assert _tls.tlsa_name("mx.example.org", 25) == "_25._tcp.mx.example.org."
