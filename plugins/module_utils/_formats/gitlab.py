# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Format gitlab: the gitlab_rails['smtp_*'] and ['gitlab_email_*'] settings of /etc/gitlab/gitlab.rb.

gitlab.rb is Ruby, shared with every other Omnibus setting: only the managed assignments
change, where they are; every other line and comment (the shipped template is mostly
commented-out defaults) stays. Strings are written as single-quoted Ruby literals (only
backslash and quote are escaped there, nothing is interpolated); values are read back as
Ruby literals, never evaluated. GitLab's mail gem takes smtp_tls (implicit TLS) and
smtp_enable_starttls_auto, which uses STARTTLS only when the server offers it: GitLab
cannot require STARTTLS. One connector per file.
Reference: https://docs.gitlab.com/omnibus/settings/smtp/

Private to the collection: may change without notice. Standard library only.
"""

from __future__ import annotations

import re

from ansible_collections.mailops.smtp.plugins.module_utils._formats import _base, _common, _native

# Every key the format manages, in output order.
NATIVE_KEYS = (
    "smtp_enable", "smtp_address", "smtp_port", "smtp_user_name", "smtp_password", "smtp_authentication",
    "smtp_enable_starttls_auto", "smtp_tls", "smtp_openssl_verify_mode", "smtp_ca_file", "gitlab_email_from",
    "gitlab_email_display_name",
)
KEY_FIELDS = {
    "smtp_address": ("host",),
    "smtp_user_name": ("auth", "username"),
    "smtp_password": ("auth", "password"),
    "smtp_ca_file": ("tls", "ca_file"),
    "gitlab_email_from": ("senders", "default"),
    "gitlab_email_display_name": ("senders", "default"),
}
# Net::SMTP authtypes GitLab passes through smtp_authentication.
MECHANISMS = {"PLAIN": "plain", "LOGIN": "login", "CRAM-MD5": "cram_md5"}

_ASSIGN = re.compile(r"""^\s*gitlab_rails\[(?P<q>['"])(?P<key>[a-z_]+)(?P=q)\]\s*=\s*(?P<val>.*)$""")
_TAIL = re.compile(r"^\s*;?\s*(?:#.*)?$")


def ruby_string(value):
    """A single-quoted Ruby literal: only \\ and ' are escaped, nothing is interpolated."""
    return "'%s'" % value.replace("\\", "\\\\").replace("'", "\\'")


def ruby_literal(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return ruby_string(value)


_DQ_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "s": " ", "e": "\x1b", "0": "\0", "a": "\a", "b": "\b",
               "f": "\f", "v": "\v"}


def read_literal(text, key, number):
    """The Ruby literal at the start of text (string, symbol, integer, true/false/nil); errors name key and line."""
    text = text.strip()
    value, rest = None, ""
    if text[:1] in ("'", '"'):
        quote, out, i = text[0], [], 1
        while i < len(text):
            char = text[i]
            if char == "\\" and i + 1 < len(text):
                nxt = text[i + 1]
                if quote == "'":
                    out.append(nxt if nxt in "\\'" else "\\" + nxt)
                else:
                    out.append(_DQ_ESCAPES.get(nxt, nxt))
                i += 2
                continue
            if char == quote:
                value, rest = "".join(out), text[i + 1:]
                break
            if quote == '"' and char == "#" and text[i + 1:i + 2] in ("{", "@", "$"):
                raise _common.FormatError("gitlab_rails['%s'] (line %d) interpolates Ruby code: it cannot be read or "
                                          "managed; use a plain string" % (key, number))
            out.append(char)
            i += 1
        else:
            raise _common.FormatError("gitlab_rails['%s'] (line %d): unterminated string (a value on several lines "
                                      "cannot be read)" % (key, number))
    else:
        match = re.match(r"^(true|false|nil|-?\d+|:[A-Za-z_]\w*)(.*)$", text)
        if not match:
            raise _common.FormatError("gitlab_rails['%s'] (line %d) is not a literal (string, number, true, false, "
                                      "nil): it cannot be read or managed" % (key, number))
        word, rest = match.group(1), match.group(2)
        value = {"true": True, "false": False, "nil": None}.get(word, word)
        if re.match(r"^-?\d+$", word):
            value = int(word)
        elif word.startswith(":"):
            value = word[1:]
    if not _TAIL.match(rest):
        raise _common.FormatError("gitlab_rails['%s'] (line %d): unexpected text after the value" % (key, number))
    return value


def native_values(conn):
    auth = conn.get("auth")
    tls = conn.get("tls") or {}
    sec = conn["security"]
    name, address = _native.split_mailbox((conn.get("senders") or {}).get("default", ""))
    vals = [("smtp_enable", True), ("smtp_address", conn["host"]), ("smtp_port", conn["port"])]
    if auth:
        vals.append(("smtp_user_name", auth["username"]))
        vals.append(("smtp_password", auth["password"]))
        mechs = [m for m in auth.get("mechanisms") or [] if m in MECHANISMS]
        if mechs:
            vals.append(("smtp_authentication", MECHANISMS[mechs[0]]))
    vals.append(("smtp_enable_starttls_auto", sec == "starttls"))
    vals.append(("smtp_tls", sec == "tls"))
    vals.append(("smtp_openssl_verify_mode", "peer" if tls.get("verify", True) else "none"))
    if tls.get("ca_file"):
        vals.append(("smtp_ca_file", tls["ca_file"]))
    if address:
        vals.append(("gitlab_email_from", address))
        vals.append(("gitlab_email_display_name", name))
    for key, value in vals:
        if key in KEY_FIELDS:
            _native.refuse_breaks(value, KEY_FIELDS[key], "a gitlab.rb string")
    return vals


def _flag(values, key):
    return values.get(key) is True or str(values.get(key)).lower() == "true"


def carried(values):
    pairs = []
    if not values.get("smtp_address"):
        return pairs
    pairs.append((("host",), str(values["smtp_address"])))
    port = values.get("smtp_port")
    try:
        pairs.append((("port",), int(port) if port not in (None, "") else 25))
    except ValueError:
        raise _common.FormatError("gitlab_rails['smtp_port']: %r is not a port number" % port, ("port",)) from None
    if _flag(values, "smtp_tls") or _flag(values, "smtp_ssl"):
        pairs.append((("security",), "tls"))
    elif values.get("smtp_enable_starttls_auto") is False:
        pairs.append((("security",), "none"))
    else:
        # The mail gem's default is enable_starttls_auto: STARTTLS when offered, clear text otherwise.
        pairs.append((("security",), "starttls"))
        pairs.append((("starttls",), "opportunistic"))
    if str(values.get("smtp_openssl_verify_mode") or "peer").lower() == "none":
        pairs.append((("tls", "verify"), False))
    if values.get("smtp_ca_file"):
        pairs.append((("tls", "ca_file"), str(values["smtp_ca_file"])))
    if values.get("smtp_user_name"):
        pairs.append((("auth", "username"), str(values["smtp_user_name"])))
        pairs.append((("auth", "password"), str(values.get("smtp_password") or "")))
        mech = str(values.get("smtp_authentication") or "")
        for upper, lower in MECHANISMS.items():
            if mech.lower() == lower:
                pairs.append((("auth", "mechanisms"), [upper]))
    if values.get("gitlab_email_from"):
        pairs.append((("senders", "default"), _native.join_mailbox(str(values.get("gitlab_email_display_name") or ""),
                                                                   str(values["gitlab_email_from"]))))
    return pairs


def desired(connectors):
    return _native.desired(connectors, "gitlab", native_values, carried)


def _assignments(lines):
    """[(line index, key)] of the uncommented gitlab_rails[...] assignments of managed keys."""
    out = []
    for index, line in enumerate(lines):
        match = _ASSIGN.match(line)
        if match and match.group("key") in NATIVE_KEYS + ("smtp_ssl",):
            out.append((index, match.group("key"), match.group("val")))
    return out


def render(connectors, current=None, options=None):
    native, record = desired(connectors)
    lines = _native.split_lines(current)
    spans = dict((index, (index, key)) for index, key, _val in _assignments(lines))
    new = [(k, "gitlab_rails['%s'] = %s" % (k, ruby_literal(v))) for k, v in native]
    return "\n".join(_common.header_lines() + _native.merge(lines, spans, new, record, "#")) + "\n"


def parse(text, options=None):
    lines = _native.split_lines(text)
    values = {}
    for index, key, raw in _assignments(lines):
        values[key] = read_literal(raw, key, index + 1)
    record = _native.find_record(lines, "#")
    if not values.get("smtp_address") and not record:
        return []
    return [_native.connector(carried(values), record, (options or {}).get("default_name"))]


class Gitlab(_base.Format):
    name = "gitlab"
    reload_steps = _base.Reload("GitLab applies gitlab.rb with gitlab-ctl reconfigure, which restarts what changed",
                                commands=[["gitlab-ctl", "reconfigure"]])
    summary = "the gitlab_rails['smtp_*'] settings of Omnibus GitLab's gitlab.rb"
    path_description = "gitlab.rb"
    capabilities = dict(
        _base.EVERYTHING,
        starttls_required=_base.Lacks(
            "GitLab cannot require STARTTLS: smtp_enable_starttls_auto uses STARTTLS only when the server offers "
            "it and otherwise sends in clear text"),
        min_tls_version=_base.Lacks(
            "GitLab has no setting for the TLS version: Ruby's OpenSSL defaults decide, so min_version 1.3 is "
            "not enforced"),
        multiple_connectors=_base.Lacks(
            "gitlab.rb holds one SMTP configuration: one connector per file", _base.Lacks.REFUSED),
    )

    def secret_encodings(self, secret):
        return (secret, ruby_string(secret)[1:-1])


FORMAT = Gitlab()
