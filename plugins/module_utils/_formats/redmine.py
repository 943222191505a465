# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Format redmine: the email_delivery block of Redmine's config/configuration.yml.

Redmine reads configuration.yml through ERB, then YAML, and merges the 'default' section with
the section of its environment key by key (lib/redmine/configuration.rb): the block managed is
email_delivery of 'production' when that section has one, else of 'default'. The block is
written whole (delivery_method :smtp and smtp_settings for the mail gem); every other line and
comment of the file stays. Strings are YAML double-quoted with escapes, and '<%' is written
'<%%', which ERB turns back into '<%', so no value runs Ruby or adds a key. The From address
is a database setting in Redmine (Administration > Settings > Email notifications): senders
are kept in the '# mailops:' record only. One connector per file.
Reference: https://www.redmine.org/projects/redmine/wiki/EmailConfiguration and
config/configuration.yml.example

Private to the collection: may change without notice. Standard library only.
"""

from __future__ import annotations

import re

from ansible_collections.mailops.smtp.plugins.module_utils._formats import _base, _common, _native

SETTING_KEYS = (
    "address", "port", "enable_starttls", "enable_starttls_auto", "tls", "openssl_verify_mode", "ca_file",
    "authentication", "user_name", "password", "open_timeout", "read_timeout",
)
KEY_FIELDS = {"address": ("host",), "user_name": ("auth", "username"), "password": ("auth", "password"),
              "ca_file": ("tls", "ca_file")}
MECHANISMS = {"PLAIN": "plain", "LOGIN": "login", "CRAM-MD5": "cram_md5"}
_TOP = re.compile(r"^(?P<key>[A-Za-z_][\w-]*):\s*(?:#.*)?$")
_ITEM = re.compile(r"^(?P<indent> *)(?P<key>[A-Za-z_][\w-]*):(?:\s+(?P<val>.*?))?\s*$")


# ---------------------------------------------------------------- YAML scalars (through ERB)

def yaml_string(value):
    """A YAML double-quoted scalar, with '<%' as '<%%' for ERB."""
    out = ['"']
    for char in value:
        code = ord(char)
        if char in '"\\':
            out.append("\\" + char)
        elif code < 0x20 or code == 0x7F or code in (0x85, 0x2028, 0x2029, 0xFEFF):
            out.append("\\u%04x" % code)
        else:
            out.append(char)
    out.append('"')
    return "".join(out).replace("<%", "<%%")


def yaml_scalar(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return yaml_string(value)


_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "0": "\0", "\\": "\\", '"': '"', "/": "/", "N": "\x85",
            "L": "\u2028", "P": "\u2029", "_": "\xa0", "e": "\x1b", "a": "\a", "b": "\b", "f": "\f", "v": "\v",
            " ": " "}


def read_scalar(raw, key, number):
    """A scalar as Redmine gets it (ERB's '<%%' first, then YAML); computed ERB is an error."""
    text = (raw or "").strip()
    if "<%" in text.replace("<%%", ""):
        raise _common.FormatError("configuration.yml line %d: %s is computed with ERB (<%% ... %%>): it cannot be "
                                  "read or managed" % (number, key))
    text = text.replace("<%%", "<%")
    if text.startswith('"'):
        out, i = [], 1
        while i < len(text):
            char = text[i]
            if char == "\\" and i + 1 < len(text):
                nxt = text[i + 1]
                if nxt == "u":
                    out.append(chr(int(text[i + 2:i + 6], 16)))
                    i += 6
                    continue
                if nxt == "x":
                    out.append(chr(int(text[i + 2:i + 4], 16)))
                    i += 4
                    continue
                out.append(_ESCAPES.get(nxt, nxt))
                i += 2
                continue
            if char == '"':
                return "".join(out)
            out.append(char)
            i += 1
        raise _common.FormatError("configuration.yml line %d: %s: unterminated string" % (number, key))
    if text.startswith("'"):
        end = text.rfind("'")
        return text[1:end].replace("''", "'") if end > 0 else text[1:]
    text = re.split(r"\s+#", text, maxsplit=1)[0].strip()
    if text in ("true", "false"):
        return text == "true"
    if re.match(r"^-?\d+$", text):
        return int(text)
    if text in ("", "~", "null"):
        return None
    return text


# ---------------------------------------------------------------- the block in the file

def _sections(lines):
    """{top-level key: (line index, end index exclusive)}."""
    out = {}
    current = None
    for index, line in enumerate(lines):
        if line and not line[0].isspace() and not line.startswith("#"):
            match = _TOP.match(line)
            if current:
                out[current[0]] = (current[1], index)
            current = (match.group("key"), index) if match else None
    if current:
        out[current[0]] = (current[1], len(lines))
    return out


def _block(lines, start, end):
    """(first, end exclusive) of 'email_delivery:' (indent 2) in a section, or None."""
    for index in range(start + 1, end):
        match = _ITEM.match(lines[index])
        if match and len(match.group("indent")) == 2 and match.group("key") == "email_delivery":
            last = index + 1
            for nxt in range(index + 1, end):
                text = lines[nxt]
                if not text.strip():
                    continue
                if len(text) - len(text.lstrip(" ")) <= 2:
                    break
                last = nxt + 1
            return index, last
    return None


def _target(lines):
    """(section name, block span or None, section span) that Redmine's production run reads."""
    sections = _sections(lines)
    for name in ("production", "default"):
        if name in sections:
            span = _block(lines, *sections[name])
            if span:
                return name, span, sections[name]
    return "default", None, sections.get("default")


def _settings(lines, span):
    values, record = {}, {}
    for index in range(span[0] + 1, span[1]):
        text = lines[index]
        if _native.is_record(text, "#"):
            record = _native.read_record(text, "#")
            continue
        match = _ITEM.match(text)
        if match and match.group("val") is not None and not text.lstrip().startswith("#"):
            values[match.group("key")] = read_scalar(match.group("val"), match.group("key"), index + 1)
    return values, record


# ---------------------------------------------------------------- the model

def native_values(conn):
    sec = conn["security"]
    tls = conn.get("tls") or {}
    auth = conn.get("auth")
    vals = [("address", conn["host"]), ("port", conn["port"])]
    if sec == "starttls" and conn.get("starttls") == "required":
        vals.append(("enable_starttls", True))
    else:
        vals.append(("enable_starttls_auto", sec == "starttls"))
    vals.append(("tls", sec == "tls"))
    vals.append(("openssl_verify_mode", "peer" if tls.get("verify", True) else "none"))
    if tls.get("ca_file"):
        vals.append(("ca_file", tls["ca_file"]))
    if auth:
        mechs = [m for m in auth.get("mechanisms") or [] if m in MECHANISMS]
        vals.append(("authentication", ":" + MECHANISMS[mechs[0] if mechs else "PLAIN"]))
        vals.append(("user_name", auth["username"]))
        vals.append(("password", auth["password"]))
    vals.append(("open_timeout", conn.get("timeout", 30)))
    vals.append(("read_timeout", conn.get("timeout", 30)))
    for key, value in vals:
        if key in KEY_FIELDS:
            _native.refuse_breaks(value, KEY_FIELDS[key], "a configuration.yml value")
    return vals


def carried(values):
    pairs = []
    if not values.get("address"):
        return pairs
    pairs.append((("host",), str(values["address"])))
    pairs.append((("port",), int(values.get("port") or 25)))
    if values.get("tls") is True or values.get("ssl") is True:
        pairs.append((("security",), "tls"))
    elif values.get("enable_starttls") in (True, "always", ":always"):
        pairs.append((("security",), "starttls"))
        pairs.append((("starttls",), "required"))
    elif values.get("enable_starttls_auto") is False:
        pairs.append((("security",), "none"))
    else:
        pairs.append((("security",), "starttls"))
        pairs.append((("starttls",), "opportunistic"))
    if str(values.get("openssl_verify_mode") or "peer").lower() == "none":
        pairs.append((("tls", "verify"), False))
    if values.get("ca_file"):
        pairs.append((("tls", "ca_file"), str(values["ca_file"])))
    if isinstance(values.get("open_timeout"), int):
        pairs.append((("timeout",), values["open_timeout"]))
    if values.get("user_name"):
        pairs.append((("auth", "username"), str(values["user_name"])))
        pairs.append((("auth", "password"), str(values.get("password") or "")))
        mech = str(values.get("authentication") or "plain").lstrip(":").lower()
        for upper, lower in MECHANISMS.items():
            if mech == lower:
                pairs.append((("auth", "mechanisms"), [upper]))
    return pairs


def desired(connectors):
    return _native.desired(connectors, "redmine", native_values, carried)


def render(connectors, current=None, options=None):
    native, record = desired(connectors)
    lines = [ln for ln in _native.split_lines(current) if _common.MANAGED_MARK not in ln]
    name, span, section = _target(lines)
    block = ["  email_delivery:", "    delivery_method: :smtp"]
    if record is not None:
        block.append("    " + _native.record_line("#", record))
    block.append("    smtp_settings:")
    # authentication is a Ruby symbol (:login), as Redmine's examples write it; it is one of MECHANISMS.
    block.extend("      %s: %s" % (k, v if k == "authentication" else yaml_scalar(v)) for k, v in native)
    if span:
        lines[span[0]:span[1]] = block
    elif section:
        lines[section[0] + 1:section[0] + 1] = block
    else:
        while lines and not lines[-1].strip():
            lines.pop()
        lines.extend(([""] if lines else []) + ["%s:" % name] + block)
    return "\n".join(_common.header_lines() + lines) + "\n"


def parse(text, options=None):
    lines = _native.split_lines(text)
    _name, span, _section = _target(lines)
    if not span:
        return []
    values, record = _settings(lines, span)
    delivery = [ln for ln in lines[span[0]:span[1]] if re.match(r"^    delivery_method:", ln)]
    method = read_scalar(delivery[0].split(":", 1)[1], "delivery_method", span[0] + 1) if delivery else "smtp"
    if method not in (":smtp", "smtp"):
        return []
    if not values.get("address") and not record:
        return []
    return [_native.connector(carried(values), record, (options or {}).get("default_name"))]


class Redmine(_base.Format):
    name = "redmine"
    reload_steps = _base.Reload("Redmine reads configuration.yml when it starts: restart its application server "
                                "(its service name is the deployment's)", action=_base.Reload.RESTARTED)
    summary = "the email_delivery block of Redmine's config/configuration.yml"
    path_description = "config/configuration.yml"
    capabilities = dict(
        _base.EVERYTHING,
        min_tls_version=_base.Lacks(
            "Redmine has no setting for the TLS version: Ruby's OpenSSL defaults decide, so min_version 1.3 is "
            "not enforced"),
        envelope_sender=_base.Lacks(
            "Redmine's sender (From and MAIL FROM) is not in configuration.yml but a database setting "
            "(Administration, Settings, Email notifications, emission address): senders.default is only recorded "
            "there, set it in Redmine"),
        multiple_connectors=_base.Lacks(
            "configuration.yml holds one email_delivery per environment: one connector per file",
            _base.Lacks.REFUSED),
    )

    def secret_encodings(self, secret):
        return (secret, yaml_string(secret)[1:-1])


FORMAT = Redmine()
