# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Semantic rules for connectors, beyond what the JSON schema can say.

Each rule has a stable id (SMTPnnn), documented in docs/rules.md. A rule sees one
connector that may be only partly valid (its schema errors are reported separately), so
every rule checks the types it relies on and stays silent where it cannot judge.

Private to the collection: may change without notice. Standard library only.
"""

from __future__ import annotations

import json
import math
import re
import unicodedata

from ansible_collections.mailops.smtp.plugins.module_utils._model import (
    IMPLICIT_TLS_PORTS,
    STARTTLS_PORTS,
    is_ip,
    is_loopback,
    is_secret_path,
)
from ansible_collections.mailops.smtp.plugins.module_utils._schema_data import CONNECTOR_SCHEMA

ERROR = "error"
WARNING = "warning"

# id -> (severity, title). Schema rules (SMTP0xx) first, semantic rules (SMTP1xx) after.
RULES = {
    "SMTP001": (ERROR, "Unknown field"),
    "SMTP002": (ERROR, "Required field missing"),
    "SMTP003": (ERROR, "Wrong type"),
    "SMTP004": (ERROR, "Value out of range"),
    "SMTP005": (ERROR, "Value not among the allowed choices"),
    "SMTP006": (ERROR, "Value has the wrong syntax"),
    "SMTP007": (ERROR, "Duplicate list items"),
    "SMTP101": (ERROR, "Port and security mode do not match"),
    "SMTP102": (ERROR, "Credentials could travel in clear text"),
    "SMTP103": (WARNING, "Certificate verification disabled"),
    "SMTP104": (ERROR, "Sender is not a valid mailbox"),
    "SMTP105": (ERROR, "Line break or control character in a value"),
    "SMTP106": (WARNING, "Sender domain differs from the login's domain"),
    "SMTP107": (ERROR, "Sender uses a forbidden domain"),
    "SMTP108": (ERROR, "Duplicate connector name"),
    "SMTP109": (ERROR, "Test sender purpose not declared"),
    "SMTP110": (ERROR, "Test recipient is not a valid address"),
    "SMTP111": (ERROR, "Reply-To is not none, sender or a valid mailbox"),
    "SMTP112": (WARNING, "starttls set for a security mode that ignores it"),
    "SMTP113": (WARNING, "TLS settings on a connector without TLS"),
    "SMTP114": (WARNING, "IP address host verified without tls.server_name"),
    "SMTP115": (WARNING, "Webhook URL is not HTTPS"),
    "SMTP116": (WARNING, "Authenticated submission on port 25"),
    "SMTP117": (ERROR, "Invisible or bidirectional formatting character"),
    "SMTP120": (ERROR, "Format cannot enforce a declared setting"),
    "SMTP121": (WARNING, "Weaker behaviour of the format accepted"),
    "SMTP122": (WARNING, "Format enforces more than declared"),
    "SMTP123": (ERROR, "Format cannot hold the connectors"),
    "SMTP124": (ERROR, "Test mailbox does not receive any test recipient"),
    "SMTP125": (WARNING, "Bounce mailbox is not the test sender's"),
    "SMTP126": (ERROR, "IMAP port and security mode do not match"),
    "SMTP127": (WARNING, "Mailbox certificate verification disabled"),
    "SMTP128": (WARNING, "No authserv_id: the receiver's verdict is not read"),
}

IMAPS_PORTS = frozenset([993])
IMAP_STARTTLS_PORTS = frozenset([143])

# RFC 5322 atext plus any non-ASCII character (RFC 6532, internationalized addresses): every character
# but the ASCII controls, space, DEL and the specials. The classes here name what they leave out:
# Python compiles a class holding the range U+0080-U+10FFFF by walking it, 8 ms per class, which
# every module importing this one would pay at start-up; the sets are the same.
_ATEXT = r"""[^\x00-\x20\x7f()<>\[\]:;@\\,."]"""
_DOT_ATOM = _ATEXT + r"+(?:\." + _ATEXT + r"+)*"
_QUOTED = r'"(?:[^"\\\r\n]|\\[^\r\n])*"'
# A DNS label: ASCII letters and digits, any non-ASCII character, and '-' inside.
_ALNUM = r"[^\x00-\x2f\x3a-\x40\x5b-\x60\x7b-\x7f]"
_ALNUM_HYPHEN = r"[^\x00-\x2c\x2e\x2f\x3a-\x40\x5b-\x60\x7b-\x7f]"
_LABEL = r"(?:" + _ALNUM + r"(?:" + _ALNUM_HYPHEN + r"{0,61}" + _ALNUM + r")?)"
_DOMAIN = r"(?:" + _LABEL + r"(?:\." + _LABEL + r")*|\[[^\[\]\\\r\n]+\])"
_ADDR_SPEC = re.compile(r"^(?P<local>" + _DOT_ATOM + r"|" + _QUOTED + r")@(?P<domain>" + _DOMAIN + r")\Z")
_WORD = r"(?:" + _ATEXT + r"+|" + _QUOTED + r")"
# A display name: words separated by white space; '.' tolerated as in "John Q. Public" (obs-phrase).
_PHRASE = re.compile(r"^" + _WORD + r"(?:[ \t]*(?:" + _WORD + r"|\.))*\Z")
# C0 controls (CR, LF, NUL, TAB, ...), DEL and the C1 controls (NEL U+0085 is a line break to some parsers).
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
# Invisible characters that change how text reads without being seen (RFC 6531 allows UTF-8 in
# addresses, but Unicode's own guidance, UTS #39 and RFC 8264, excludes these from identifiers):
# format characters (Cf: zero-width spaces and joiners, bidi embeddings, overrides and isolates
# U+202A..U+202E and U+2066..U+2069, U+FEFF), line and paragraph separators (Zl, Zp), and
# surrogates (Cs), which UTF-8 cannot encode.
_INVISIBLE_CATEGORIES = frozenset(["Cf", "Zl", "Zp", "Cs"])
# Zero-width non-joiner and joiner shape Persian, Indic and emoji text and reorder nothing:
# tolerated in free text and display names, never in an address, host, login or identifier.
_JOINERS = frozenset(["\u200c", "\u200d"])
# What lets invisible_characters pass ASCII text without looking at each character.
_ASCII_VISIBLE = not any(unicodedata.category(chr(code)) in _INVISIBLE_CATEGORIES for code in range(128))
# Fields of free text shown to people, where the joiners are tolerated.
_FREE_TEXT = frozenset([("description",)])
# Fields whose value is a mailbox: the joiners are tolerated in the display name only.
_MAILBOX_FIELDS = frozenset(["senders", "reply_to"])


def ecma_regex(pattern):
    """Compile a JSON Schema (ECMA-262) pattern so that Python matches it the way ECMA-262 does.

    ECMA-262's ``$`` (without the m flag) matches only at the end of the input; Python's ``$`` also
    matches before a final newline, so "smtp.example.org\\n" would pass ``^...$``. Every ``$`` outside
    a character class becomes ``\\Z``.
    """
    out = []
    i, in_class = 0, False
    while i < len(pattern):
        char = pattern[i]
        if char == "\\":
            out.append(pattern[i:i + 2])
            i += 2
            continue
        if in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
            if pattern[i + 1:i + 2] == "]":  # a literal ']' first in a class
                out.append("[]")
                i += 2
                continue
        elif char == "$":
            char = "\\Z"
        out.append(char)
        i += 1
    return re.compile("".join(out))


def invisible_characters(text, allow_joiners=False):
    """The invisible or bidirectional formatting characters in text, as (position, 'U+XXXX NAME') pairs."""
    if _ASCII_VISIBLE and text.isascii():
        return []  # no ASCII character is a formatting or separator character (_ASCII_VISIBLE)
    found = []
    for pos, char in enumerate(text):
        if unicodedata.category(char) in _INVISIBLE_CATEGORIES and not (allow_joiners and char in _JOINERS):
            found.append((pos, "U+%04X %s" % (ord(char), unicodedata.name(char, "(unnamed)"))))
    return found


def _mailbox_invisibles(text):
    """Invisible characters of a mailbox value; joiners count only outside the display name."""
    found = invisible_characters(text)
    angle = text.rfind("<")
    return [(pos, what) for pos, what in found if not (angle > 0 and pos < angle and text[pos] in _JOINERS)]


def parse_mailbox(text):
    """Parse an RFC 5322 mailbox ("Name" <local@domain> or local@domain).

    Returns (display_name, local, domain) or raises ValueError with a reason a person understands.
    """
    if not isinstance(text, str):
        raise ValueError("is not a string")
    value = text.strip()
    if not value:
        raise ValueError("is empty")
    name = None
    if value.endswith(">") and "<" in value:
        lt = value.rfind("<")
        name = value[:lt].strip()
        addr = value[lt + 1:-1].strip()
        if not addr:
            raise ValueError("has an empty address between < and >")
        if name and not _PHRASE.match(name):
            raise ValueError("has a display name that must be quoted (use \"Name\" <address>)")
    elif "<" in value or ">" in value:
        raise ValueError("has unbalanced angle brackets")
    else:
        addr = value
    if addr.count("@") == 0:
        raise ValueError("has no @ between local part and domain")
    match = _ADDR_SPEC.match(addr)
    if not match:
        raise ValueError("is not local-part@domain (RFC 5322 addr-spec)")
    local, domain = match.group("local"), match.group("domain")
    if len(local) > 64:
        raise ValueError("has a local part longer than 64 characters")
    if len(addr) > 254:
        raise ValueError("is longer than 254 characters")
    return name, local, domain


def mailbox_domain(text):
    """Lower-cased domain of a mailbox, or None when it does not parse."""
    try:
        return parse_mailbox(text)[2].lower().rstrip(".")
    except ValueError:
        return None


def _domain_matches(domain, forbidden):
    domain = domain.lower().rstrip(".")
    forbidden = str(forbidden).lower().strip().lstrip("@").rstrip(".")
    return bool(forbidden) and (domain == forbidden or domain.endswith("." + forbidden))


def Finding(rule, connector, path, message, severity=None):  # pylint: disable=invalid-name  # reads as a record type
    """One problem: rule, severity, connector, path (JSON pointer), message.

    A plain dict, not a subclass: Ansible pickles, copies and checks every finding of a result between
    its processes, and at thousands of findings a subclass (pickled with its class, copied through
    __reduce_ex__) costs several times what a dict does.
    """
    return {"rule": rule, "severity": severity or RULES[rule][0], "connector": connector, "path": path,
            "message": message}


def pointer(*parts):
    """JSON pointer (RFC 6901) from path parts."""
    out = []
    for part in parts:
        out.append(str(part).replace("~", "~0").replace("/", "~1"))
    return "/" + "/".join(out) if out else ""


def _obj(value):
    return value if isinstance(value, dict) else {}


def show_value(value, limit=60):
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _dotted(parts):
    out = ""
    for part in parts:
        out += "[%d]" % part if isinstance(part, int) else ("." if out else "") + str(part)
    return out


def _declared_values(value, schema, parts=()):
    """(path parts, value, type) of every string or number where the schema declares one; unknown keys are skipped.

    Recursion follows the schema, not the value, so a deeply nested value costs nothing.
    """
    if isinstance(value, (str, float)):
        if schema.get("type") == ("string" if isinstance(value, str) else "number"):
            yield parts, value
    elif isinstance(value, dict) and schema.get("type") == "object":
        props = schema.get("properties", {})
        extra = schema.get("additionalProperties")
        for key, sub in value.items():
            if key in props:
                yield from _declared_values(sub, props[key], parts + (key,))
            elif isinstance(extra, dict) and isinstance(key, str):
                yield from _declared_values(sub, extra, parts + (key,))
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        for i, sub in enumerate(value):
            yield from _declared_values(sub, schema["items"], parts + (i,))


def plain_text_only(value):
    """True when every string in value, keys included, is printable ASCII (no control character, no DEL) and
    every number is finite: then character_findings has nothing to find in it.

    One pass of the JSON encoder (written in C) instead of a walk over the schema: it writes every
    character outside U+0020-U+007E (controls, DEL, anything not ASCII) as an escape that starts with
    a backslash, a quote as backslash-quote and a backslash as two, and refuses NaN and infinities.
    With the escaped quotes taken out, any backslash left means a character to look at. Anything the
    encoder cannot encode is not plain.
    """
    if not _ASCII_VISIBLE:
        return False
    try:
        text = json.dumps(value, allow_nan=False, check_circular=False)
    except (TypeError, ValueError, RecursionError):
        return False
    return "\\" not in text.replace('\\"', "")


def character_findings(conn, index, label, schema):
    """SMTP105 and SMTP117: characters no field may carry, in every declared string field (and NaN, SMTP004).

    A control character (CR/LF, NUL, DEL, C1) breaks the line-based files the formats write and
    can inject headers. An invisible formatting character (U+202E and the other bidi controls,
    zero-width characters, U+FEFF) makes a value read differently from what is used. Secret
    values are checked for control characters only, and never quoted.
    """
    if plain_text_only(conn):
        return []
    return character_walk(conn, index, label, schema)


def character_walk(conn, index, label, schema):
    """character_findings without the plain-text shortcut: every declared value looked at."""
    found = []
    for parts, text in _declared_values(conn, schema):
        if isinstance(text, float):
            # YAML's .nan passes every JSON Schema bound (NaN compares false with anything).
            if math.isnan(text):
                found.append(Finding("SMTP004", label, pointer(index, *parts),
                                     "%s must be a finite number; got %r." % (_dotted(parts), text)))
            continue
        control = _CONTROL.search(text)
        if control:
            detail = ("value hidden" if is_secret_path(parts)
                      else "U+%04X at position %d" % (ord(control.group()), control.start()))
            found.append(Finding("SMTP105", label, pointer(index, *parts), "%s contains a line break or control "
                                 "character (%s); every value must be one line of printable text (a CR/LF could "
                                 "inject headers or break the files written from it)." % (_dotted(parts), detail)))
            continue
        if parts[:1] == ("senders",) or parts == ("reply_to",):
            bad = _mailbox_invisibles(text)
        else:
            bad = invisible_characters(text, allow_joiners=parts in _FREE_TEXT)
        if bad and not is_secret_path(parts):
            pos, what = bad[0]
            more = " and %d more" % (len(bad) - 1) if len(bad) > 1 else ""
            found.append(Finding("SMTP117", label, pointer(index, *parts), "%s contains an invisible formatting "
                                 "character (%s at position %d%s): bidirectional controls and zero-width characters "
                                 "make the text read differently from what is used; remove it."
                                 % (_dotted(parts), what, pos, more)))
    return found


def connector_rules(conn, index, label, forbidden_sender_domains=()):
    """Semantic findings for one connector at list position index."""
    if not isinstance(conn, dict):
        return []
    found = character_findings(conn, index, label, CONNECTOR_SCHEMA)
    # A value with a refused character is reported once, by SMTP105/SMTP117, not parsed further.
    flagged = set(f["path"] for f in found)
    base = (index,)

    def add(rule, parts, message, severity=None):
        found.append(Finding(rule, label, pointer(*(base + tuple(parts))), message, severity))

    security = conn.get("security", "starttls")
    security = security if security in ("none", "starttls", "tls") else None
    port = conn.get("port")
    port = port if isinstance(port, int) and not isinstance(port, bool) else None
    starttls = conn.get("starttls")
    tls = _obj(conn.get("tls"))
    auth = conn.get("auth")
    host = conn.get("host") if isinstance(conn.get("host"), str) else None

    # SMTP101: the classic implicit-TLS / STARTTLS port mix-up.
    if security and port is not None and conn.get("port_mismatch_ok") is not True:
        if security == "starttls" and port in IMPLICIT_TLS_PORTS:
            add("SMTP101", ["port"], "port %d speaks implicit TLS, but security is starttls: the client would wait for a "
                "greeting that never comes (\"timed out waiting for greeting\"). Use security: tls with port 465, or "
                "port 587 with starttls; set port_mismatch_ok: true if this server really differs." % port)
        elif security == "tls" and port in STARTTLS_PORTS:
            add("SMTP101", ["port"], "port %d speaks plain SMTP with STARTTLS, but security is tls: the TLS handshake "
                "would fail (\"wrong version number\"). Use security: starttls with port %d, or port 465 with tls; set "
                "port_mismatch_ok: true if this server really differs." % (port, port))

    # SMTP102: credentials over a link that may be unencrypted.
    if isinstance(auth, dict) and host and not is_loopback(host) and conn.get("allow_plaintext_auth") is not True:
        if security == "none":
            add("SMTP102", ["auth"], "auth is set but security is none: the password would cross the network in clear "
                "text to %s. Use security: starttls (port 587) or tls (port 465), or set allow_plaintext_auth: true "
                "for a trusted private network." % host)
        elif security == "starttls" and starttls == "opportunistic":
            add("SMTP102", ["starttls"], "auth is set with starttls: opportunistic: if STARTTLS is missing or stripped, "
                "the password is sent in clear text to %s. Use starttls: required, or set allow_plaintext_auth: true." % host)

    # SMTP103: verification off.
    if tls.get("verify") is False and security in ("starttls", "tls"):
        add("SMTP103", ["tls", "verify"], "tls.verify is false: any certificate is accepted, so a man in the middle can "
            "read the password and the mail. Prefer tls.ca_file for a private CA.")

    # SMTP112/113: settings that the chosen mode ignores.
    if "starttls" in conn and security in ("none", "tls"):
        add("SMTP112", ["starttls"], "starttls is ignored when security is %s; it only applies to security: starttls." % security)
    if security == "none" and tls:
        add("SMTP113", ["tls"], "tls settings are ignored when security is none; the link is not encrypted.")

    # SMTP114: IP literal verified without a name to check.
    if host and is_ip(host) and security in ("starttls", "tls") and tls.get("verify") is not False \
            and not tls.get("server_name"):
        add("SMTP114", ["host"], "host %s is an IP address and tls.server_name is not set: verification only passes if "
            "the certificate lists this IP address. Set tls.server_name to the name in the certificate." % host)

    # SMTP116: port 25 is for relay between MTAs and is often blocked outbound.
    if port == 25 and isinstance(auth, dict) and host and not is_loopback(host):
        add("SMTP116", ["port"], "authenticated submission on port 25: many networks and hosting providers block port 25 "
            "outbound. Use 587 (starttls) or 465 (tls) if the provider offers them.")

    # Header values: senders, reply_to, test recipients.
    senders = conn.get("senders")
    username = _obj(auth).get("username")
    login_domain = mailbox_domain(username) if isinstance(username, str) and "@" in username else None
    forbidden = [d for d in (forbidden_sender_domains or []) if isinstance(d, str) and d.strip()]
    if isinstance(senders, dict):
        for purpose, value in senders.items():
            if not isinstance(value, str):
                continue
            parts = ["senders", purpose]
            if flagged and pointer(index, *parts) in flagged:
                continue
            try:
                domain = parse_mailbox(value)[2].lower().rstrip(".")
            except ValueError as exc:
                add("SMTP104", parts, "senders.%s %s; expected a mailbox like '\"Example District\" "
                    "<noreply@example.org>' or noreply@example.org (got %s)." % (purpose, exc, show_value(value)))
                continue
            for bad in forbidden:
                if _domain_matches(domain, bad):
                    add("SMTP107", parts, "senders.%s uses domain %s, which is forbidden (%s): recipients would think the "
                        "mail comes from that organisation. Use an address of your own domain."
                        % (purpose, domain, bad), severity=ERROR if purpose == "default" else WARNING)
                    break
            if login_domain and domain and domain != login_domain:
                add("SMTP106", parts, "senders.%s uses domain %s but auth.username is in %s: many servers refuse to send "
                    "as another domain (Use Reply-To for the user's address, or authorize the domain on the server)."
                    % (purpose, domain, login_domain))
        test = _obj(conn.get("test"))
        sender = test.get("sender", "default")
        if isinstance(sender, str) and sender not in senders:
            add("SMTP109", ["test", "sender"], "test.sender is %s but senders has no such purpose; use one of: %s."
                % (show_value(sender), ", ".join(sorted(str(k) for k in senders))))

    reply_to = conn.get("reply_to")
    if isinstance(reply_to, str) and reply_to not in ("none", "sender"):
        if not flagged or pointer(index, "reply_to") not in flagged:
            try:
                parse_mailbox(reply_to)
            except ValueError as exc:
                add("SMTP111", ["reply_to"], "reply_to %s; use none, sender (the acting user's address) or a mailbox "
                    "like replies@example.org (got %s)." % (exc, show_value(reply_to)))

    recipients = _obj(conn.get("test")).get("to")
    if isinstance(recipients, list):
        for i, rcpt in enumerate(recipients):
            if not isinstance(rcpt, str):
                continue
            if flagged and pointer(index, "test", "to", i) in flagged:
                continue
            try:
                name, _local, _domain = parse_mailbox(rcpt)
            except ValueError as exc:
                add("SMTP110", ["test", "to", i], "test.to[%d] %s; expected an address like mail-tests@example.org (got %s)."
                    % (i, exc, show_value(rcpt)))
                continue
            if name is not None:
                add("SMTP110", ["test", "to", i], "test.to[%d] must be a bare address without display name or angle "
                    "brackets, like mail-tests@example.org (got %s)." % (i, show_value(rcpt)))

    mailbox_rules(conn, add)

    webhook = conn.get("webhook_url")
    if isinstance(webhook, str) and webhook.lower().startswith("http://"):
        add("SMTP115", ["webhook_url"], "webhook_url uses http: events (and any token in the URL) travel unencrypted. Use https.")
    return found


def _mailbox_address(mailbox):
    """The address a mailbox receives: address, else the username when it is an address."""
    for key in ("address", "username"):
        value = mailbox.get(key)
        if isinstance(value, str) and "@" in value:
            try:
                _name, local, domain = parse_mailbox(value)
            except ValueError:
                return None
            return ("%s@%s" % (local, domain)).lower()
        if key == "address" and value is not None:
            return None
    return None


def mailbox_rules(conn, add):
    """Rules for test.mailbox and test.bounce_mailbox (delivery_check); returns nothing, reports through add."""
    test = _obj(conn.get("test"))
    listed = test.get("to")
    recipients = [r.lower() for r in listed if isinstance(r, str)] if isinstance(listed, list) else []
    for key in ("mailbox", "bounce_mailbox"):
        mailbox = test.get(key)
        if not isinstance(mailbox, dict):
            continue
        security = mailbox.get("security", "imaps")
        port = mailbox.get("port")
        if isinstance(port, int) and not isinstance(port, bool) and (
                (security == "imaps" and port in IMAP_STARTTLS_PORTS) or (security == "starttls" and port in IMAPS_PORTS)):
            add("SMTP126", ["test", key, "port"], "test.%s.port %d does not speak %s: port 993 is IMAPS (implicit TLS), "
                "143 is IMAP with STARTTLS. Use security: %s, or the other port." % (
                    key, port, security, "starttls" if port == 143 else "imaps"))
        if _obj(mailbox.get("tls")).get("verify") is False:
            add("SMTP127", ["test", key, "tls", "verify"], "test.%s.tls.verify is false: any certificate is accepted, so "
                "a man in the middle can read the mailbox password. Prefer tls.ca_file for a private CA." % key)
    mailbox = test.get("mailbox")
    if isinstance(mailbox, dict):
        address = _mailbox_address(mailbox)
        if address and recipients and address not in recipients:
            add("SMTP124", ["test", "mailbox"], "test.mailbox receives %s, which is not among test.to (%s): the probe "
                "would never arrive there. Add it to test.to, or set test.mailbox.address to the test recipient this "
                "mailbox receives (an alias)." % (address, ", ".join(recipients)))
        if not mailbox.get("authserv_id"):
            add("SMTP128", ["test", "mailbox"], "test.mailbox has no authserv_id: the receiving system's own "
                "Authentication-Results cannot be told from forged ones, so none is read. Set it to the first word of "
                "the receiver's Authentication-Results header (usually its host name).")
    bounce = test.get("bounce_mailbox")
    senders = _obj(conn.get("senders"))
    purpose = test.get("sender", "default")
    sender = senders.get(purpose) if isinstance(purpose, str) else None  # a wrong type is SMTP003's
    if isinstance(bounce, dict) and isinstance(sender, str):
        address = _mailbox_address(bounce)
        try:
            _name, local, domain = parse_mailbox(sender)
        except ValueError:
            return
        envelope = ("%s@%s" % (local, domain)).lower()
        if address and address != envelope:
            add("SMTP125", ["test", "bounce_mailbox"], "test.bounce_mailbox receives %s, but bounces go to the envelope "
                "sender %s (senders.%s): bounces of the probe would not be seen. Point it at that mailbox, or set "
                "test.bounce_mailbox.address if it receives that address." % (
                    address, envelope, test.get("sender", "default")))


def list_rules(connectors):
    """Findings that concern the list as a whole (duplicate names)."""
    found = []
    seen = {}
    for index, conn in enumerate(connectors):
        if not isinstance(conn, dict) or not isinstance(conn.get("name"), str):
            continue
        name = conn["name"]
        if name in seen:
            found.append(Finding("SMTP108", name, pointer(index, "name"), "name %s is already used by the connector at "
                                 "position %d; names must be unique within one host's list." % (show_value(name), seen[name])))
        else:
            seen[name] = index
    return found


def finding_line(item, level=None, host=None):
    """One finding as a line of play output: '[LEVEL ]RULE [host: ]connector /path: message'."""
    return "%s%s %s%s %s: %s" % (level + " " if level else "", item["rule"], "%s: " % host if host else "",
                                 item["connector"], item["path"] or "/", item["message"])
