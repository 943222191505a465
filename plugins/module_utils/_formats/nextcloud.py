# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Format nextcloud: the mail_* entries of Nextcloud's config/config.php.

config.php is PHP ($CONFIG = array (...); as Nextcloud itself writes it with var_export): only
the managed entries of $CONFIG change, every other entry and comment stays. Strings are
written as single-quoted PHP literals (only backslash and quote are escaped; nothing is
interpolated, and '?>' inside a string does not end PHP); values are read as PHP literals,
never executed. Nextcloud's mailer (Symfony EsmtpTransport) uses implicit TLS for
mail_smtpsecure 'ssl' and otherwise STARTTLS whenever the server offers it: it can neither
require STARTTLS nor send in clear text to a server that offers it, and it ignores
mail_smtpsecure 'tls'. One connector per file.
Reference: https://docs.nextcloud.com/server/latest/admin_manual/configuration_server/email_configuration.html
and https://docs.nextcloud.com/server/latest/admin_manual/configuration_server/config_sample_php_parameters.html

Private to the collection: may change without notice. Standard library only.
"""

from __future__ import annotations

import re

from ansible_collections.mailops.smtp.plugins.module_utils._formats import _base, _common, _native

NATIVE_KEYS = (
    "mail_smtpmode", "mail_smtphost", "mail_smtpport", "mail_smtpsecure", "mail_smtpauth", "mail_smtpname",
    "mail_smtppassword", "mail_smtptimeout", "mail_from_address", "mail_domain", "mail_smtpstreamoptions",
)
KEY_FIELDS = {
    "mail_smtphost": ("host",),
    "mail_smtpname": ("auth", "username"),
    "mail_smtppassword": ("auth", "password"),
    "mail_from_address": ("senders", "default"),
    "mail_domain": ("senders", "default"),
}
NEW_FILE = "<?php\n$CONFIG = array (\n);\n"
_START = re.compile(r"\$CONFIG\s*=\s*(array\s*\(|\[)")


# ---------------------------------------------------------------- PHP literals

def php_string(value):
    """A single-quoted PHP literal: only \\ and ' are escaped, nothing is interpolated."""
    return "'%s'" % value.replace("\\", "\\\\").replace("'", "\\'")


def php_literal(value, indent="  "):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, dict):
        inner = indent + "  "
        items = "".join("%s%s => %s,\n" % (inner, php_literal(k), php_literal(v, inner)) for k, v in value.items())
        return "\n%sarray (\n%s%s)" % (indent, items, indent)
    return php_string(value)


class _Reader:
    """A reader of PHP array literals (var_export's output and hand-written variants)."""

    _DQ = {"n": "\n", "t": "\t", "r": "\r", "v": "\v", "e": "\x1b", "f": "\f", "\\": "\\", "$": "$", '"': '"'}

    def __init__(self, text, pos):
        self.text = text
        self.pos = pos

    def fail(self, what):
        line = self.text.count("\n", 0, self.pos) + 1
        raise _common.FormatError("config.php line %d: %s" % (line, what))

    def skip(self):
        text = self.text
        while self.pos < len(text):
            char = text[self.pos]
            if char.isspace():
                self.pos += 1
            elif text.startswith("//", self.pos) or char == "#":
                end = text.find("\n", self.pos)
                self.pos = len(text) if end < 0 else end + 1
            elif text.startswith("/*", self.pos):
                end = text.find("*/", self.pos + 2)
                if end < 0:
                    self.fail("unterminated comment")
                self.pos = end + 2
            else:
                return

    def string(self):
        text, quote = self.text, self.text[self.pos]
        out, i = [], self.pos + 1
        while i < len(text):
            char = text[i]
            if char == "\\" and i + 1 < len(text):
                nxt = text[i + 1]
                if quote == "'":
                    out.append(nxt if nxt in "\\'" else "\\" + nxt)
                else:
                    out.append(self._DQ.get(nxt, "\\" + nxt))
                i += 2
                continue
            if char == quote:
                self.pos = i + 1
                return "".join(out)
            if quote == '"' and char == "$" and re.match(r"[A-Za-z_{]", text[i + 1:i + 2]):
                self.fail("a double-quoted string interpolates a variable: it cannot be read")
            out.append(char)
            i += 1
        self.fail("unterminated string")

    def value(self):
        self.skip()
        text = self.text
        if self.pos >= len(text):
            self.fail("unexpected end of file")
        char = text[self.pos]
        if char in "'\"":
            return self.string()
        match = re.compile(r"array\s*\(|\[").match(text, self.pos)
        if match:
            self.pos = match.end()
            return dict((k, v) for k, v, _s, _e in self.entries(")" if match.group(0) != "[" else "]"))
        match = re.compile(r"(?i)(true|false|null)\b|-?\d+(?:\.\d+)?").match(text, self.pos)
        if match:
            self.pos = match.end()
            word = match.group(0).lower()
            if word in ("true", "false", "null"):
                return {"true": True, "false": False, "null": None}[word]
            return float(word) if "." in word else int(word)
        self.fail("not a literal (string, number, true, false, null, array): it cannot be read")

    def entries(self, close):
        """[(key, value, start, end)] of an array body; start/end span the entry and its comma."""
        out = []
        index = 0
        while True:
            self.skip()
            if self.text.startswith(close, self.pos):
                self.pos += 1
                return out
            start = self.pos
            first = self.value()
            self.skip()
            if self.text.startswith("=>", self.pos):
                self.pos += 2
                key, val = first, self.value()
            else:
                key, val = index, first
            if isinstance(key, int):
                index = key + 1
            self.skip()
            if self.text.startswith(",", self.pos):
                self.pos += 1
            elif not self.text.startswith(close, self.pos):
                self.fail("expected ',' or '%s'" % close)
            out.append((key, val, start, self.pos))


def read_config(text):
    """({key: value}, [(key, start, end)], closing position) of $CONFIG, or None when there is none."""
    match = _START.search(text or "")
    if not match:
        return None
    reader = _Reader(text, match.end())
    close = "]" if match.group(1) == "[" else ")"
    entries = reader.entries(close)
    values = dict((k, v) for k, v, _s, _e in entries)
    spans = [(k, s, e) for k, _v, s, e in entries]
    return values, spans, reader.pos - 1


# ---------------------------------------------------------------- the model

def native_values(conn):
    auth = conn.get("auth")
    tls = conn.get("tls") or {}
    _name, address = _native.split_mailbox((conn.get("senders") or {}).get("default", ""))
    local, _sep, domain = address.rpartition("@")
    vals = [
        ("mail_smtpmode", "smtp"),
        ("mail_smtphost", conn["host"]),
        ("mail_smtpport", conn["port"]),
        ("mail_smtpsecure", "ssl" if conn["security"] == "tls" else ""),
        ("mail_smtpauth", bool(auth)),
    ]
    if auth:
        vals.append(("mail_smtpname", auth["username"]))
        vals.append(("mail_smtppassword", auth["password"]))
    vals.append(("mail_smtptimeout", conn.get("timeout", 30)))
    if address:
        vals.append(("mail_from_address", local))
        vals.append(("mail_domain", domain))
    ssl = {}
    if not tls.get("verify", True):
        ssl.update(verify_peer=False, verify_peer_name=False, allow_self_signed=True)
    if tls.get("ca_file"):
        ssl["cafile"] = tls["ca_file"]
    if tls.get("server_name"):
        ssl["peer_name"] = tls["server_name"]
    if ssl:
        vals.append(("mail_smtpstreamoptions", {"ssl": ssl}))
    for key, value in vals:
        if key in KEY_FIELDS:
            # PHP strings could hold them, but a line break would let a value look like a comment line.
            _native.refuse_breaks(value, KEY_FIELDS[key], "a config.php value")
    return vals


def carried(values):
    pairs = []
    if values.get("mail_smtpmode", "smtp") != "smtp" or not values.get("mail_smtphost"):
        return pairs
    pairs.append((("host",), str(values["mail_smtphost"])))
    try:
        pairs.append((("port",), int(values.get("mail_smtpport") or 25)))
    except ValueError:
        raise _common.FormatError("mail_smtpport: %r is not a port number" % values.get("mail_smtpport"),
                                  ("port",)) from None
    if values.get("mail_smtpsecure") == "ssl":
        pairs.append((("security",), "tls"))
    else:
        # '' and the ignored 'tls': Symfony's EsmtpTransport upgrades with STARTTLS when offered.
        pairs.append((("security",), "starttls"))
        pairs.append((("starttls",), "opportunistic"))
    if isinstance(values.get("mail_smtptimeout"), int):
        pairs.append((("timeout",), values["mail_smtptimeout"]))
    ssl = (values.get("mail_smtpstreamoptions") or {}).get("ssl") or {}
    if isinstance(ssl, dict):
        if ssl.get("verify_peer") is False:
            pairs.append((("tls", "verify"), False))
        if ssl.get("cafile"):
            pairs.append((("tls", "ca_file"), str(ssl["cafile"])))
        if ssl.get("peer_name"):
            pairs.append((("tls", "server_name"), str(ssl["peer_name"])))
    if values.get("mail_smtpauth") and values.get("mail_smtpname"):
        pairs.append((("auth", "username"), str(values["mail_smtpname"])))
        pairs.append((("auth", "password"), str(values.get("mail_smtppassword") or "")))
    if values.get("mail_from_address") and values.get("mail_domain"):
        pairs.append((("senders", "default"), "%s@%s" % (values["mail_from_address"], values["mail_domain"])))
    return pairs


def desired(connectors):
    return _native.desired(connectors, "nextcloud", native_values, carried)


def _line_span(text, start, end):
    """The span widened to whole lines when the entry stands alone on its lines."""
    s = start
    while s > 0 and text[s - 1] in " \t":
        s -= 1
    if s > 0 and text[s - 1] != "\n":
        s = start
    e = end
    while e < len(text) and text[e] in " \t":
        e += 1
    if text[e:e + 1] == "\n":
        e += 1
    return s, e


def render(connectors, current=None, options=None):
    native, record = desired(connectors)
    if current and not _START.search(current):
        raise _common.FormatError("config.php holds no $CONFIG = array (...) to add the mail settings to")
    lines = [ln for ln in _native.split_lines(current or NEW_FILE)
             if _common.MANAGED_MARK not in ln and not _native.is_record(ln, "//")]
    text = "\n".join(lines) + "\n"
    _values, spans, close = read_config(text)
    block = "".join("  %s => %s,\n" % (php_literal(k), php_literal(v)) for k, v in native)
    if record is not None:
        block = "  // %s\n%s" % (_native.record_text(record), block)
    managed = [_line_span(text, s, e) for k, s, e in spans if k in NATIVE_KEYS]
    if managed:
        at = managed[0][0]
    else:
        at = _line_span(text, close, close)[0]
        if at == close and not text[:close].endswith("\n"):
            block = "\n" + block
    out, last = [], 0
    for start, end in managed:
        out.append(text[last:start])
        if start == at:
            out.append(block)
        last = end
    if not managed:
        out.append(text[:at] + block)
        last = at
    out.append(text[last:])
    head, sep, rest = "".join(out).partition("\n")
    return head + sep + "\n".join(_common.header_lines("//")) + "\n" + rest


def parse(text, options=None):
    found = read_config(text or "")
    if found is None:
        return []
    values = found[0]
    record = _native.find_record(_native.split_lines(text), "//")
    if values.get("mail_smtpmode", "smtp") != "smtp" or (not values.get("mail_smtphost") and not record):
        return []
    return [_native.connector(carried(values), record, (options or {}).get("default_name"))]


class Nextcloud(_base.Format):
    name = "nextcloud"
    reload_steps = _base.Reload("PHP reads config.php for each request")
    summary = "the mail_* entries of Nextcloud's config/config.php"
    path_description = "config/config.php"
    capabilities = dict(
        _base.EVERYTHING,
        starttls_required=_base.Lacks(
            "Nextcloud cannot require STARTTLS: with mail_smtpsecure '' (and 'tls', which it ignores) Symfony's "
            "EsmtpTransport uses STARTTLS when the server offers it and otherwise sends in clear text"),
        min_tls_version=_base.Lacks(
            "Nextcloud has no setting for the TLS version: PHP's OpenSSL defaults decide, so min_version 1.3 is "
            "not enforced"),
        auth_mechanisms=_base.Lacks(
            "Nextcloud cannot restrict AUTH mechanisms: Symfony Mailer picks from what the server offers "
            "(mail_smtpauthtype is ignored)"),
        multiple_connectors=_base.Lacks(
            "config.php holds one mail configuration: one connector per file", _base.Lacks.REFUSED),
    )

    def secret_encodings(self, secret):
        return (secret, php_string(secret)[1:-1])


FORMAT = Nextcloud()
