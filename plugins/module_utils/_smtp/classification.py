# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Turn an SMTP reply or a connection exception into a category, a retry decision and a hint.

Private to the collection: may change without notice. Pure logic, standard library only;
aiosmtplib exceptions are recognised by duck typing (code/message attributes, class names),
so this file imports nothing from it. The table is documented in docs/troubleshooting.md.

Where a symptom has two explanations the classifier does not pick one: it marks the result with
an open question (QUESTIONS), the engine gathers evidence on a fresh connection, and settle()
turns the evidence into the verdict. Only that last step is allowed to say tls_mode.
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
_LINE_ENHANCED = re.compile(r"^\s*([245]\.\d{1,3}\.\d{1,3})\b", re.MULTILINE)

QUESTIONS = ("silence", "plain_port", "handshake", "auth_drop", "early_drop", "untrusted_chain",
             "certificate_names", "certificate_dates")
"""What the engine may be asked to find out before a verdict (see settle())."""


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


def printable(text):
    """Reply text as valid Unicode: 8-bit garbage a server sends becomes U+FFFD, not a crash later."""
    if text is None:
        return None
    if isinstance(text, bytes):
        return text.decode("utf-8", "replace")
    return str(text).encode("utf-8", "surrogateescape").decode("utf-8", "replace")


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


def _mixed_codes(text):
    """The distinct enhanced codes of a multiline reply, when its lines disagree (else None)."""
    codes = _LINE_ENHANCED.findall(text)
    distinct = sorted(set(codes))
    if len(distinct) > 1:
        return codes
    return None


def classify_reply(code, message, stage, context=None):
    """Classify an SMTP reply (code, text) received at a stage of the session.

    context (optional): what the session knows that decides between explanations:
    security (none/starttls/tls) and starttls_offered (did the EHLO list STARTTLS).
    """
    context = context or {}
    text = printable(message or "").strip()
    mixed = _mixed_codes(text)
    if mixed:
        # RFC 5321 4.2.1 wants one code on every line; the last line is the one clients act on.
        last = text.splitlines()[-1]
        enhanced = enhanced_code(last)
    else:
        enhanced = enhanced_code(text)
    lowered = text.lower()
    code = int(code) if code is not None else None

    def out(category, hint, retryable=False):
        if mixed:
            hint = ("%s (The reply mixed status codes on its lines (%s); this verdict follows the "
                    "last line, as clients do.)" % (hint, ", ".join(mixed)))
        return result(category, stage, hint, retryable, code, enhanced, text)

    if code is None:
        return out("protocol", "The server closed the session without a reply.")

    if stage == "rcpt" and (enhanced == "4.5.3" or "too many recipients" in lowered):
        # Retrying the same transaction meets the same limit: the recipients must be split.
        return out("recipient", "The server limits the recipients of one message (%s%s): the recipients "
                   "after the limit were refused. Use fewer addresses in test.to, or send in batches."
                   % (code, " %s" % enhanced if enhanced else ""))

    if code == 421 or (400 <= code < 500 and stage not in ("auth", "starttls")):
        if enhanced == "4.2.2" or "mailbox full" in lowered or "over quota" in lowered:
            hint = ("The recipient's mailbox is full (%s): retried with backoff; if it persists, the "
                    "recipient must make room." % code)
        elif code == 452 or enhanced in ("4.3.1", "4.3.4"):
            hint = ("The server is temporarily short of resources (%s: storage or memory). Retried with "
                    "backoff; if it persists, contact the server's operator." % code)
        elif "greylist" in lowered or "grey" in lowered or "gray" in lowered:
            hint = ("The server greylists unknown senders (%s): a retry after a few minutes is normally "
                    "accepted. Real delivery retries; raise retries or retry_delay for the check." % code)
        else:
            hint = ("The server is throttling or temporarily unavailable (%s): too many connections or "
                    "messages. Retried with backoff; lower delivery.throttle_per_second or concurrency, "
                    "or check the account's sending limits." % code)
        return out("throttled", hint, retryable=True)

    if code == 530 and "starttls" in lowered:
        security = context.get("security")
        offered = context.get("starttls_offered")
        if offered is False:
            # Demanded but not offered: no connector setting can satisfy this server.
            return out("starttls_unavailable",
                       "The server demands STARTTLS before this command (%s) but its EHLO reply does not "
                       "offer STARTTLS: TLS is misconfigured on the server, or a middlebox strips "
                       "STARTTLS from the EHLO reply. Ask the server's operator; try security: tls on "
                       "port 465." % code)
        if security in (None, "none"):
            return out("tls_mode", "The server requires STARTTLS before this command (%s) and offers it: the "
                       "connector uses security: none. Use security: starttls (or tls on port 465)." % code)
        return out("protocol", "The server demands STARTTLS (%s) on a link that already uses TLS." % code)

    if enhanced == "5.2.252" or "sendasdenied" in lowered.replace(" ", "").replace("_", ""):
        return out("sender", "The account may not send as this sender (%s %s, SendAsDenied): grant the "
                   "authenticated mailbox Send As permission for the address in the provider's admin "
                   "centre, or use the authenticated mailbox in senders." % (code, enhanced or ""))

    if enhanced in _ENHANCED_HINTS:
        category, hint = _ENHANCED_HINTS[enhanced]
        if enhanced == "5.7.0" and not (code == 530 or "auth" in lowered):
            # 5.7.0 is "other security reason": authentication only when the reply says so.
            category, hint = "policy", ("The server refused this for security or policy reasons (%s 5.7.0); "
                                        "see message for the server's words." % code)
        return out(category, hint)

    if stage == "auth" or code in (530, 534, 535, 538):
        hint = _AUTH_HINTS.get(code, "The server refused authentication (%s)." % code)
        if "basic authentication is disabled" in lowered or "smtpclientauthentication" in lowered:
            hint = _ENHANCED_HINTS["5.7.139"][1]
        return out("auth", hint, retryable=code == 454)

    if stage == "starttls":
        return out("starttls_unavailable",
                   "The server advertised STARTTLS but refused to start it (%s): a server-side TLS "
                   "misconfiguration (no certificate or key loaded). Ask the server's operator to check "
                   "its TLS setup." % code,
                   retryable=code == 454)

    if code == 552 or enhanced in ("5.3.4", "5.2.3"):
        if enhanced == "5.2.2":
            return out("recipient", "The recipient's mailbox is full (%s %s): check the address in test.to."
                       % (code, enhanced))
        return out("message", "The message is larger than the server accepts (%s): check the SIZE "
                   "limit in the probe's EHLO capabilities and attachments.max_size_mb." % code)

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

    if code in (550, 551, 553) and stage == "rcpt":
        return out("recipient", "The server refused the recipient (%s): check the address in test.to." % code)
    if code in (550, 553) and stage == "mail":
        return out("sender", "The server refused the sender address (%s): use an address the account "
                   "may send as." % code)
    if code == 554 and stage in ("banner", "connect"):
        return out("policy", "The server refused the connection (554) before any command: it does not accept "
                   "this client (its address, network or reputation); see message for the server's words, "
                   "and check with its operator.")
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
    if code == 18 or text.endswith("self-signed certificate") or text.endswith("self signed certificate"):
        return ("The server presents a self-signed certificate: no CA vouches for it. Install a certificate "
                "from a CA, or for a private setup put this certificate in tls.ca_file.")
    if code in (19, 20, 21, 2) or "self-signed" in text or "self signed" in text or "issuer" in text:
        return ("The certificate is not signed by a trusted CA. For a private CA set tls.ca_file to its "
                "PEM bundle; otherwise the server must present its full chain from a public CA.")
    return "The server's certificate failed verification: %s." % (getattr(err, "verify_message", None) or err)


def _asked(res, question):
    """Mark a provisional result: the engine must find out before this is the verdict."""
    res["_question"] = question
    return res


def classify_exception(exc, stage, security="starttls", context=None):
    """Classify an exception raised at a stage of the session.

    A result may carry "_question" (one of QUESTIONS): it is provisional, and the engine
    replaces it with settle(question, ...) after looking on a fresh connection.
    """
    if isinstance(exc, SessionPolicyError):
        return result(exc.category, exc.stage or stage, exc.hint, message=str(exc))

    context = dict(context or {})
    context.setdefault("security", security)
    code = getattr(exc, "code", None)
    if code == -1 and hasattr(exc, "message"):
        # aiosmtplib's code for a reply it could not parse (not the server's).
        return result("protocol", stage, "The server's reply is not valid SMTP (each line must start with "
                      "a three-digit code, at most 512 bytes a line); see message for what it sent.",
                      message=printable(exc.message))
    if isinstance(code, int) and hasattr(exc, "message") and 200 <= code < 600:
        reply_stage = stage
        if type(exc).__name__ == "SMTPConnectResponseError":
            reply_stage = "banner"
        return classify_reply(code, getattr(exc, "message", ""), reply_stage, context)

    chain = _chain(exc)
    text = printable(_PORTLESS.sub("", str(exc)) or next((str(e) for e in chain if str(e)), type(exc).__name__))

    for err in chain:
        if isinstance(err, socket.gaierror):
            errno_ = getattr(err, "errno", None)
            temporary = errno_ == getattr(socket, "EAI_AGAIN", -3)
            if errno_ == getattr(socket, "EAI_NODATA", -5) or errno_ == "nodata":
                hint = ("The host name exists but has no address record (no A and no AAAA): the name is "
                        "only used for something else (MX, TXT). Use the name of the mail server itself.")
            else:
                hint = ("The host name does not resolve%s: check the spelling of host, and that this "
                        "machine's resolver can see it (internal names need internal DNS)."
                        % (" (temporary resolver failure)" if temporary else ""))
            return result("dns", "dns", hint, retryable=temporary, message=text)

    for err in chain:
        if isinstance(err, (ssl.SSLCertVerificationError, ssl.CertificateError)):
            res = result("tls_certificate", stage, _ssl_hint_for_verification(err), message=text)
            verify_code = getattr(err, "verify_code", None)
            if verify_code in (2, 20):
                # Unknown issuer: a private CA, or a server that does not send its intermediate.
                return _asked(res, "untrusted_chain")
            if verify_code in (62, 64):
                return _asked(res, "certificate_names")
            if verify_code in (9, 10):
                return _asked(res, "certificate_dates")
            return res

    for err in chain:
        if isinstance(err, ssl.SSLError):
            reason = (getattr(err, "reason", None) or str(err)).upper()
            if "PROTOCOL_VERSION" in reason or "UNSUPPORTED_PROTOCOL" in reason or \
                    "NO_PROTOCOLS_AVAILABLE" in reason or "VERSION_TOO_LOW" in reason:
                return _asked(result("tls_protocol", stage,
                                     "Client and server share no TLS protocol version: the server offers only "
                                     "versions below tls.min_version (or above what this client supports). "
                                     "Upgrade the server, or lower tls.min_version if policy allows.",
                                     message=text), "handshake")
            if "HANDSHAKE_FAILURE" in reason or "NO_SHARED_CIPHER" in reason:
                return _asked(result("tls_protocol", stage,
                                     "The TLS handshake failed: no common cipher or protocol settings.",
                                     message=text), "handshake")
            if stage == "starttls":
                # The server said 220 to STARTTLS in plain SMTP: whatever answers the handshake is
                # not TLS. No mode question here, the mode was right.
                return result("tls_protocol", stage,
                              "The server accepted STARTTLS but then answered the TLS handshake with data that "
                              "is not TLS (%s): a proxy or antivirus middlebox that intercepts SMTP without "
                              "supporting STARTTLS, or a broken TLS setup on the server. Probe from another "
                              "network to tell which." % reason.lower(), message=text)
            res = result("tls_protocol", stage,
                         "The TLS handshake failed (%s)." % reason.lower(), message=text)
            if security == "tls":
                return _asked(res, "plain_port")
            return res

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
            return _asked(result("connection", stage,
                                 "The server accepted the connection but sent no greeting in time.",
                                 retryable=True, message=text), "silence")
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
                          "Connection refused: nothing listens on this host and port (or a firewall "
                          "rejects the connection). Check host and port "
                          "(587 submission with STARTTLS, 465 implicit TLS, 25 relay).", message=text)
        if isinstance(err, OSError) and getattr(err, "errno", None) in (101, 113, 65, 51, 99):
            return result("connection", "connect",
                          "The network or host is unreachable from here: check routing and firewalls, "
                          "and that the check runs on a host that may reach the server.",
                          retryable=True, message=text)

    if "not supported by server" in lowered and "starttls" in lowered:
        return result("starttls_unavailable", "starttls",
                      "The server does not advertise STARTTLS.", message=text)

    if name in ("SMTPServerDisconnected", "SMTPConnectError") or isinstance(exc, (ConnectionError, EOFError)):
        if stage in ("tls", "starttls"):
            return _asked(result("tls_protocol", stage, "The server aborted the TLS handshake.",
                                 message=text), "handshake")
        if stage == "auth":
            return _asked(result("connection", stage, "The server closed the connection right after AUTH.",
                                 retryable=True, message=text), "auth_drop")
        if stage == "data":
            return result("connection", stage,
                          "The server closed the connection during DATA, before accepting the message "
                          "(no 2xx reply): nothing was delivered. Retried; if it persists, the server or "
                          "a content filter on the path drops the message (check its size and the "
                          "server's logs).", retryable=True, message=text)
        return _asked(result("connection", stage, "The server closed the connection at stage %s." % stage,
                             retryable=True, message=text), "early_drop")

    return result("protocol", stage, "Unexpected error at stage %s (%s)." % (stage, name), message=text)


def _versions_text(evidence):
    version = evidence.get("tls_version")
    return version.replace("TLSv", "TLS ") if version else None


def settle(question, provisional, evidence, security, min_version="1.2"):
    """The verdict for a provisional result, from what a fresh connection showed.

    evidence keys (each optional): plain_text (what a plain-text read received, decoded),
    plain_line (a whole line arrived), plain_seconds (how long the read waited),
    tls_version (a lenient handshake succeeded with this version), tls_error (it failed),
    session_ok (a fresh session without AUTH stayed open), chain_length, leaf_self_signed,
    issuer (of the last certificate sent).
    """
    res = dict(provisional)
    res.pop("_question", None)

    def out(category, hint, retryable):
        res.update({"category": category, "hint": hint, "retryable": bool(retryable)})
        return res

    plain = evidence.get("plain_text") or ""
    greeting = plain.startswith("220") and evidence.get("plain_line")
    if question == "silence":
        if security != "tls" and evidence.get("tls_version"):
            return out("tls_mode", "The port speaks implicit TLS: no plain-text greeting came, and a TLS "
                       "handshake on a second connection succeeded (%s). Use security: tls (usual on "
                       "port 465)." % _versions_text(evidence), False)
        if security == "tls" and greeting:
            return out("tls_mode", "The port speaks plain SMTP: a second connection read its clear-text "
                       "greeting (%r). Use security: starttls for ports 25/587." % plain[:60], False)
        if plain and not evidence.get("plain_line"):
            return out("connection", "The server sends its greeting too slowly: a second connection "
                       "received only %d bytes (%r) in %.0f s, a byte at a time. That is a tarpit or an "
                       "overloaded server; raise timeout if it is legitimate, or ask its operator."
                       % (len(plain), plain[:40], evidence.get("plain_seconds") or 0), True)
        if greeting:
            return out("connection", "The greeting did not come in time, but a second connection got it "
                       "(%r): the server is overloaded or slow to answer. Retried; raise timeout if it "
                       "persists." % plain[:60], True)
        return out("connection", "The server accepts TCP connections but says nothing, neither a plain-text "
                   "greeting nor a TLS handshake (both tried on fresh connections): a silent middlebox "
                   "(an antivirus proxy such as McAfee scanning outgoing mail), a firewall or tarpit that "
                   "holds connections, or an overloaded relay. Probe from another host, and check local "
                   "security software for SMTP scanning.", True)
    if question == "plain_port":
        if greeting:
            return out("tls_mode", "Implicit TLS (security: tls) was spoken to a port that speaks plain "
                       "SMTP: a second connection read its clear-text greeting (%r). Use security: "
                       "starttls for ports 25/587, security: tls for 465." % plain[:60], False)
        if plain:
            return out("connection", "The port answers neither TLS nor SMTP (it sent %r): another service "
                       "listens there, or a middlebox answers for it. Check host and port." % plain[:40], False)
        return res
    if question == "handshake":
        version = evidence.get("tls_version")
        if version and not _at_least(version, min_version):
            return out("tls_protocol", "The server's newest TLS version is %s (a lenient handshake on a second "
                       "connection agreed on it), below tls.min_version %s. Upgrade the server's TLS "
                       "settings, or lower tls.min_version if policy allows."
                       % (_versions_text(evidence), min_version), False)
        if version and "cipher" in (provisional.get("hint") or "").lower():
            return out("tls_protocol", "The server agrees only on a weak cipher (%s with %s, found by a "
                       "lenient handshake on a second connection) that this client refuses. Enable modern "
                       "ciphers (AES-GCM, ChaCha20) on the server."
                       % (_versions_text(evidence), evidence.get("tls_cipher")), False)
        if version:
            return out("connection", "The TLS handshake failed once but a second handshake succeeded (%s): an "
                       "unstable server or a middlebox on the path. Retried." % _versions_text(evidence), True)
        return out("tls_protocol", "The server aborts every TLS handshake, even one allowing TLS 1.0 and "
                   "weak ciphers: its TLS setup is broken (no certificate or key loaded) or a middlebox "
                   "interferes. Ask the server's operator to check its TLS configuration.", False)
    if question == "auth_drop":
        if evidence.get("session_ok"):
            return out("auth", "The server closed the connection right after AUTH, while a second session "
                       "without AUTH stayed open: the server drops clients whose credentials it refuses. "
                       "Check auth.username and auth.password (an app password for two-factor accounts), "
                       "and whether SMTP AUTH is enabled for the account.", False)
        return out("connection", "The server closed the connection right after AUTH, and a second session "
                   "could not be held open either: the server is unstable or limits connections. Retried.",
                   True)
    if question == "certificate_names" and evidence.get("leaf_names"):
        return out("tls_certificate", "The certificate names %s, not %s. Connect by one of those names (with "
                   "tls.server_name when host is an IP address), or the server's operator must add %s to the "
                   "certificate." % (", ".join(evidence["leaf_names"]), evidence.get("server_name"),
                                     evidence.get("server_name")), False)
    if question == "certificate_dates" and evidence.get("not_before"):
        if evidence.get("expired"):
            return out("tls_certificate", "The server's certificate has expired: it was valid until %s, and "
                       "this machine's clock says %s. The server's operator must renew it (tls.verify: false "
                       "would hide this; do not)." % (evidence["not_after"], evidence.get("now")), False)
        return out("tls_certificate", "The server's certificate is not valid yet: it starts at %s, and this "
                   "machine's clock says %s. Either the certificate was installed before its start date or "
                   "this machine's clock is behind; compare with a time server." % (
                       evidence["not_before"], evidence.get("now")), False)
    if question == "early_drop":
        if evidence.get("session_ok"):
            return out("connection", "The server closed the connection at stage %s, while a fresh session got "
                       "through EHLO: it hung up on what this session sent at that stage (a sender or "
                       "recipient it dislikes, or this client's pace). Retried; the server's logs say why."
                       % res["stage"], True)
        return out("connection", "The server closes every connection from this client (a fresh session was "
                   "dropped too, at stage %s): a connection limit, or a block of this client's address or "
                   "network. Retried; probe from another host to tell which." % res["stage"], True)
    if question == "untrusted_chain":
        length = evidence.get("chain_length")
        if evidence.get("leaf_self_signed"):
            return out("tls_certificate", "The server presents a self-signed certificate: no CA vouches for it. "
                       "Install a certificate from a CA, or for a private setup put this certificate in "
                       "tls.ca_file.", False)
        if length == 1:
            # Its issuer is neither sent nor trusted: which of the two it is (an intermediate of a
            # trusted CA, or a private CA) only the issuer's certificate would tell.
            return out("tls_certificate", "The server sends only its own certificate; its issuer (%s) is "
                       "neither sent nor trusted here. If that issuer is an intermediate CA, the server's "
                       "operator must configure the full chain (leaf plus intermediate); if it is a private "
                       "CA, set tls.ca_file to its PEM." % evidence.get("issuer"), False)
        if length:
            return out("tls_certificate", "The chain the server sends (%d certificates) ends at %s, which is "
                       "not trusted here: a private CA (set tls.ca_file to its PEM) or a CA this machine "
                       "does not know." % (length, evidence.get("issuer")), False)
        return res
    return res


def _at_least(negotiated, minimum):
    names = {"TLSv1": (1, 0), "TLSv1.1": (1, 1), "TLSv1.2": (1, 2), "TLSv1.3": (1, 3)}
    have = names.get(negotiated)
    if have is None:
        return True
    return have >= tuple(int(x) for x in minimum.split("."))
