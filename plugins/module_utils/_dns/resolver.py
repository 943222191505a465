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
import socket

try:
    import dns.asyncquery
    import dns.entropy
    import dns.exception
    import dns.flags
    import dns.message
    import dns.name
    import dns.nameserver
    import dns.rcode
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


class _Exchange:
    """One nameserver over UDP: a connected socket shared by every question in flight, answers
    matched to questions by message ID (the kernel drops datagrams from any other address).

    Each time the socket is readable, every datagram waiting in it is read: a backlog of answers
    is never mistaken for silence while the event loop was busy elsewhere."""

    def __init__(self, address, port):
        self.address = address
        self.port = port
        self.label = "%s:%d" % (address, port) if ":" not in address else "[%s]:%d" % (address, port)
        self.pending = {}  # message ID (2 bytes of wire) -> future of the answer's wire
        self._sock = None
        self._loop = None

    def _open(self):
        if self._sock is None:
            family = socket.AF_INET6 if ":" in self.address else socket.AF_INET
            sock = socket.socket(family, socket.SOCK_DGRAM)
            try:
                sock.setblocking(False)
                try:
                    # Room for a burst of answers at high concurrency (the kernel caps it).
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
                except OSError:
                    pass
                sock.connect((self.address, self.port))
                self._loop = asyncio.get_running_loop()
                self._loop.add_reader(sock.fileno(), self._readable)
            except BaseException:
                sock.close()
                raise
            self._sock = sock
        return self._sock

    def _readable(self):
        while True:
            try:
                data = self._sock.recv(65535)
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:
                # On a connected socket: the server's ICMP answer (port unreachable, ...); no
                # question in flight to it will get an answer.
                for future in list(self.pending.values()):
                    if not future.done():
                        future.set_exception(exc)
                return
            future = self.pending.get(data[:2])
            if future is not None and not future.done():
                future.set_result(data)

    def unused_id(self):
        while True:
            ident = dns.entropy.random_16()
            if ident.to_bytes(2, "big") not in self.pending:
                return ident

    async def ask(self, ident, wire, wait):
        """The answer's wire to `wire` (whose ID is ident), or asyncio.TimeoutError after wait seconds."""
        sock = self._open()
        loop = asyncio.get_running_loop()
        key = ident.to_bytes(2, "big")
        future = loop.create_future()
        self.pending[key] = future
        timer = loop.call_later(wait, _expire, future)
        try:
            try:
                sock.send(wire)
            except (BlockingIOError, InterruptedError):
                pass  # the send buffer is full: as if the datagram was lost, the question is sent again
            return await future
        finally:
            timer.cancel()
            if self.pending.get(key) is future:
                del self.pending[key]

    def close(self):
        if self._sock is not None:
            if self._loop is not None and not self._loop.is_closed():
                self._loop.remove_reader(self._sock.fileno())
            self._sock.close()
            self._sock = None
            self._loop = None


def _expire(future):
    if not future.done():
        future.set_exception(asyncio.TimeoutError())


class DnsClient:
    """Asynchronous stub resolver with a per-task answer cache and a concurrency bound.

    The cache keeps the in-flight task, so two checks asking the same question at once
    (many domains include the same SPF record) share one query. dnspython writes and reads the
    messages; the client keeps one UDP socket per nameserver for the whole task and matches
    answers by message ID, instead of a socket and a resolver round per question: that is most
    of the CPU a check spends. Truncated answers are asked again over TCP.
    """

    def __init__(self, nameservers=None, timeout=5.0, concurrency=50):
        if not HAS_DNSPYTHON:
            raise RuntimeError("dnspython is required")
        self.timeout = float(timeout)
        self.concurrency = int(concurrency)
        # The system's resolver settings (resolv.conf) when no nameservers are given; the EDNS
        # settings come from there too, as dnspython's own resolver would use them.
        config = dns.resolver.Resolver(configure=not nameservers)
        if nameservers:
            parsed = [parse_nameserver(n) for n in nameservers]
            self.nameservers = ["%s:%d" % (a, p) if ":" not in a else "[%s]:%d" % (a, p) for a, p in parsed]
        else:
            parsed = _configured(config)
            self.nameservers = [str(n) for n in config.nameservers]
        self._servers = [_Exchange(a, p) for a, p in parsed]
        self._edns = (config.edns, config.ednsflags, config.payload, config.ednsoptions)
        # Within the timeout a question is sent again (to the next nameserver, if there are
        # several) when no answer came: one lost datagram does not cost the whole timeout.
        self._resend = max(self.timeout / 3.0, 0.2)
        self._sem = None
        self._cache = {}
        self.queries = 0
        # What the checks of one task share besides answers (e.g. MTA-STS's TLS context).
        self.shared = {}

    def _ns_label(self):
        return ", ".join(self.nameservers) or "the system resolver"

    def close(self):
        """Close the sockets (the client can still be used: they open again on demand)."""
        for server in self._servers:
            server.close()

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
                return await self._resolve(name, qname, rdtype)
            except (dns.exception.DNSException, OSError, ValueError) as exc:
                return Lookup(name, rdtype, ERROR, error="lookup failed at %s: %s" % (self._ns_label(), exc))

    async def _resolve(self, name, qname, rdtype):
        if not self._servers:
            return Lookup(name, rdtype, ERROR, error="no nameserver configured (give 'nameservers')")
        request = dns.message.make_query(qname, rdtype)
        edns, flags, payload, options = self._edns
        request.use_edns(edns, flags, payload, options=options)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.timeout
        alive = list(self._servers)
        problems = []
        turn = 0
        wire = None
        while alive:
            left = deadline - loop.time()
            if left <= 0:
                return Lookup(name, rdtype, ERROR, error="timeout: %s did not answer within %gs" % (
                    self._ns_label(), self.timeout))
            server = alive[turn % len(alive)]
            turn += 1
            if wire is None or request.id.to_bytes(2, "big") in server.pending:
                request.id = server.unused_id()
                wire = request.to_wire()
            try:
                data = await server.ask(request.id, wire, min(left, self._resend))
                response = dns.message.from_wire(data)
                if not request.is_response(response):
                    continue  # a late answer to another question under the same ID: ask again
                if response.flags & dns.flags.TC:
                    response = await dns.asyncquery.tcp(request, server.address, timeout=max(left, 0.01),
                                                        port=server.port)
            except (asyncio.TimeoutError, dns.exception.Timeout):
                continue
            except (dns.exception.DNSException, OSError, EOFError, ValueError) as exc:
                problems.append("server %s: %s" % (server.label, getattr(exc, "strerror", None) or exc))
                alive.remove(server)
                continue
            rcode = response.rcode()
            if rcode in (dns.rcode.NOERROR, dns.rcode.NXDOMAIN):
                try:
                    chain = response.resolve_chaining()
                except dns.exception.DNSException as exc:
                    problems.append("server %s: %s" % (server.label, exc))
                    alive.remove(server)
                    continue
                if rcode == dns.rcode.NXDOMAIN:
                    return Lookup(name, rdtype, NXDOMAIN)
                return _answer(name, rdtype, chain)
            if rcode == dns.rcode.YXDOMAIN:
                return Lookup(name, rdtype, ERROR, error="lookup failed at %s: %s" % (
                    self._ns_label(), dns.resolver.YXDOMAIN()))
            problems.append("server %s answered %s" % (server.label, dns.rcode.to_text(rcode)))
            alive.remove(server)
        return Lookup(name, rdtype, ERROR, error="no usable answer from %s (%s)" % (
            self._ns_label(), "; ".join(problems)))

    async def addresses(self, name, families=(4, 6)):
        """A and AAAA of a name as (list of address strings, list of Lookups)."""
        types = [t for f, t in ((4, "A"), (6, "AAAA")) if f in families]
        looks = await asyncio.gather(*[self.query(name, t) for t in types])
        addrs = []
        for look in looks:
            addrs.extend(look.records if look.ok else [])
        return addrs, list(looks)


def _answer(name, rdtype, chain):
    canonical = str(chain.canonical_name).rstrip(".").lower()
    rrset = chain.answer
    if rrset is None or len(rrset) == 0:
        return Lookup(name, rdtype, NODATA, canonical=canonical)
    rdata = list(rrset)
    records = [_rdata_text(rdtype, r) for r in rdata]
    return Lookup(name, rdtype, ANSWER, records=records, rdata=rdata, canonical=canonical)


def _configured(config):
    """(address, port) of each plain-DNS nameserver of the system's resolver configuration."""
    found = []
    for server in config.nameservers:
        if isinstance(server, str):
            found.append((server, config.nameserver_ports.get(server, config.port)))
        elif isinstance(server, dns.nameserver.Do53Nameserver):
            found.append((server.address, server.port))
    return found
