# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Turn an SMTP reply or a connection exception into a category, a retry decision and a hint.

Private to the collection: may change without notice. Pure logic, standard library only;
aiosmtplib exceptions are recognised by duck typing (code/message attributes, class names),
so this file imports nothing from it. The table is documented in docs/troubleshooting.md.
"""

from __future__ import annotations

import asyncio
import re
import socket
import ssl

CATEGORIES = (
    "dns",
    "connection",
    "tls_mode",
    "tls_certificate",
    "tls_protocol",
    "starttls_unavailable",
    "starttls_not_enforced",
    "plaintext_auth_refused",
    "auth",
    "throttled",
    "recipient",
    "sender",
    "policy",
    "message",
    "dane",
    "protocol",
)
"""Every category a result can carry, in documentation order."""

STAGES = ("dns", "connect", "tls", "banner", "ehlo", "starttls", "auth", "mail", "rcpt", "data", "quit")

# aiosmtplib names the port None when handed a connected socket; the result carries the port.
_PORTLESS = re.compile(r"^Error connecting to \S+ on port None: ")
_ENHANCED = re.compile(r"^\s*([245])\.(\d{1,3})\.(\d{1,3})\b")


class SessionPolicyError(Exception):
    """Raised by the engine when the declared policy forbids going on (nothing unsafe was sent)."""

    def __init__(self, category, message, hint, stage):
        super().__init__(message)
        self.category = category
        self.hint = hint
        self.stage = stage


def enhanced_code(message):
    """The RFC 3463 enhanced status code at the start of a reply text, or None."""
    if not message:
        return None
    match = _ENHANCED.match(message)
    if not match:
        return None
    return "%s.%s.%s" % match.groups()


def result(category, stage, hint, retryable=False, smtp_code=None, enhanced=None, message=None):
    return {
        "category": category,
        "retryable": bool(retryable),
        "stage": stage,
        "smtp_code": smtp_code,
        "enhanced_code": enhanced,
        "message": message,
        "hint": hint,
    }


# Hints for enhanced codes that mean one precise thing, whatever the stage.
_ENHANCED_HINTS = {
    "5.7.8": ("auth", "The server rejected the username or password (535 5.7.8). Check auth.username and "
              "auth.password; for a mailbox with two-factor sign-in use an app password."),
    "5.7.9": ("auth", "The server wants an application-specific password (534 5.7.9), as Google and others "
              "do for accounts with two-factor sign-in: create an app password and put it in auth.password."),
    "5.7.139": ("auth", "Basic authentication (SMTP AUTH) is disabled for this tenant or mailbox. Enable "
                "authenticated SMTP for the mailbox in the provider's admin centre, or use a relay connector."),
    "5.7.3": ("auth", "Authentication unsuccessful (5.7.3): wrong credentials, or SMTP AUTH is disabled for "
              "this mailbox. Check auth.username, auth.password and the mailbox's SMTP AUTH setting."),
    "5.7.11": ("auth", "The server only accepts AUTH on an encrypted link (538 5.7.11). Use security: "
               "starttls or tls instead of none."),
    "5.7.23": ("policy", "SPF validation failed (5.7.23): the sending host is not in the SPF record of the "
               "sender's domain. Add this relay to the domain's SPF record (see mailops.smtp.dns_check)."),
    "5.7.24": ("policy", "The SPF record of the sender's domain could not be evaluated (5.7.24): fix the "
               "record's syntax or DNS errors."),
    "5.7.25": ("policy", "The sending IP address has no valid reverse DNS (PTR) record (5.7.25): ask the "
               "owner of the address to set a PTR that resolves back to it."),
    "5.7.26": ("policy", "The message failed DMARC/DKIM/SPF authentication (5.7.26): sign with DKIM for "
               "the sender domain and align SPF, or send through the domain's own servers."),
    "5.7.27": ("policy", "The sender address has a null MX (5.7.27): that domain does not accept mail, so "
               "it cannot be used as a sender. Choose another senders address."),
    "5.7.0": ("auth", "The server requires authentication before accepting mail (530 5.7.0): add auth with "
              "username and password to the connector."),
}

_AUTH_HINTS = {
    535: "The server rejected the credentials (535). Check auth.username and auth.password.",
    534: "The server wants a different authentication method or an app password (534).",
    530: "The server requires authentication (530): add auth to the connector.",
    538: "The server only accepts AUTH over an encrypted link (538): use security starttls or tls.",
    454: "Temporary authentication failure on the server side (454): retried; if it persists, contact "
         "the provider.",
    504: "The server does not accept this authentication mechanism (504): set auth.mechanisms to one "
         "the server advertises.",
}


def classify_reply(code, message, stage):
    """Classify an SMTP reply (code, text) received at a stage of the session."""
    text = (message or "").strip()
    enhanced = enhanced_code(text)
    lowered = text.lower()
    code = int(code) if code is not None else None

    def out(category, hint, retryable=False):
        return result(category, stage, hint, retryable, code, enhanced, text)

    if code is None:
        return out("protocol", "The server closed the session without a reply.")

    if code == 421 or (400 <= code < 500 and stage not in ("auth", "starttls")):
        if enhanced == "4.2.2" or code == 452:
            hint = ("The server is temporarily short of resources or the mailbox is full (%s). "
                    "Retried with backoff; if it persists, contact the recipient's provider." % code)
        elif "greylist" in lowered or "grey" in lowered or "gray" in lowered:
            hint = ("The server greylists unknown senders (%s): a retry after a few minutes is normally "
                    "accepted. Real delivery retries; raise retries or retry_delay for the check." % code)
        else:
            hint = ("The server is throttling or temporarily unavailable (%s): too many connections or "
                    "messages. Retried with backoff; lower delivery.throttle_per_second or concurrency, "
                    "or check the account's sending limits." % code)
        return out("throttled", hint, retryable=True)

    if code == 530 and "starttls" in lowered:
        return out("tls_mode", "The server requires STARTTLS before this command (%s): the connector uses "
                   "security: none. Use security: starttls (or tls on port 465)." % code)

    if enhanced in _ENHANCED_HINTS:
        category, hint = _ENHANCED_HINTS[enhanced]
        if enhanced == "5.7.0" and stage not in ("mail", "rcpt", "auth", "data"):
            category, hint = "policy", "The server refused the session for policy reasons (5.7.0)."
        return out(category, hint)

    if stage == "auth" or code in (530, 534, 535, 538):
        hint = _AUTH_HINTS.get(code, "The server refused authentication (%s)." % code)
        if "basic authentication is disabled" in lowered or "smtpclientauthentication" in lowered:
            hint = _ENHANCED_HINTS["5.7.139"][1]
        return out("auth", hint, retryable=code == 454)

    if stage == "starttls":
        return out("starttls_unavailable",
                   "The server advertised STARTTLS but refused to start it (%s): a server-side TLS "
                   "misconfiguration. Ask the server's operator to check its certificate setup." % code,
                   retryable=code == 454)

    if enhanced and enhanced.startswith(("5.1.", "5.2.")):
        if stage == "mail":
            return out("sender", "The server refused the sender address (%s %s): use a sender the account "
                       "may send as (often the authenticated mailbox) in senders." % (code, enhanced))
        return out("recipient", "The server refused the recipient (%s %s): check the address in test.to "
                   "(unknown user, mailbox disabled or full)." % (code, enhanced))

    if enhanced and enhanced.startswith("5.7."):
        if "relay" in lowered:
            hint = ("Relaying denied (%s %s): the server does not relay for this client. Authenticate "
                    "(auth), or ask its operator to allow this host." % (code, enhanced))
        elif "block" in lowered or "listed" in lowered or "spamhaus" in lowered or "reputation" in lowered:
            hint = ("The client address is blocklisted (%s %s): check the sending IP on public "
                    "blocklists (mailops.smtp.dns_check dnsbl) and request delisting." % (code, enhanced))
        elif stage == "mail":
            hint = ("The server refused this sender (%s %s): the account may only send as its own "
                    "address or domain; set senders accordingly." % (code, enhanced))
        else:
            hint = "The server refused the transaction for policy reasons (%s %s)." % (code, enhanced)
        return out("policy", hint)

    if code == 552 or enhanced in ("5.3.4", "5.2.3"):
        return out("message", "The message is larger than the server accepts (%s): check the SIZE "
                   "limit in the probe's EHLO capabilities and attachments.max_size_mb." % code)

    if code in (550, 551, 553) and stage == "rcpt":
        return out("recipient", "The server refused the recipient (%s): check the address in test.to." % code)
    if code in (550, 553) and stage == "mail":
        return out("sender", "The server refused the sender address (%s): use an address the account "
                   "may send as." % code)
    if code == 554 and stage in ("banner", "connect"):
        return out("policy", "The server refused the connection (554): the client address is probably "
                   "blocklisted or not allowed. Check with the server's operator.")
    if code == 554 and "relay" in lowered:
        return out("policy", "Relaying denied (554): authenticate, or ask the operator to allow this host.")
    return out("protocol", "Unexpected reply %s at stage %s; see message for the server's words." % (code, stage))


def _chain(exc):
    """The exception and its causes, innermost last."""
    seen = []
    while exc is not None and exc not in seen:
        seen.append(exc)
        exc = exc.__cause__ or exc.__context__
    return seen


def _ssl_hint_for_verification(err):
    code = getattr(err, "verify_code", None)
    text = (getattr(err, "verify_message", None) or str(err)).lower()
    if code == 10 or "expired" in text:
        return ("The server's certificate has expired: the server's operator must renew it. "
                "(tls.verify: false would hide this; do not.)")
    if code == 9 or "not yet valid" in text:
        return "The server's certificate is not valid yet: check the clocks of both machines."
    if code == 62 or "hostname mismatch" in text or "ip address mismatch" in text:
        return ("The certificate does not name the host connected to. Connect by the name on the "
                "certificate, or set tls.server_name to it when host is an IP address.")
    if code in (18, 19, 20, 21, 2) or "self-signed" in text or "self signed" in text or "issuer" in text:
        return ("The certificate is not signed by a trusted CA. For a private CA set tls.ca_file to its "
                "PEM bundle; otherwise the server must present its full chain from a public CA.")
    return "The server's certificate failed verification: %s." % (getattr(err, "verify_message", None) or err)


def classify_exception(exc, stage, security="starttls"):
    """Classify an exception raised at a stage of the session."""
    if isinstance(exc, SessionPolicyError):
        return result(exc.category, exc.stage or stage, exc.hint, message=str(exc))

    code = getattr(exc, "code", None)
    if isinstance(code, int) and hasattr(exc, "message") and 200 <= code < 600:
        reply_stage = stage
        if type(exc).__name__ == "SMTPConnectResponseError":
            reply_stage = "banner"
        return classify_reply(code, getattr(exc, "message", ""), reply_stage)

    chain = _chain(exc)
    text = _PORTLESS.sub("", str(exc)) or next((str(e) for e in chain if str(e)), type(exc).__name__)

    for err in chain:
        if isinstance(err, socket.gaierror):
            temporary = getattr(err, "errno", None) == getattr(socket, "EAI_AGAIN", -3)
            return result("dns", "dns",
                          "The host name does not resolve%s: check the spelling of host, and that this "
                          "machine's resolver can see it (internal names need internal DNS)."
                          % (" (temporary resolver failure)" if temporary else ""),
                          retryable=temporary, message=text)

    for err in chain:
        if isinstance(err, ssl.SSLCertVerificationError):
            return result("tls_certificate", stage, _ssl_hint_for_verification(err), message=text)
    for err in chain:
        if isinstance(err, ssl.CertificateError):
            return result("tls_certificate", stage, _ssl_hint_for_verification(err), message=text)

    for err in chain:
        if isinstance(err, ssl.SSLError):
            reason = (getattr(err, "reason", None) or str(err)).upper()
            if "WRONG_VERSION_NUMBER" in reason or "RECORD_LAYER_FAILURE" in reason or \
                    "PACKET_LENGTH_TOO_LONG" in reason or "HTTP_REQUEST" in reason:
                return result("tls_mode", stage, _tls_mode_hint(security, "wrong version number"), message=text)
            if "PROTOCOL_VERSION" in reason or "UNSUPPORTED_PROTOCOL" in reason or \
                    "NO_PROTOCOLS_AVAILABLE" in reason or "VERSION_TOO_LOW" in reason:
                return result("tls_protocol", stage,
                              "Client and server share no TLS protocol version: the server offers only "
                              "versions below tls.min_version (or above what this client supports). "
                              "Upgrade the server, or lower tls.min_version if policy allows.", message=text)
            if "HANDSHAKE_FAILURE" in reason or "NO_SHARED_CIPHER" in reason:
                return result("tls_protocol", stage,
                              "The TLS handshake failed: no common cipher or protocol settings.", message=text)
            return result("tls_mode", stage, _tls_mode_hint(security, reason.lower()), message=text)

    name = type(exc).__name__
    lowered = text.lower()
    timeout = any(isinstance(e, (TimeoutError, asyncio.TimeoutError)) or "timed out" in str(e).lower()
                  or type(e).__name__ in ("SMTPConnectTimeoutError", "SMTPReadTimeoutError", "SMTPTimeoutError")
                  for e in chain)
    if timeout:
        if stage == "dns":
            return result("dns", "dns",
                          "The resolver did not answer in time: check this machine's DNS configuration "
                          "(internal names need internal DNS).", retryable=True, message=text or "timed out")
        if stage in ("banner", "tls") or "ready message" in lowered or "greeting" in lowered:
            if security == "starttls" or security == "none":
                return result("tls_mode", stage, _tls_mode_hint(security, "no greeting"),
                              retryable=False, message=text)
            return result("connection", stage,
                          "The server accepted the connection but sent no TLS handshake or greeting in "
                          "time: it may be overloaded, or port and security do not match.",
                          retryable=True, message=text)
        if stage in ("dns", "connect"):
            return result("connection", stage,
                          "Connecting timed out: the host or port is wrong, a firewall drops the "
                          "packets, or outbound traffic to this port is blocked (providers often block "
                          "port 25; use 587 or 465).", retryable=True, message=text)
        return result("connection", stage,
                      "The server stopped answering (timeout at %s): raise timeout, or check the "
                      "server's load." % stage, retryable=True, message=text)

    for err in chain:
        if isinstance(err, ConnectionRefusedError):
            return result("connection", "connect",
                          "Connection refused: nothing listens on this host and port. Check host and port "
                          "(587 submission with STARTTLS, 465 implicit TLS, 25 relay).", message=text)
        if isinstance(err, OSError) and getattr(err, "errno", None) in (101, 113, 65, 51):
            return result("connection", "connect",
                          "The network or host is unreachable from here: check routing and firewalls, "
                          "and that the check runs on a host that may reach the server.",
                          retryable=True, message=text)

    if "not supported by server" in lowered and "starttls" in lowered:
        return result("starttls_unavailable", "starttls",
                      "The server does not advertise STARTTLS.", message=text)

    if name in ("SMTPServerDisconnected", "SMTPConnectError") or isinstance(exc, (ConnectionError, EOFError)):
        if stage in ("tls", "starttls"):
            # The server hung up in the middle of the handshake: it found nothing acceptable in
            # our ClientHello (a plain-text port would have answered with a greeting instead).
            return result("tls_protocol", stage,
                          "The server aborted the TLS handshake: usually no common protocol version "
                          "(the server's newest is below tls.min_version) or no common cipher. Check the "
                          "server's TLS settings, or lower tls.min_version if policy allows.", message=text)
        return result("connection", stage,
                      "The server closed the connection at stage %s: it may limit connections, or "
                      "dislike this client's address." % stage, retryable=True, message=text)

    return result("protocol", stage, "Unexpected error at stage %s (%s)." % (stage, name), message=text)


def _tls_mode_hint(security, symptom):
    if security == "tls":
        return ("Implicit TLS (security: tls) was spoken to a port that expects plain SMTP/STARTTLS (%s). "
                "Use security: starttls for ports 25/587, security: tls for 465." % symptom)
    return ("The port seems to expect implicit TLS (%s): the server sent no plain-text greeting. Use "
            "security: tls for port 465, security: starttls for 25/587." % symptom)
