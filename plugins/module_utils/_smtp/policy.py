# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Link policy: what a connector's security settings allow at each step of a session.

Private to the collection: may change without notice. Pure decisions (no network), so the
rules that keep credentials off clear-text links are unit-tested on their own.
"""

from __future__ import annotations

import functools
import ssl
import warnings

from ansible_collections.mailops.smtp.plugins.module_utils._model import is_loopback
from ansible_collections.mailops.smtp.plugins.module_utils._smtp.classification import SessionPolicyError

# Preference when auth.mechanisms is not declared: CRAM-MD5 never puts the password on the
# wire, PLAIN is one round trip, LOGIN is the legacy fallback.
DEFAULT_MECHANISMS = ("CRAM-MD5", "PLAIN", "LOGIN")
SUPPORTED_MECHANISMS = frozenset(DEFAULT_MECHANISMS)

_TLS_VERSIONS = {
    "1.2": ssl.TLSVersion.TLSv1_2,
    "1.3": ssl.TLSVersion.TLSv1_3,
}

TLS_VERSION_NAMES = {
    "TLSv1": "1.0",
    "TLSv1.1": "1.1",
    "TLSv1.2": "1.2",
    "TLSv1.3": "1.3",
}


def tls_settings(connector):
    tls = connector.get("tls") or {}
    return {
        "verify": tls.get("verify", True) is not False,
        "ca_file": tls.get("ca_file"),
        "server_name": tls.get("server_name"),
        "min_version": tls.get("min_version") or "1.2",
    }


def server_name(connector):
    """The name verified in the certificate and sent as SNI: tls.server_name, else host."""
    name = tls_settings(connector)["server_name"]
    return name or str(connector["host"]).strip("[]")


def tls_context(connector, verify=None, min_version=None):
    """An SSLContext that applies tls.verify, tls.ca_file and tls.min_version.

    verify/min_version override the connector (tls_check observes what the server offers
    with verification off after a verified attempt failed). Contexts are shared between
    connectors with the same settings: loading a trust store costs more than a handshake.
    """
    settings = tls_settings(connector)
    do_verify = settings["verify"] if verify is None else verify
    return _context(bool(do_verify), settings["ca_file"], min_version or settings["min_version"])


@functools.lru_cache(maxsize=64)
def _context(verify, ca_file, min_version):
    if verify:
        ctx = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=ca_file)
        ctx.check_hostname = True
        ctx.verify_mode = ssl.CERT_REQUIRED
    else:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    ctx.minimum_version = _TLS_VERSIONS[min_version]
    return ctx


@functools.lru_cache(maxsize=1)
def lenient_context():
    """A client context that agrees to anything a server offers (TLS 1.0 up, weak ciphers, no
    verification). Used only to find out what a server can do after a real attempt failed;
    nothing is ever sent over it but EHLO and STARTTLS."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    try:
        with warnings.catch_warnings():
            # Deprecated for connections that carry data; here it only measures the server.
            warnings.simplefilter("ignore", DeprecationWarning)
            ctx.minimum_version = ssl.TLSVersion.TLSv1
        # OpenSSL 3 refuses TLS 1.0/1.1 at the default security level.
        ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
    except (ValueError, ssl.SSLError):  # pragma: no cover - an OpenSSL built without them
        pass
    return ctx


def version_at_least(negotiated, minimum):
    """True when a negotiated protocol name (TLSv1.2) is at least a model version ("1.2")."""
    have = TLS_VERSION_NAMES.get(negotiated)
    if have is None:
        return False
    return tuple(int(x) for x in have.split(".")) >= tuple(int(x) for x in minimum.split("."))


def parse_capabilities(extensions, size_text=None):
    """Summarise EHLO keywords (a dict keyword->parameters, lower-case keys) for the report."""
    ext = dict((k.lower(), v or "") for k, v in (extensions or {}).items())
    size = None
    raw_size = ext.get("size", size_text)
    if raw_size:
        try:
            size = int(str(raw_size).split()[0])
        except (ValueError, IndexError):
            size = None
    auth = sorted(set(m.upper() for m in ext.get("auth", "").split())) if "auth" in ext else []
    return {
        "keywords": sorted(k.upper() for k in ext),
        "size_limit": size,
        "auth_mechanisms": auth,
        "starttls": "starttls" in ext,
        "pipelining": "pipelining" in ext,
        "8bitmime": "8bitmime" in ext,
        "smtputf8": "smtputf8" in ext,
        "chunking": "chunking" in ext,
        "dsn": "dsn" in ext,
        "enhancedstatuscodes": "enhancedstatuscodes" in ext,
    }


def starttls_decision(connector, advertised):
    """What to do after the first EHLO on a connector with security starttls.

    Returns "upgrade" or "clear"; raises SessionPolicyError when STARTTLS is required but
    not advertised (the session ends before AUTH or MAIL is sent).
    """
    if advertised:
        return "upgrade"
    if connector.get("starttls", "required") == "required":
        raise SessionPolicyError(
            "starttls_unavailable",
            "STARTTLS is required but the server does not advertise it",
            "The server did not offer STARTTLS, so nothing more was sent. Either the server is "
            "misconfigured (TLS not enabled on this port) or something on the path strips STARTTLS "
            "from the EHLO reply. Check the server's TLS setup; try security: tls on port 465.",
            "starttls",
        )
    return "clear"


def check_auth_allowed(connector, encrypted, fell_back):
    """Raise unless credentials may be sent on this link.

    encrypted: the link is TLS now. fell_back: starttls opportunistic found no STARTTLS.
    security none is an explicit choice: allowed to loopback or with allow_plaintext_auth,
    as the validator allows it. An opportunistic fallback is never what the user planned, so
    it needs allow_plaintext_auth even on loopback.
    """
    if encrypted:
        return
    allowed = bool(connector.get("allow_plaintext_auth"))
    if not fell_back and connector.get("security") == "none" and is_loopback(connector.get("host")):
        allowed = True
    if allowed:
        return
    raise SessionPolicyError(
        "plaintext_auth_refused",
        "credentials were not sent: the link is not encrypted",
        "The link is not encrypted (the server offered no STARTTLS), so the credentials were not "
        "sent. Ask the server's operator to enable STARTTLS, use security: tls, or set "
        "allow_plaintext_auth: true only for a network you trust.",
        "auth",
    )


def choose_mechanism(declared, offered):
    """The first declared (or default-preference) mechanism the server offers."""
    offered = [m.upper() for m in offered or []]
    wanted = [m.upper() for m in (declared or DEFAULT_MECHANISMS)]
    for mech in wanted:
        if mech in offered and mech in SUPPORTED_MECHANISMS:
            return mech
    if not offered:
        hint = ("The server does not advertise AUTH on this link. If it offers AUTH only after "
                "STARTTLS, use security: starttls; if it needs no authentication, remove auth.")
    else:
        hint = ("None of the mechanisms %s is offered; the server offers %s. Set auth.mechanisms to one "
                "of those." % (", ".join(wanted), ", ".join(offered)))
    raise SessionPolicyError("auth", "no usable authentication mechanism", hint, "auth")
