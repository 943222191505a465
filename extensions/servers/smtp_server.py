#!/usr/bin/env python
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Stand-alone SMTP test server (aiosmtpd + trustme) for integration tests, Molecule and the demo.

One process serves one or more listeners on loopback. Each listener writes STATE/NAME.json once it
accepts connections, stores every accepted message under STATE/NAME/messages/ and every session
transcript (command verbs only, never arguments of AUTH) in STATE/NAME/sessions.jsonl.
See extensions/servers/README.md (## SMTP) for the command line.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import hashlib
import json
import logging
import os
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time

try:
    import trustme
    from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword
except ImportError as exc:  # pragma: no cover - reported to the person starting the server
    sys.stderr.write(
        "smtp_server.py needs aiosmtpd and trustme: pip install aiosmtpd trustme (%s)\n" % exc
    )
    sys.exit(3)

MODES = ("plain", "starttls", "tls", "blackhole")
CERTS = ("valid", "expired", "expiring", "wrong_name", "untrusted", "self_signed", "not_yet_valid",
         "missing_intermediate")
TLS_VERSIONS = ("1.0", "1.1", "1.2", "1.3")
STAGES = ("connect", "ehlo", "starttls", "auth", "mail", "rcpt", "data")

# Named behaviours: what a real server that behaves this way answers, and at which stage.
# "{addr}" is replaced by the address of the command being answered.
BEHAVIOURS = {
    "normal": {},
    "accept-mail-in-clear": {},
    "reject-auth-535": {"auth": "535 5.7.8 Authentication credentials invalid"},
    "app-password-534": {
        "auth": "534 5.7.9 Application-specific password required. "
        "Learn more at https://support.example.test/app-passwords"
    },
    "basic-auth-disabled-535": {
        "auth": "535 5.7.139 Authentication unsuccessful, basic authentication is disabled."
    },
    "auth-required-530": {"mail": "530 5.7.0 Authentication required"},
    "encryption-required-538": {
        "auth": "538 5.7.11 Encryption required for requested authentication mechanism"
    },
    "throttle-421": {"mail": "421 4.7.0 Too many messages from your account, try again later"},
    "throttle-421-banner": {"connect": "421 4.7.0 Too many concurrent connections, try again later"},
    "rate-limit-450": {"mail": "450 4.7.1 Sending rate exceeded, try again later"},
    "greylist-451": {"rcpt": "451 4.7.1 <{addr}>: Recipient address rejected: Greylisted, try again later"},
    "mailbox-full-452": {"rcpt": "452 4.2.2 <{addr}>: Mailbox full"},
    "recipient-550-5.1.1": {
        "rcpt": "550 5.1.1 <{addr}>: Recipient address rejected: User unknown in local recipient table"
    },
    "relay-denied-5.7.1": {"rcpt": "554 5.7.1 <{addr}>: Relay access denied"},
    "blocklisted-5.7.1": {
        "connect": "554 5.7.1 Service unavailable; client host [127.0.0.1] blocked using a blocklist"
    },
    "spf-5.7.23": {"mail": "550 5.7.23 <{addr}>: SPF validation failed for the sender domain"},
    "rdns-5.7.25": {"mail": "550 5.7.25 The IP address sending this message does not have a PTR record"},
    "dmarc-5.7.26": {
        "data": "550 5.7.26 Unauthenticated email is not accepted due to the sending domain's DMARC policy"
    },
    "data-451": {"data": "451 4.3.0 Temporary local problem, try again later"},
    "sender-denied-5.7.1": {"mail": "553 5.7.1 <{addr}>: Sender address rejected: not owned by user"},
    # Faults of servers and of what sits in front of them (the fault fleet).
    "trickle-greeting": {},  # the greeting a byte at a time (trickle_delay seconds per byte)
    "starttls-garbage": {},  # 220 to STARTTLS, then bytes that are not TLS
    "auth-drop": {},  # AUTH is answered by closing the connection
    "connect-drop": {},  # every connection is closed before the greeting
    "mail-drop": {},  # MAIL is answered by closing the connection
    "data-drop": {},  # the connection is closed while the message is being sent
    "max-recipients-1": {},  # 452 4.5.3 from the second recipient on
    "eightbit-garbage": {"rcpt": "550 5.1.1 <{addr}>: unknown user \xff\xfe\xe9t\xe9 \x8f\x90"},
    "starttls-454": {"starttls": "454 4.7.0 TLS not available due to local problem"},
    "starttls-demanded-530": {"mail": "530 5.7.0 Must issue a STARTTLS command first"},
    "size-552": {"data": "552 5.3.4 Error: message file too big"},
    "sendas-denied-5.2.252": {
        "data": "554 5.2.252 SendAsDenied; mailer@example.org not allowed to send as {addr}; "
        "STOREDRV.Submission.Exception:SendAsDeniedException.MapiExceptionSendAsDenied"
    },
    "mail-denied-550-5.7.1": {"mail": "550 5.7.1 Client does not have permissions to send as this sender"},
    "mixed-multiline": {"mail": "250-2.1.0 Sender syntax OK\r\n550 5.7.1 <{addr}>: Sender address rejected"},
    "malformed-reply": {"mail": "Sender looks fine to me"},
    "ehlo-unknown-502": {"ehlo": "502 5.5.2 Error: command not recognized"},
}

COMMAND_VERBS = {
    b"HELO", b"EHLO", b"STARTTLS", b"AUTH", b"MAIL", b"RCPT", b"DATA", b"RSET", b"NOOP",
    b"QUIT", b"VRFY", b"EXPN", b"HELP", b"BDAT",
}

log = logging.getLogger("smtp_server")


def write_atomic(path, data, mode=0o644):
    directory = os.path.dirname(path) or "."
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data if isinstance(data, bytes) else data.encode("utf-8"))
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


class PemLeaf:
    """A certificate and key in trustme's LeafCert shape, for chains trustme does not build."""

    def __init__(self, cert_pems, key_pem):
        self.cert_chain_pems = [trustme.Blob(pem) for pem in cert_pems]
        self.private_key_pem = trustme.Blob(key_pem)

    def configure_cert(self, ctx):
        with self.private_key_pem.tempfile() as key, \
                trustme.Blob(b"".join(p.bytes() for p in self.cert_chain_pems)).tempfile() as chain:
            ctx.load_cert_chain(chain, key)


def self_signed_leaf(names):
    """A leaf certificate that signs itself (no CA vouches for it), naming names."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])])
    alt = []
    for name in names:
        try:
            alt.append(x509.IPAddress(ipaddress.ip_address(name)))
        except ValueError:
            alt.append(x509.DNSName(name))
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=90))
        .add_extension(x509.SubjectAlternativeName(alt), critical=False)
        .sign(key, hashes.SHA256())
    )
    return PemLeaf(
        [cert.public_bytes(serialization.Encoding.PEM)],
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                          serialization.NoEncryption()),
    )


class Certificates:
    """A trustme CA whose PEM is handed to clients, plus leaf certificates of each kind."""

    def __init__(self, names):
        self.ca = trustme.CA(organization_name="mailops test CA")
        self.rogue_ca = trustme.CA(organization_name="untrusted test CA")
        self.names = names
        self._leaves = {}

    def leaf(self, kind, extra_names=()):
        names = list(self.names) + [n for n in extra_names if n not in self.names]
        cache_key = (kind, tuple(names))
        if cache_key not in self._leaves:
            now = datetime.datetime.now(datetime.UTC).replace(tzinfo=None)
            if kind == "valid":
                leaf = self.ca.issue_cert(*names)
            elif kind == "expired":
                leaf = self.ca.issue_cert(
                    *names,
                    not_before=now - datetime.timedelta(days=60),
                    not_after=now - datetime.timedelta(days=1),
                )
            elif kind == "expiring":
                leaf = self.ca.issue_cert(
                    *names,
                    not_before=now - datetime.timedelta(days=80),
                    not_after=now + datetime.timedelta(days=10),
                )
            elif kind == "wrong_name":
                leaf = self.ca.issue_cert("wrong-name.example.invalid")
            elif kind == "untrusted":
                leaf = self.rogue_ca.issue_cert(*names)
            elif kind == "not_yet_valid":
                leaf = self.ca.issue_cert(
                    *names,
                    not_before=now + datetime.timedelta(days=10),
                    not_after=now + datetime.timedelta(days=100),
                )
            elif kind == "missing_intermediate":
                # Signed by an intermediate of the trusted CA, served without that intermediate.
                full = self.ca.create_child_ca().issue_cert(*names)
                leaf = PemLeaf([full.cert_chain_pems[0].bytes()], full.private_key_pem.bytes())
            elif kind == "self_signed":
                leaf = self_signed_leaf(names)
            else:
                raise ValueError("unknown certificate kind %r (valid: %s)" % (kind, ", ".join(CERTS)))
            self._leaves[cache_key] = leaf
        return self._leaves[cache_key]

    def server_context(self, kind, max_version=None, min_version=None, extra_names=()):
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.leaf(kind, extra_names).configure_cert(ctx)
        versions = {"1.2": ssl.TLSVersion.TLSv1_2, "1.3": ssl.TLSVersion.TLSv1_3}
        if max_version in ("1.0", "1.1"):
            # A legacy server: OpenSSL 3 allows TLS 1.0/1.1 only at security level 0.
            legacy = {"1.0": ssl.TLSVersion.TLSv1, "1.1": ssl.TLSVersion.TLSv1_1}
            ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
            ctx.minimum_version = legacy["1.0"]
            ctx.maximum_version = legacy[max_version]
            return ctx
        if max_version:
            ctx.maximum_version = versions[max_version]
        if min_version:
            ctx.minimum_version = versions[min_version]
        return ctx


class Recorder:
    """Handler: stores messages and answers with the configured behaviour."""

    def __init__(self, spec, directory):
        self.spec = spec
        self.directory = directory
        self.replies = dict(BEHAVIOURS[spec["behaviour"]])
        for item in spec.get("reply", []):
            stage, _sep, text = item.partition("=")
            self.replies[stage.strip().lower()] = text.strip()
        self.remaining = spec.get("fail_times")  # None: the behaviour applies forever
        self.reject_rcpt = {a.lower() for a in spec.get("reject_rcpt", [])}
        self.counter = 0
        os.makedirs(os.path.join(directory, "messages"), exist_ok=True)

    def override(self, stage, addr=""):
        text = self.replies.get(stage)
        if not text:
            return None
        if self.remaining is not None:
            if self.remaining <= 0:
                return None
            self.remaining -= 1
        return text.replace("{addr}", addr or "")

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        reply = self.override("mail", address)
        if reply:
            if self.spec["behaviour"] == "auth-required-530" and session.authenticated:
                reply = None
            if reply:
                return reply
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 2.1.0 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower() in self.reject_rcpt:
            return "550 5.1.1 <%s>: Recipient address rejected: User unknown in local recipient table" % address
        reply = self.override("rcpt", address)
        if reply:
            return reply
        if self.spec["behaviour"] == "max-recipients-1" and envelope.rcpt_tos:
            return "452 4.5.3 Error: too many recipients"
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        reply = self.override("data", envelope.mail_from)
        if reply:
            return reply
        self.counter += 1
        base = os.path.join(self.directory, "messages", "%d" % self.counter)
        content = envelope.original_content or envelope.content
        if isinstance(content, str):
            content = content.encode("utf-8")
        write_atomic(base + ".eml", content)
        meta = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": list(envelope.rcpt_tos),
            "tls": server.tls_active(),
            "tls_version": server.tls_version(),
            "authenticated_user": session_user(session),
            "received_at": time.time(),
            "size": len(content),
        }
        write_atomic(base + ".json", json.dumps(meta, indent=2, sort_keys=True) + "\n")
        return "250 2.0.0 OK queued as %s-%d" % (self.spec["name"], self.counter)


def session_user(session):
    data = getattr(session, "auth_data", None)
    if isinstance(data, LoginPassword):
        login = data.login
        return login.decode("utf-8", "replace") if isinstance(login, bytes) else login
    return None


class RecordingSMTP(SMTP):
    """aiosmtpd SMTP that records a transcript of command verbs and supports stage overrides."""

    def __init__(self, handler, spec, implicit_tls, sessions_file, **kwargs):
        super().__init__(handler, **kwargs)
        self._spec = spec
        self._implicit_tls = implicit_tls
        self._sessions_file = sessions_file
        self._transcript = []
        self._line_buffer = b""
        self._in_data = False

    def tls_active(self):
        return bool(self._implicit_tls or self._tls_protocol is not None)

    def tls_version(self):
        """The negotiated protocol ('TLSv1.3', ...) or None on a clear-text link.

        Remembered once seen: when the peer hangs up, asyncio tears the TLS layer down before
        connection_lost, and the transport can no longer be asked.
        """
        try:
            ssl_object = self.transport.get_extra_info("ssl_object") if self.transport else None
        except AttributeError:  # the TLS layer is gone already
            ssl_object = None
        if ssl_object is not None:
            self._tls_version_seen = ssl_object.version()
        return getattr(self, "_tls_version_seen", None)

    def data_received(self, data):
        if self.tls_active() and getattr(self, "_tls_version_seen", None) is None:
            self.tls_version()
        self._line_buffer += data
        while b"\n" in self._line_buffer:
            line, _sep, self._line_buffer = self._line_buffer.partition(b"\n")
            line = line.rstrip(b"\r")
            if self._in_data and self._spec["behaviour"] == "data-drop":
                # Hang up in the middle of the message, before any reply to it.
                self._transcript.append({"verb": "DROPPED-IN-DATA", "tls": self.tls_active()})
                self.transport.close()
                return
            if self._in_data:
                if line == b".":
                    self._in_data = False
                continue
            verb = line.split(b" ", 1)[0].upper()
            if verb in COMMAND_VERBS:
                entry = {"verb": verb.decode("ascii"), "tls": self.tls_active()}
                if verb == b"AUTH":
                    parts = line.split(b" ")
                    if len(parts) > 1:
                        entry["mechanism"] = parts[1].decode("ascii", "replace").upper()
                self._transcript.append(entry)
        super().data_received(data)

    async def push(self, status):
        text = status.decode("utf-8", "replace") if isinstance(status, bytes) else status
        if text.startswith("354"):
            self._in_data = True
        if self._spec["behaviour"] == "eightbit-garbage" and isinstance(status, str):
            # Raw 8-bit bytes that are not UTF-8, as some legacy servers send.
            status = status.encode("latin-1", "replace")
        await super().push(status)

    async def _handle_client(self):
        delay = self._spec.get("banner_delay") or 0
        if delay:
            await asyncio.sleep(delay)
        if self._spec["behaviour"] == "connect-drop":
            self.transport.close()
            return
        if self._spec["behaviour"] == "trickle-greeting":
            for byte in b"220 mail.test.invalid ESMTP a greeting sent one byte at a time\r\n":
                if self.transport is None or self.transport.is_closing():
                    return
                self.transport.write(bytes([byte]))
                await asyncio.sleep(self._spec["trickle_delay"])
            self.transport.close()
            return
        reply = self.event_handler.override("connect", "")
        if reply:
            await self.push(reply)
            self.transport.close()
            return
        await super()._handle_client()

    async def smtp_EHLO(self, hostname):
        reply = self.event_handler.override("ehlo", "")
        if reply:
            await self.push(reply)
            return
        await super().smtp_EHLO(hostname)

    async def smtp_STARTTLS(self, arg):
        reply = self.event_handler.override("starttls", "")
        if reply:
            await self.push(reply)
            return
        if self._spec["behaviour"] == "starttls-garbage":
            # What an intercepting proxy without TLS support does: agree, then answer the
            # ClientHello with something else.
            await self.push("220 2.0.0 Ready to start TLS")
            self.transport.write(b"HTTP/1.0 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
            return
        await super().smtp_STARTTLS(arg)

    async def smtp_AUTH(self, arg):
        if self._spec["behaviour"] == "auth-drop":
            self.transport.close()
            return
        await super().smtp_AUTH(arg)

    async def smtp_MAIL(self, arg):
        if self._spec["behaviour"] == "mail-drop":
            self.transport.close()
            return
        await super().smtp_MAIL(arg)

    def connection_lost(self, error):
        record = {
            "peer": list(self.session.peer) if self.session and self.session.peer else None,
            "ended_at": time.time(),
            "commands": self._transcript,
            "tls": self.tls_active(),
            "tls_version": self.tls_version(),
            "authenticated_user": session_user(self.session) if self.session else None,
        }
        try:
            with open(self._sessions_file, "a") as handle:
                handle.write(json.dumps(record, sort_keys=True) + "\n")
        except OSError:  # pragma: no cover - the state dir was removed under us
            pass
        super().connection_lost(error)


def make_authenticator(spec, handler):
    expected = spec.get("auth")

    def authenticator(server, session, envelope, mechanism, auth_data):
        reply = handler.override("auth", "")
        if reply:
            return AuthResult(success=False, handled=False, message=reply)
        if not expected or not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        user, _sep, password = expected.partition(":")
        login = auth_data.login.decode("utf-8", "replace")
        given = auth_data.password.decode("utf-8", "replace")
        if login == user and given == password:
            return AuthResult(success=True, auth_data=auth_data)
        return AuthResult(success=False, handled=False)

    return authenticator


def normalise_spec(raw):
    spec = {
        "name": raw["name"],
        "mode": raw.get("mode", "plain"),
        "host": raw.get("host", "127.0.0.1"),
        "port": int(raw.get("port", 0)),
        "require_starttls": bool(raw.get("require_starttls", False)),
        "auth": raw.get("auth"),
        "auth_mechanisms": raw.get("auth_mechanisms") or ["PLAIN", "LOGIN"],
        "auth_in_clear": bool(raw.get("auth_in_clear", False)),
        "cert": raw.get("cert", "valid"),
        "behaviour": raw.get("behaviour", "normal"),
        "reply": list(raw.get("reply") or []),
        "reject_rcpt": list(raw.get("reject_rcpt") or []),
        "fail_times": raw.get("fail_times"),
        "banner_delay": float(raw.get("banner_delay") or 0),
        "tls_max_version": raw.get("tls_max_version"),
        "tls_min_version": raw.get("tls_min_version"),
        "hostname": raw.get("hostname", "mail.test.invalid"),
        "size_limit": int(raw.get("size_limit", 33554432)),
        "cert_names": list(raw.get("cert_names") or []),
        "smtputf8": bool(raw.get("smtputf8", True)),
        "trickle_delay": float(raw.get("trickle_delay", 0.5)),
    }
    if isinstance(spec["auth_mechanisms"], str):
        spec["auth_mechanisms"] = [m for m in spec["auth_mechanisms"].split(",") if m]
    spec["auth_mechanisms"] = [m.strip().upper() for m in spec["auth_mechanisms"]]
    if spec["mode"] not in MODES:
        raise SystemExit("server %s: mode must be one of %s" % (spec["name"], ", ".join(MODES)))
    if spec["cert"] not in CERTS:
        raise SystemExit("server %s: cert must be one of %s" % (spec["name"], ", ".join(CERTS)))
    for key in ("tls_max_version", "tls_min_version"):
        if spec[key] is not None and spec[key] not in TLS_VERSIONS:
            raise SystemExit("server %s: %s must be one of %s" % (spec["name"], key, ", ".join(TLS_VERSIONS)))
    if spec["behaviour"] not in BEHAVIOURS:
        raise SystemExit(
            "server %s: behaviour must be one of %s" % (spec["name"], ", ".join(sorted(BEHAVIOURS)))
        )
    for item in spec["reply"]:
        if item.partition("=")[0].strip().lower() not in STAGES:
            raise SystemExit("server %s: --reply must be STAGE=TEXT with STAGE in %s" % (spec["name"], ", ".join(STAGES)))
    for mech in spec["auth_mechanisms"]:
        if mech not in ("PLAIN", "LOGIN"):
            raise SystemExit("server %s: auth mechanisms must be PLAIN and/or LOGIN" % spec["name"])
    return spec


def spki_sha256(cert_pem):
    """SHA-256 of the DER certificate and of its SubjectPublicKeyInfo (for TLSA 3 0 1 / 3 1 1)."""
    try:
        from cryptography import x509
        from cryptography.hazmat.primitives import serialization
    except ImportError:  # pragma: no cover
        return None, None
    cert = x509.load_pem_x509_certificate(cert_pem)
    der = cert.public_bytes(serialization.Encoding.DER)
    spki = cert.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return hashlib.sha256(der).hexdigest(), hashlib.sha256(spki).hexdigest()


class Blackhole:
    """A listening socket whose accept queue is full and never drained.

    The kernel then drops further SYNs, so clients time out in connect() exactly as behind a
    firewall that drops packets (the usual fate of outbound port 25).
    """

    def __init__(self, host, port):
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.listener = socket.socket(family, socket.SOCK_STREAM)
        self.listener.bind((host, port))
        self.listener.listen(0)
        self.sockets = [self.listener]
        self.fillers = []
        address = self.listener.getsockname()[:2]
        for _index in range(4):
            filler = socket.socket(family, socket.SOCK_STREAM)
            filler.setblocking(False)
            try:
                filler.connect(address)
            except (BlockingIOError, InterruptedError):
                pass
            self.fillers.append(filler)

    def close(self):
        for sock in self.fillers + [self.listener]:
            sock.close()

    async def wait_closed(self):
        return None


async def start_listener(spec, state_dir, certs):
    name = spec["name"]
    directory = os.path.join(state_dir, name)
    os.makedirs(directory, exist_ok=True)
    if spec["mode"] == "blackhole":
        server = Blackhole(spec["host"], spec["port"])
        info = {"name": name, "host": spec["host"], "port": server.listener.getsockname()[1], "mode": "blackhole",
                "pid": os.getpid(), "ca_file": None}
        write_atomic(os.path.join(state_dir, "%s.json" % name), json.dumps(info, indent=2, sort_keys=True) + "\n")
        return server, info
    handler = Recorder(spec, directory)
    sessions_file = os.path.join(directory, "sessions.jsonl")
    ctx = None
    if spec["mode"] != "plain":
        ctx = certs.server_context(spec["cert"], spec["tls_max_version"], spec["tls_min_version"],
                                   spec["cert_names"])
    implicit = spec["mode"] == "tls"
    excluded = [m for m in ("PLAIN", "LOGIN") if m not in spec["auth_mechanisms"]]
    loop = asyncio.get_running_loop()

    def factory():
        return RecordingSMTP(
            handler,
            spec,
            implicit,
            sessions_file,
            hostname=spec["hostname"],
            ident="mailops test server",
            data_size_limit=spec["size_limit"],
            enable_SMTPUTF8=spec["smtputf8"],
            tls_context=ctx if spec["mode"] == "starttls" else None,
            require_starttls=spec["require_starttls"] and spec["mode"] == "starttls",
            authenticator=make_authenticator(spec, handler),
            auth_require_tls=spec["mode"] == "starttls" and not spec["auth_in_clear"],
            auth_exclude_mechanism=excluded,
            loop=loop,
        )

    server = await loop.create_server(
        factory, host=spec["host"], port=spec["port"], ssl=ctx if implicit else None
    )
    port = server.sockets[0].getsockname()[1]
    ca_file = os.path.join(state_dir, "%s-ca.pem" % name)
    write_atomic(ca_file, certs.ca.cert_pem.bytes())
    info = {
        "name": name,
        "host": spec["host"],
        "port": port,
        "mode": spec["mode"],
        "cert": spec["cert"] if spec["mode"] != "plain" else None,
        "behaviour": spec["behaviour"],
        "ca_file": ca_file,
        "pid": os.getpid(),
        "messages_dir": os.path.join(directory, "messages"),
        "sessions_file": sessions_file,
    }
    if spec["mode"] != "plain":
        leaf = certs.leaf(spec["cert"], spec["cert_names"])
        chain_pem = b"".join(blob.bytes() for blob in leaf.cert_chain_pems)
        cert_file = os.path.join(state_dir, "%s-cert.pem" % name)
        write_atomic(cert_file, chain_pem)
        info["cert_file"] = cert_file
        info["cert_sha256"], info["spki_sha256"] = spki_sha256(leaf.cert_chain_pems[0].bytes())
    write_atomic(os.path.join(state_dir, "%s.json" % name), json.dumps(info, indent=2, sort_keys=True) + "\n")
    return server, info


async def serve(specs, state_dir):
    names = ["localhost", "127.0.0.1", "::1"]
    certs = Certificates(names)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    servers = []
    try:
        for spec in specs:
            server, info = await start_listener(spec, state_dir, certs)
            servers.append((server, info))
            log.info("listening: %s", json.dumps(info, sort_keys=True))
        await stop.wait()
    finally:
        for server, info in servers:
            server.close()
            try:
                os.unlink(os.path.join(state_dir, "%s.json" % info["name"]))
            except OSError:
                pass
        for server, _info in servers:
            await server.wait_closed()


def wait_ready(state_dir, names, timeout):
    deadline = time.monotonic() + timeout
    infos = {}
    while time.monotonic() < deadline:
        for name in names:
            if name in infos:
                continue
            path = os.path.join(state_dir, "%s.json" % name)
            try:
                with open(path) as handle:
                    info = json.load(handle)
            except (OSError, ValueError):
                continue
            infos[name] = info
        if len(infos) == len(names):
            return infos
        time.sleep(0.05)
    missing = sorted(set(names) - set(infos))
    raise SystemExit("smtp_server: not ready after %ss: %s" % (timeout, ", ".join(missing)))


def stop_servers(state_dir, names, timeout):
    pids = set()
    for name in names:
        try:
            with open(os.path.join(state_dir, "%s.json" % name)) as handle:
                pids.add(json.load(handle)["pid"])
        except (OSError, ValueError, KeyError):
            continue
    for pid in pids:
        try:
            os.kill(pid, signal.SIGTERM)
        except OSError:
            continue
    deadline = time.monotonic() + timeout
    for pid in pids:
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except OSError:
                break
            time.sleep(0.05)


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--state-dir", required=True, help="directory for NAME.json, CA files, messages")
    parser.add_argument("--config", help="JSON file: a list of server objects (keys as the options below)")
    parser.add_argument("--name", help="server name (file names derive from it)")
    parser.add_argument("--mode", choices=MODES, default="plain")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--require-starttls", action="store_true",
                        help="starttls mode: refuse everything but EHLO/STARTTLS/QUIT before TLS")
    parser.add_argument("--auth", metavar="USER:PASSWORD", help="accept AUTH with these credentials")
    parser.add_argument("--auth-mechanisms", default="PLAIN,LOGIN")
    parser.add_argument("--auth-in-clear", action="store_true",
                        help="starttls mode: advertise AUTH before STARTTLS as well")
    parser.add_argument("--cert", choices=CERTS, default="valid")
    parser.add_argument("--cert-name", action="append", default=[], metavar="NAME",
                        help="extra DNS name in the certificate (besides localhost, 127.0.0.1, ::1); repeatable")
    parser.add_argument("--behaviour", choices=sorted(BEHAVIOURS), default="normal")
    parser.add_argument("--reply", action="append", default=[], metavar="STAGE=TEXT",
                        help="answer STAGE (%s) with TEXT; repeatable" % ", ".join(STAGES))
    parser.add_argument("--reject-rcpt", action="append", default=[], metavar="ADDRESS",
                        help="refuse this recipient with 550 5.1.1; repeatable")
    parser.add_argument("--fail-times", type=int, default=None,
                        help="apply the behaviour/reply this many times, then behave normally")
    parser.add_argument("--banner-delay", type=float, default=0.0)
    parser.add_argument("--tls-max-version", choices=TLS_VERSIONS)
    parser.add_argument("--tls-min-version", choices=TLS_VERSIONS)
    parser.add_argument("--background", action="store_true",
                        help="start detached, wait until ready, print NAME.json(s) and exit")
    parser.add_argument("--wait", type=float, metavar="SECONDS",
                        help="do not start: wait until the named server(s) are ready, print their JSON")
    parser.add_argument("--stop", action="store_true", help="do not start: SIGTERM the named server(s)")
    parser.add_argument("--verbose", action="store_true")
    return parser.parse_args(argv)


def specs_from_args(args):
    if args.config:
        with open(args.config) as handle:
            raw = json.load(handle)
        if isinstance(raw, dict):
            raw = raw.get("servers", [])
        return [normalise_spec(item) for item in raw]
    if not args.name:
        raise SystemExit("smtp_server: --name or --config is required")
    return [normalise_spec({
        "name": args.name,
        "mode": args.mode,
        "host": args.host,
        "port": args.port,
        "require_starttls": args.require_starttls,
        "auth": args.auth,
        "auth_mechanisms": args.auth_mechanisms,
        "auth_in_clear": args.auth_in_clear,
        "cert": args.cert,
        "behaviour": args.behaviour,
        "reply": args.reply,
        "reject_rcpt": args.reject_rcpt,
        "fail_times": args.fail_times,
        "banner_delay": args.banner_delay,
        "tls_max_version": args.tls_max_version,
        "tls_min_version": args.tls_min_version,
        "cert_names": args.cert_name,
    })]


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    state_dir = os.path.abspath(args.state_dir)
    os.makedirs(state_dir, exist_ok=True)
    specs = specs_from_args(args)
    names = [s["name"] for s in specs]
    if args.stop:
        stop_servers(state_dir, names, 10)
        return 0
    if args.wait is not None:
        print(json.dumps(wait_ready(state_dir, names, args.wait), indent=2, sort_keys=True))
        return 0
    for name in names:
        try:
            os.unlink(os.path.join(state_dir, "%s.json" % name))
        except OSError:
            pass
    if args.background:
        child_argv = [a for a in argv if a != "--background"]
        log_path = os.path.join(state_dir, "%s.log" % (args.name or "servers"))
        with open(log_path, "ab") as log_file:
            proc = subprocess.Popen(  # pylint: disable=consider-using-with
                [sys.executable, os.path.abspath(__file__)] + child_argv,
                stdin=subprocess.DEVNULL, stdout=log_file, stderr=log_file, start_new_session=True,
            )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise SystemExit("smtp_server: exited with %s, see %s" % (proc.returncode, log_path))
            try:
                infos = wait_ready(state_dir, names, 0.2)
            except SystemExit:
                continue
            print(json.dumps(infos, indent=2, sort_keys=True))
            return 0
        proc.terminate()
        raise SystemExit("smtp_server: not ready after 30s, see %s" % log_path)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(name)s %(levelname)s %(message)s",
    )
    # aiosmtpd logs every connection at INFO; the benchmark opens thousands.
    logging.getLogger("mail.log").setLevel(logging.INFO if args.verbose else logging.ERROR)
    asyncio.run(serve(specs, state_dir))
    return 0


if __name__ == "__main__":
    sys.exit(main())
