# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Certificate facts (names, validity, fingerprints) and DANE TLSA matching.

Private to the collection: may change without notice. Parsing uses the cryptography
package when present (it is a dependency of ansible-core on the controller); TLSA lookups
use dnspython. Both imports are guarded: callers check HAS_CRYPTOGRAPHY / HAS_DNSPYTHON.
"""

from __future__ import annotations

import copy
import datetime
import functools
import hashlib
import importlib.util
import ipaddress
import ssl
import time

try:
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    from cryptography.x509.oid import ExtensionOID, NameOID
    HAS_CRYPTOGRAPHY = True
except ImportError:  # pragma: no cover - depends on the environment
    HAS_CRYPTOGRAPHY = False

# dnspython is imported by fetch_tlsa, the one function that needs it (DANE): a probe or a test
# send imports this module for certificate facts and would otherwise pay for the import.
HAS_DNSPYTHON = importlib.util.find_spec("dns") is not None


_DER = getattr(getattr(ssl, "_ssl", None), "ENCODING_DER", 1)


def _utc(value):
    if value.tzinfo is None:
        value = value.replace(tzinfo=datetime.timezone.utc)
    return value


def _not_after(cert):
    return _utc(getattr(cert, "not_valid_after_utc", None) or cert.not_valid_after)


def _not_before(cert):
    return _utc(getattr(cert, "not_valid_before_utc", None) or cert.not_valid_before)


def spki_der(cert):
    return cert.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def _names(cert):
    dns_names, ips = [], []
    try:
        san = cert.extensions.get_extension_for_oid(ExtensionOID.SUBJECT_ALTERNATIVE_NAME).value
        dns_names = list(san.get_values_for_type(x509.DNSName))
        ips = [str(ip) for ip in san.get_values_for_type(x509.IPAddress)]
    except x509.ExtensionNotFound:
        pass
    common = [a.value for a in cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)]
    return dns_names, ips, common


def name_matches(cert, name):
    """RFC 6125 matching of a DNS name or IP literal against the certificate's SANs."""
    dns_names, ips, common = _names(cert)
    host = name.strip("[]").rstrip(".").lower()
    try:
        addr = ipaddress.ip_address(host)
    except ValueError:
        addr = None
    if addr is not None:
        return any(ipaddress.ip_address(ip) == addr for ip in ips)
    candidates = dns_names or common
    for pattern in candidates:
        pattern = pattern.rstrip(".").lower()
        if pattern == host:
            return True
        if pattern.startswith("*.") and "." in host:
            if host.split(".", 1)[1] == pattern[2:] and host.split(".", 1)[0]:
                return True
    return False


def certificate_facts(der, name=None, now=None):
    """A JSON-friendly summary of a DER certificate, and whether it names `name`."""
    if not der:
        return None
    if now is None:
        # Many connectors often share one server and certificate: parse it once per run.
        return copy.deepcopy(_cached_facts(der, name, int(time.time() // 3600)))
    return _facts(der, name, now)


@functools.lru_cache(maxsize=256)
def _cached_facts(der, name, _hour):
    return _facts(der, name, None)


def _facts(der, name, now):
    facts = {
        "sha256": hashlib.sha256(der).hexdigest(),
    }
    if not HAS_CRYPTOGRAPHY:
        return facts
    cert = x509.load_der_x509_certificate(der)
    now = now or datetime.datetime.now(datetime.timezone.utc)
    dns_names, ips, common = _names(cert)
    not_after = _not_after(cert)
    facts.update({
        "subject": cert.subject.rfc4514_string(),
        "issuer": cert.issuer.rfc4514_string(),
        "common_name": common[0] if common else None,
        "dns_names": dns_names,
        "ip_addresses": ips,
        "serial": "%x" % cert.serial_number,
        "not_before": _not_before(cert).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "not_after": not_after.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "days_left": int((not_after - now).total_seconds() // 86400),
        "expired": not_after <= now,
        "self_signed": cert.subject == cert.issuer,
        "spki_sha256": hashlib.sha256(spki_der(cert)).hexdigest(),
        "key_type": type(cert.public_key()).__name__.lstrip("_").replace("PublicKey", ""),
        "signature_algorithm": getattr(cert.signature_hash_algorithm, "name", None),
    })
    if name:
        facts["name_checked"] = name
        facts["name_matches"] = name_matches(cert, name)
    return facts


def presented_chain(ssl_object):
    """DER certificates the server presented, leaf first, verified or not.

    Python 3.13 has SSLObject.get_unverified_chain(); 3.10 to 3.12 have it on the private
    _sslobj only. An empty list when neither exists (the leaf alone is then all we know).
    """
    if ssl_object is None:
        return []
    getter = getattr(ssl_object, "get_unverified_chain", None)
    if getter is None:
        getter = getattr(getattr(ssl_object, "_sslobj", None), "get_unverified_chain", None)
    if getter is None:
        return []
    try:
        certs = getter() or []
        return [c if isinstance(c, bytes) else c.public_bytes(_DER) for c in certs]
    except Exception:  # pylint: disable=broad-except
        return []


def tlsa_name(host, port):
    return "_%d._tcp.%s" % (int(port), host.rstrip(".") + ".")


def tlsa_association(der, selector, mtype):
    """The association data a TLSA record with this selector and matching type would carry."""
    if selector == 1:
        if not HAS_CRYPTOGRAPHY:
            return None
        data = spki_der(x509.load_der_x509_certificate(der))
    else:
        data = der
    if mtype == 1:
        return hashlib.sha256(data).hexdigest()
    if mtype == 2:
        return hashlib.sha512(data).hexdigest()
    return data.hex()


def match_tlsa(records, leaf_der, chain_ders=None):
    """Match TLSA records (dicts usage/selector/mtype/data hex) against the presented certificates.

    Usages 1 and 3 match the leaf; 0 and 2 match a certificate of the chain, which Python
    exposes only from 3.13 on: without it those records are reported as not checkable.
    """
    matched, checked, unchecked = [], 0, 0
    for rec in records:
        usage, selector, mtype = rec["usage"], rec["selector"], rec["mtype"]
        want = rec["data"].lower()
        if usage in (1, 3):
            candidates = [leaf_der]
        elif chain_ders:
            candidates = chain_ders[1:] or chain_ders
        else:
            unchecked += 1
            continue
        checked += 1
        for der in candidates:
            if der and tlsa_association(der, selector, mtype) == want:
                matched.append(rec)
                break
    return {"matched": matched, "checked": checked, "not_checkable": unchecked}


def fetch_tlsa(host, port, nameservers=None, dns_port=53, timeout=5.0):
    """TLSA records for host:port: (records, dnssec_authenticated, error)."""
    import dns.exception  # pylint: disable=import-outside-toplevel
    import dns.flags  # pylint: disable=import-outside-toplevel
    import dns.resolver  # pylint: disable=import-outside-toplevel

    resolver = dns.resolver.Resolver(configure=not nameservers)
    if nameservers:
        resolver.nameservers = list(nameservers)
    resolver.port = int(dns_port)
    resolver.lifetime = float(timeout)
    resolver.timeout = float(timeout)
    resolver.use_edns(0, dns.flags.DO, 1232)
    qname = tlsa_name(host, port)
    try:
        answer = resolver.resolve(qname, "TLSA", raise_on_no_answer=False)
    except dns.resolver.NXDOMAIN:
        return [], False, None
    except (dns.exception.DNSException, OSError) as exc:
        return None, False, "TLSA lookup of %s failed: %s" % (qname, exc)
    records = []
    if answer.rrset is not None:
        for rdata in answer.rrset:
            records.append({
                "usage": int(rdata.usage),
                "selector": int(rdata.selector),
                "mtype": int(rdata.mtype),
                "data": rdata.cert.hex(),
            })
    authenticated = bool(answer.response.flags & dns.flags.AD)
    return records, authenticated, None
