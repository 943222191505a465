# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Asyncio SMTP session engine on aiosmtplib: connect, STARTTLS policy, verify, AUTH, envelope, DATA.

Private to the collection: may change without notice. One Session per connector and
attempt; run_all() drives many connectors concurrently through a bounded pool of runners. Nothing here
reads or writes files, and every text that leaves goes through _model.scrub().
"""

from __future__ import annotations

import asyncio
import os
import socket
import time

try:
    import aiosmtplib
    HAS_AIOSMTPLIB = True
    AIOSMTPLIB_IMPORT_ERROR = None
except ImportError as _exc:  # pragma: no cover - depends on the environment
    HAS_AIOSMTPLIB = False
    AIOSMTPLIB_IMPORT_ERROR = str(_exc)

from ansible_collections.mailops.smtp.plugins.module_utils._model import REDACTED, is_ip
from ansible_collections.mailops.smtp.plugins.module_utils._smtp import policy
from ansible_collections.mailops.smtp.plugins.module_utils._smtp.classification import (
    SessionPolicyError,
    classify_exception,
    classify_reply,
    printable,
    settle,
)
from ansible_collections.mailops.smtp.plugins.module_utils._tls import certificate_facts, presented_chain

# EHLO refusals that mean "I do not know EHLO" (RFC 5321 4.1.4: fall back to HELO).
_EHLO_UNKNOWN = (500, 502, 504)

MAX_RETRY_DELAY = 30.0
"""Upper bound of one backoff pause, in seconds, whatever retries and retry_delay say."""


def _ms(start):
    return round((time.monotonic() - start) * 1000.0, 1)


class Session:
    """One SMTP session for one connector, recording stages, timings and TLS facts."""

    def __init__(self, connector, ehlo_name, resolver=None):
        self.connector = connector
        self.resolver = resolver
        self.addresses = []
        self._infos = None
        self.security = connector.get("security", "starttls")
        self.timeout = float(connector.get("timeout") or 30)
        self.ehlo_name = ehlo_name
        self.stage = "dns"
        self.reached = None
        self.timings = {}
        self.smtp = None
        self.encrypted = False
        self.fell_back = False
        self.banner = None
        self.capabilities = None
        self.capabilities_before_tls = None
        self.tls = None
        self.auth = None
        self.warnings = []

    async def _step(self, stage, awaitable):
        self.stage = stage
        start = time.monotonic()
        try:
            value = await awaitable
        finally:
            # A stage met twice (EHLO before and after STARTTLS) adds up.
            self.timings[stage] = round(self.timings.get(stage, 0.0) + _ms(start), 1)
        self.reached = stage
        return value

    async def _connect_socket(self, infos):
        loop = asyncio.get_running_loop()
        last = None
        for family, socktype, proto, _canon, address in infos:
            sock = socket.socket(family, socktype, proto)
            sock.setblocking(False)
            try:
                await asyncio.wait_for(loop.sock_connect(sock, address), self.timeout)
                return sock
            except (OSError, asyncio.TimeoutError) as exc:
                sock.close()
                last = exc
        raise last if last is not None else OSError("no address to connect to")

    def _record_tls(self, verified):
        ssl_object = self.smtp.get_transport_info("ssl_object")
        if ssl_object is None:
            return
        cipher = ssl_object.cipher() or (None, None, None)
        der = ssl_object.getpeercert(binary_form=True)
        name = policy.server_name(self.connector)
        chain = presented_chain(ssl_object) or None
        self.tls = {
            "version": ssl_object.version(),
            "cipher": cipher[0],
            "bits": cipher[2],
            "verified": bool(verified),
            "server_name": name,
            "peer_certificate": certificate_facts(der, name),
            "_der": der,
            "_chain": chain,
        }
        self.encrypted = True

    async def open(self, verify=None, min_version=None):
        """Connect, read the banner, EHLO, apply the STARTTLS policy and EHLO again."""
        connector = self.connector
        host = str(connector["host"]).strip("[]")
        port = int(connector["port"])
        loop = asyncio.get_running_loop()
        if is_ip(host):
            # An address literal needs no resolver round trip (nor a thread of the executor).
            family = socket.AF_INET6 if ":" in host else socket.AF_INET
            self.timings["dns"] = 0.0
            infos = [(family, socket.SOCK_STREAM, 0, "", (host, port))]
        elif self.resolver and self.resolver.get("nameservers"):
            infos = await self._step("dns", asyncio.wait_for(loop.run_in_executor(
                None, resolve_with, host, port, self.resolver), self.timeout + 1))
        else:
            infos = await self._step("dns", asyncio.wait_for(
                loop.getaddrinfo(host, port, type=socket.SOCK_STREAM), self.timeout))
        self.addresses = [info[4][0] for info in infos]
        self._infos = infos
        sock = await self._step("connect", self._connect_socket(infos))
        implicit = self.security == "tls"
        use_verify = policy.tls_settings(connector)["verify"] if verify is None else verify
        ctx = None
        if self.security != "none":
            ctx = policy.tls_context(connector, verify=use_verify, min_version=min_version)
        self.smtp = aiosmtplib.SMTP(
            hostname=policy.server_name(connector),
            sock=sock,
            use_tls=implicit,
            start_tls=False,
            tls_context=ctx if implicit else None,
            timeout=self.timeout,
            local_hostname=self.ehlo_name,
        )
        try:
            response = await self._step("tls" if implicit else "banner", self.smtp.connect())
        except Exception:
            self.smtp.close()
            sock.close()
            raise
        if implicit:
            self.timings["banner"] = self.timings.pop("tls")
            self._record_tls(use_verify)
        self.banner = printable("%s %s" % (response.code, response.message))
        self.reached = "banner"
        await self._hello()
        self.capabilities = policy.parse_capabilities(self.smtp.esmtp_extensions)
        if self.security == "starttls":
            self.capabilities_before_tls = self.capabilities
            if policy.starttls_decision(connector, self.capabilities["starttls"]) == "upgrade":
                await self._step("starttls", self.smtp.starttls(
                    server_hostname=policy.server_name(connector), tls_context=ctx))
                self._record_tls(use_verify)
                await self._step("ehlo", self.smtp.ehlo())
                self.capabilities = policy.parse_capabilities(self.smtp.esmtp_extensions)
            else:
                self.fell_back = True
                self.warnings.append(
                    "STARTTLS is opportunistic and the server does not offer it: the session is not "
                    "encrypted.")
        if not use_verify and self.security != "none":
            self.warnings.append("The certificate was not verified (tls.verify: false).")

    async def _hello(self):
        """EHLO, or HELO when the server does not know EHLO (then it offers no extension at all)."""
        try:
            await self._step("ehlo", self.smtp.ehlo())
        except aiosmtplib.SMTPHeloError as exc:
            if exc.code not in _EHLO_UNKNOWN:
                raise
            await self._step("ehlo", self.smtp.helo())
            self.warnings.append(
                "The server refused EHLO (%s) and accepted HELO: it speaks no ESMTP, so it offers no "
                "STARTTLS, AUTH, SIZE or 8BITMIME." % exc.code)

    async def authenticate(self):
        auth = self.connector.get("auth")
        if not auth:
            return None
        policy.check_auth_allowed(self.connector, self.encrypted, self.fell_back)
        mech = policy.choose_mechanism(auth.get("mechanisms"), self.capabilities["auth_mechanisms"])
        method = {
            "PLAIN": self.smtp.auth_plain,
            "LOGIN": self.smtp.auth_login,
            "CRAM-MD5": self.smtp.auth_crammd5,
        }[mech]
        self.auth = {"mechanism": mech, "authenticated": False, "username": auth.get("username")}
        await self._step("auth", method(auth["username"], auth["password"]))
        self.auth["authenticated"] = True
        return mech

    def _envelope_encoding(self, address):
        """Keyword arguments for MAIL/RCPT: SMTPUTF8 for a non-ASCII address, when the server offers it."""
        try:
            address.encode("ascii")
            return {}
        except UnicodeError:
            pass
        if (self.capabilities or {}).get("smtputf8"):
            return {"options": ["SMTPUTF8"], "encoding": "utf-8"}
        self.stage = "mail"
        raise SessionPolicyError(
            "sender", "%s is not ASCII and the server does not offer SMTPUTF8" % address,
            "An address with non-ASCII characters can only be sent to a server that offers SMTPUTF8 "
            "(RFC 6531); nothing was sent. Use an ASCII address (an IDNA xn-- domain) for this server.",
            "mail")

    async def mail(self, address):
        await self._step("mail", self.smtp.mail(address, **self._envelope_encoding(address)))

    async def rcpt(self, addresses):
        """RCPT TO each address; returns (accepted, refused) where refused maps address -> error."""
        accepted, refused = [], {}
        for address in addresses:
            self.stage = "rcpt"
            start = time.monotonic()
            try:
                await self.smtp.rcpt(address, encoding="utf-8" if (self.capabilities or {}).get("smtputf8")
                                     else "ascii")
                accepted.append(address)
            except aiosmtplib.SMTPRecipientRefused as exc:
                refused[address] = classify_reply(exc.code, exc.message, "rcpt", self._context())
            finally:
                self.timings["rcpt"] = round(self.timings.get("rcpt", 0) + _ms(start), 1)
        if accepted:
            self.reached = "rcpt"
        return accepted, refused

    async def data(self, message_bytes):
        response = await self._step("data", self.smtp.data(message_bytes))
        return "%s %s" % (response.code, response.message)

    async def rset(self):
        try:
            await asyncio.wait_for(self.smtp.rset(), self.timeout)
        except Exception:  # pylint: disable=broad-except
            pass

    async def close(self):
        if self.smtp is None:
            return
        try:
            if self.smtp.is_connected:
                await asyncio.wait_for(self.smtp.quit(), min(self.timeout, 5.0))
        except Exception:  # pylint: disable=broad-except
            pass
        finally:
            try:
                self.smtp.close()
            except Exception:  # pylint: disable=broad-except
                pass

    def public_tls(self):
        if not self.tls:
            return None
        return dict((k, v) for k, v in self.tls.items() if not k.startswith("_"))

    def _context(self):
        caps = self.capabilities_before_tls if self.security == "starttls" else self.capabilities
        offered = None
        if caps is not None and self.security != "tls":
            offered = bool(caps.get("starttls"))
        return {"security": self.security, "starttls_offered": offered}

    async def classify(self, exc):
        """Classify a failure; where the symptom has two explanations, look before answering."""
        error = classify_exception(exc, self.stage, self.security, self._context())
        question = error.pop("_question", None)
        if question:
            try:
                evidence = await asyncio.wait_for(self._evidence(question), self.timeout * 2 + 5)
            except Exception:  # pylint: disable=broad-except
                evidence = None
            if evidence is not None:
                min_version = policy.tls_settings(self.connector)["min_version"]
                error = settle(question, error, evidence, self.security, min_version)
        if error["stage"] == "connect" and self.addresses and all(":" in a for a in self.addresses):
            error["hint"] += (" The name resolves only to IPv6 addresses (%s): check that this machine "
                              "has IPv6 connectivity to the server." % ", ".join(self.addresses))
        return error

    async def _evidence(self, question):
        infos = self._infos
        if not infos:
            return None
        if question == "silence":
            plain, tls = await asyncio.gather(self._plain_read(infos), self._lenient_tls(infos, False),
                                              return_exceptions=True)
            evidence = {}
            for part in (plain, tls):
                if isinstance(part, dict):
                    evidence.update(part)
            return evidence
        if question == "plain_port":
            return await self._plain_read(infos)
        if question in ("handshake", "untrusted_chain", "certificate_names", "certificate_dates"):
            return await self._lenient_tls(infos, self.security == "starttls")
        if question in ("auth_drop", "early_drop"):
            fresh = Session(self.connector, self.ehlo_name, self.resolver)
            try:
                await fresh.open()
                await asyncio.wait_for(fresh.smtp.noop(), self.timeout)
                return {"session_ok": True}
            except Exception:  # pylint: disable=broad-except
                return {"session_ok": False}
            finally:
                await fresh.close()
        return None

    async def _plain_read(self, infos):
        """What a fresh connection receives in clear text within the timeout (first line at most)."""
        loop = asyncio.get_running_loop()
        sock = await self._connect_socket(infos)
        start = time.monotonic()
        received = b""
        try:
            while b"\n" not in received and len(received) < 512:
                left = self.timeout - (time.monotonic() - start)
                if left <= 0:
                    break
                try:
                    chunk = await asyncio.wait_for(loop.sock_recv(sock, 512), left)
                except asyncio.TimeoutError:
                    break
                if not chunk:
                    break
                received += chunk
        finally:
            sock.close()
        return {"plain_text": printable(received.split(b"\n")[0].rstrip(b"\r")),
                "plain_line": b"\n" in received, "plain_seconds": round(time.monotonic() - start, 1)}

    async def _lenient_tls(self, infos, starttls):
        """A handshake that allows TLS 1.0 and weak ciphers, without verification: what the server can do."""
        loop = asyncio.get_running_loop()
        ctx = policy.lenient_context()
        name = policy.server_name(self.connector)
        sock = await self._connect_socket(infos)
        transport = smtp = None
        try:
            if starttls:
                smtp = aiosmtplib.SMTP(hostname=name, sock=sock, use_tls=False, start_tls=False,
                                       timeout=self.timeout, local_hostname=self.ehlo_name)
                await smtp.connect()
                await smtp.ehlo()
                await smtp.starttls(server_hostname=name, tls_context=ctx)
                ssl_object = smtp.get_transport_info("ssl_object")
            else:
                transport, _protocol = await asyncio.wait_for(loop.create_connection(
                    asyncio.Protocol, sock=sock, ssl=ctx, server_hostname=name), self.timeout)
                ssl_object = transport.get_extra_info("ssl_object")
            chain = presented_chain(ssl_object)
            facts = [certificate_facts(der) or {} for der in chain]
            leaf = certificate_facts(ssl_object.getpeercert(binary_form=True)) or {}
            cipher = ssl_object.cipher() or (None,)
            return {"tls_version": ssl_object.version(), "tls_cipher": cipher[0], "chain_length": len(chain),
                    "leaf_self_signed": bool(leaf.get("self_signed")),
                    "issuer": facts[-1].get("issuer") if facts else leaf.get("issuer"),
                    "leaf_names": (leaf.get("dns_names") or []) + (leaf.get("ip_addresses") or []) or
                    ([leaf["common_name"]] if leaf.get("common_name") else []),
                    "server_name": name, "not_before": leaf.get("not_before"),
                    "not_after": leaf.get("not_after"), "expired": leaf.get("expired"),
                    "now": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
        except Exception as exc:  # pylint: disable=broad-except
            return {"tls_error": printable(str(exc)) or type(exc).__name__}
        finally:
            # A transport owns the socket: closing the socket under it would free the descriptor
            # while the event loop still watches it.
            if smtp is not None and smtp.transport is not None:
                smtp.close()
            elif transport is not None:
                transport.abort()
            else:
                sock.close()


def resolve_with(host, port, resolver):
    """getaddrinfo-shaped addresses of host from the given name servers (AAAA, then A).

    Raises socket.gaierror as getaddrinfo would: EAI_NONAME when the name does not exist,
    EAI_NODATA when it exists without addresses, EAI_AGAIN when no server answered.
    """
    import dns.exception
    import dns.resolver

    res = dns.resolver.Resolver(configure=False)
    res.nameservers = list(resolver["nameservers"])
    res.port = int(resolver.get("port") or 53)
    res.lifetime = res.timeout = float(resolver.get("timeout") or 5.0)
    infos, missing = [], False
    for rtype, family in (("AAAA", socket.AF_INET6), ("A", socket.AF_INET)):
        try:
            answer = res.resolve(host, rtype)
        except dns.resolver.NXDOMAIN:
            missing = True
            continue
        except dns.resolver.NoAnswer:
            continue
        except dns.exception.DNSException as exc:
            raise socket.gaierror(socket.EAI_AGAIN, "resolving %s failed: %s" % (host, exc)) from None
        for rdata in answer:
            infos.append((family, socket.SOCK_STREAM, 0, "", (str(rdata.address), port)))
    if not infos:
        if missing:
            raise socket.gaierror(socket.EAI_NONAME, "%s does not exist (NXDOMAIN)" % host)
        raise socket.gaierror(getattr(socket, "EAI_NODATA", socket.EAI_NONAME),
                              "%s has no A or AAAA record" % host)
    return infos


def scrub_tree(value, secrets):
    """Scrub every string in a result structure (server replies can echo anything).

    The secrets are ordered once per call (longest first, as scrub() does), not once per string:
    a result of thousands of connectors holds tens of thousands of strings.
    """
    ordered = sorted(set(s for s in secrets if s), key=len, reverse=True)
    if not ordered:
        return value
    return _scrub_walk(value, ordered)


def _scrub_walk(value, ordered):
    if isinstance(value, dict):
        return dict((k, _scrub_walk(v, ordered)) for k, v in value.items())
    if isinstance(value, list):
        return [_scrub_walk(v, ordered) for v in value]
    if isinstance(value, str):
        for secret in ordered:
            if secret in value:
                value = value.replace(secret, REDACTED)
        return value
    return value


async def with_retries(operation, retries, retry_delay):
    """Run operation(attempt) until it succeeds, fails for good, or retries are used up.

    operation returns a result dict with an 'error' (classification or None). Only
    retryable errors are retried; pauses double from retry_delay, capped at MAX_RETRY_DELAY.
    """
    attempt = 0
    while True:
        attempt += 1
        outcome = await operation(attempt)
        error = outcome.get("error")
        if not error or not error.get("retryable") or attempt > retries:
            outcome["attempts"] = attempt
            return outcome
        delay = min(float(retry_delay) * (2 ** (attempt - 1)), MAX_RETRY_DELAY)
        if delay > 0:
            await asyncio.sleep(delay)


FDS_PER_SESSION = 3
"""Descriptors one connector can hold at once: its session, and while a failure is settled, a
clear-text read and a lenient handshake on fresh connections (Session.classify)."""

FD_RESERVE = 64
"""Descriptors left for the resolver threads, the event loop, Python and Ansible's own files."""


def fd_headroom():
    """Descriptors this process may still open (RLIMIT_NOFILE's soft limit minus those open), or None."""
    try:
        import resource
        soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    except (ImportError, ValueError, OSError):  # pragma: no cover - not a POSIX system
        return None
    if soft == resource.RLIM_INFINITY or soft <= 0:
        return None
    try:
        used = len(os.listdir("/proc/self/fd"))
    except OSError:  # pragma: no cover - no /proc (BSD, macOS)
        used = FD_RESERVE
    return soft - used


def session_limit(concurrency, headroom=None):
    """concurrency, lowered so that every session it allows fits under the open-file limit."""
    concurrency = max(1, int(concurrency))
    headroom = fd_headroom() if headroom is None else headroom
    if headroom is None:
        return concurrency
    return max(1, min(concurrency, (headroom - FD_RESERVE) // FDS_PER_SESSION))


async def run_all(items, worker, concurrency, progress=None):
    """worker(item) for every item, at most `concurrency` at a time; results in input order.

    A fixed pool of `concurrency` runners takes the next item as soon as one is done, so the
    number of coroutines, sockets and descriptors alive at once is bounded by concurrency, not by
    the number of items; a slow or silent server holds one runner for its own timeout only.
    progress(result), when given, is called with each result as it completes.
    """
    items = list(items)
    total = len(items)
    results = [None] * total
    position = iter(range(total))

    async def runner():
        for index in position:
            results[index] = await worker(items[index])
            if progress is not None:
                progress(results[index])

    await asyncio.gather(*(runner() for _index in range(min(max(1, int(concurrency)), total))))
    return results


def base_result(connector):
    return {
        "name": connector.get("name"),
        "host": connector.get("host"),
        "port": connector.get("port"),
        "security": connector.get("security"),
        "starttls": connector.get("starttls") if connector.get("security") == "starttls" else None,
    }


def status_of(error, warnings):
    if error:
        return "failed"
    if warnings:
        return "warning"
    return "ok"
