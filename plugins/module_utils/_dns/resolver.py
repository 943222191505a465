# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Resolver seam: one asynchronous client per task, bounded concurrency, shared answers.

Private to the collection: may change without notice.

Every lookup returns a Lookup whose ``kind`` says what the DNS said: ``answer``,
``nxdomain`` and ``nodata`` are facts about the domain; ``error`` means the question could
not be answered (timeout, SERVFAIL, REFUSED, ...), and checks report it as status ``error``.
"""

from __future__ import annotations

import asyncio
import ipaddress

try:
    import dns.asyncresolver
    import dns.exception
    import dns.name
    import dns.nameserver
    import dns.rdatatype
    import dns.resolver
    import dns.reversename
    HAS_DNSPYTHON = True
    DNSPYTHON_IMPORT_ERROR = None
except ImportError as exc:  # pragma: no cover - reported by the module with missing_required_lib
    HAS_DNSPYTHON = False
    DNSPYTHON_IMPORT_ERROR = exc

ANSWER = "answer"
NXDOMAIN = "nxdomain"
NODATA = "nodata"
ERROR = "error"


class Lookup:
    """What one question (name, type) got: records as text, or the reason there are none."""

    __slots__ = ("name", "rdtype", "kind", "records", "rdata", "error", "canonical")

    def __init__(self, name, rdtype, kind, records=None, rdata=None, error=None, canonical=None):
        self.name = name
        self.rdtype = rdtype
        self.kind = kind
        self.records = records or []
        self.rdata = rdata or []
        self.error = error
        self.canonical = canonical

    @property
    def ok(self):
        return self.kind == ANSWER

    @property
    def void(self):
        """True for the answers RFC 7208 calls void lookups (NXDOMAIN or no records)."""
        return self.kind in (NXDOMAIN, NODATA)

    def describe(self):
        if self.kind == ANSWER:
            return "%s %s: %s" % (self.name, self.rdtype, ", ".join(self.records))
        if self.kind == NXDOMAIN:
            return "%s: NXDOMAIN (the name does not exist)" % self.name
        if self.kind == NODATA:
            return "%s: no %s records" % (self.name, self.rdtype)
        return "%s %s: %s" % (self.name, self.rdtype, self.error)


def parse_nameserver(text):
    """'192.0.2.53', '192.0.2.53:5353', '[2001:db8::53]:5353' or '2001:db8::53' -> (address, port)."""
    value = str(text).strip()
    port = 53
    if value.startswith("["):
        host, sep, rest = value[1:].partition("]")
        if not sep:
            raise ValueError("unbalanced '[' in %r" % value)
        if rest:
            if not rest.startswith(":"):
                raise ValueError("expected ':port' after ']' in %r" % value)
            port = rest[1:]
        value = host
    elif value.count(":") == 1:
        value, port = value.split(":")
    try:
        address = str(ipaddress.ip_address(value))
    except ValueError:
        raise ValueError("%r is not an IP address (give nameservers as addresses, optionally with :port)" % text) from None
    try:
        port = int(port)
    except (TypeError, ValueError):
        raise ValueError("port of %r is not a number" % text) from None
    if not 1 <= port <= 65535:
        raise ValueError("port of %r is out of range 1..65535" % text)
    return address, port


def txt_strings(rdata):
    """The text of one TXT record: its character-strings joined without separator (RFC 7208 3.3)."""
    return b"".join(rdata.strings).decode("utf-8", "replace")


def _rdata_text(rdtype, rdata):
    if rdtype == "TXT":
        return txt_strings(rdata)
    if rdtype in ("A", "AAAA"):
        return str(ipaddress.ip_address(rdata.address))
    return rdata.to_text()


def reverse_name(ip, zone=None):
    """Reverse name of an address: in-addr.arpa / ip6.arpa, or under a DNSBL zone."""
    addr = ipaddress.ip_address(ip)
    if addr.version == 4:
        labels = list(reversed(str(addr).split(".")))
    else:
        labels = list(reversed(addr.exploded.replace(":", "")))
    if zone:
        return ".".join(labels) + "." + zone.rstrip(".")
    return ".".join(labels) + (".in-addr.arpa" if addr.version == 4 else ".ip6.arpa")


class DnsClient:
    """Asynchronous resolver with a per-task answer cache and a concurrency bound.

    The cache keeps the in-flight task, so two checks asking the same question at once
    (many domains include the same SPF record) share one query.
    """

    def __init__(self, nameservers=None, timeout=5.0, concurrency=50):
        if not HAS_DNSPYTHON:
            raise RuntimeError("dnspython is required")
        self.timeout = float(timeout)
        self.concurrency = int(concurrency)
        if nameservers:
            self._resolver = dns.asyncresolver.Resolver(configure=False)
            parsed = [parse_nameserver(n) for n in nameservers]
            self._resolver.nameservers = [dns.nameserver.Do53Nameserver(a, p) for a, p in parsed]
            self.nameservers = ["%s:%d" % (a, p) if ":" not in a else "[%s]:%d" % (a, p) for a, p in parsed]
        else:
            self._resolver = dns.asyncresolver.Resolver()
            self.nameservers = [str(n) for n in self._resolver.nameservers]
        self._resolver.timeout = self.timeout
        self._resolver.lifetime = self.timeout
        self._resolver.cache = None
        self._sem = None
        self._cache = {}
        self.queries = 0

    def _ns_label(self):
        return ", ".join(self.nameservers) or "the system resolver"

    async def query(self, name, rdtype):
        name = str(name).rstrip(".").lower()
        key = (name, rdtype)
        task = self._cache.get(key)
        if task is None:
            task = asyncio.ensure_future(self._query(name, rdtype))
            self._cache[key] = task
        return await task

    async def _query(self, name, rdtype):
        if self._sem is None:
            self._sem = asyncio.Semaphore(self.concurrency)
        try:
            qname = dns.name.from_text(name)
        except (dns.exception.DNSException, UnicodeError, ValueError) as exc:
            # A name that cannot be written in DNS cannot exist: a fact, not a failure to get an answer.
            return Lookup(name, rdtype, NXDOMAIN, error="invalid DNS name (%s)" % exc)
        async with self._sem:
            self.queries += 1
            try:
                answer = await self._resolver.resolve(qname, rdtype, raise_on_no_answer=False, search=False)
            except dns.resolver.NXDOMAIN:
                return Lookup(name, rdtype, NXDOMAIN)
            except dns.resolver.NoNameservers as exc:
                return Lookup(name, rdtype, ERROR, error="no usable answer from %s (%s)" % (
                    self._ns_label(), _short_error(exc)))
            except dns.exception.Timeout:
                return Lookup(name, rdtype, ERROR, error="timeout: %s did not answer within %gs" % (
                    self._ns_label(), self.timeout))
            except (dns.exception.DNSException, OSError, ValueError) as exc:
                return Lookup(name, rdtype, ERROR, error="lookup failed at %s: %s" % (self._ns_label(), exc))
        rrset = answer.rrset
        canonical = str(answer.canonical_name).rstrip(".").lower()
        if rrset is None or len(rrset) == 0:
            return Lookup(name, rdtype, NODATA, canonical=canonical)
        rdata = list(rrset)
        records = [_rdata_text(rdtype, r) for r in rdata]
        return Lookup(name, rdtype, ANSWER, records=records, rdata=rdata, canonical=canonical)

    async def addresses(self, name, families=(4, 6)):
        """A and AAAA of a name as (list of address strings, list of Lookups)."""
        types = [t for f, t in ((4, "A"), (6, "AAAA")) if f in families]
        looks = await asyncio.gather(*[self.query(name, t) for t in types])
        addrs = []
        for look in looks:
            addrs.extend(look.records if look.ok else [])
        return addrs, list(looks)


def _short_error(exc):
    text = str(exc)
    marker = ": Server "
    if marker in text:
        text = "server " + text.split(marker, 1)[1]
    return text.replace("Do53:", "")
