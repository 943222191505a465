# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Format mastodon: the SMTP_* variables of Mastodon's .env.production.

Mastodon loads .env.production with Ruby's dotenv gem and builds its mailer settings from the
SMTP_* variables in config/environments/production.rb: SMTP_ENABLE_STARTTLS always (required),
auto (opportunistic) or never, SMTP_TLS for implicit TLS, SMTP_OPENSSL_VERIFY_MODE, SMTP_CA_FILE,
SMTP_AUTH_METHOD. Only those variables change; every other line stays. dotenv expands $VAR,
${VAR} and $(command) in unquoted and double-quoted values, so values are written in single
quotes, which dotenv takes literally; a value holding a single quote is written double-quoted
with '\\', '"' and '$' escaped, and refused when it also holds a backslash (dotenv would turn
a backslash before 'n' into a line break). One connector per file.
Reference: https://docs.joinmastodon.org/admin/config/#smtp

Private to the collection: may change without notice. Standard library only.
"""

from __future__ import annotations

import re

from ansible_collections.mailops.smtp.plugins.module_utils._formats import _base, _common, _native

NATIVE_KEYS = (
    "SMTP_DELIVERY_METHOD", "SMTP_SERVER", "SMTP_PORT", "SMTP_LOGIN", "SMTP_PASSWORD", "SMTP_AUTH_METHOD",
    "SMTP_ENABLE_STARTTLS", "SMTP_TLS", "SMTP_OPENSSL_VERIFY_MODE", "SMTP_CA_FILE", "SMTP_FROM_ADDRESS",
)
# Read, and removed when written: the older spelling of SMTP_ENABLE_STARTTLS, and SMTP_TLS's alias.
LEGACY_KEYS = ("SMTP_ENABLE_STARTTLS_AUTO", "SMTP_SSL")
MANAGED_KEYS = NATIVE_KEYS + LEGACY_KEYS
KEY_FIELDS = {
    "SMTP_SERVER": ("host",),
    "SMTP_LOGIN": ("auth", "username"),
    "SMTP_PASSWORD": ("auth", "password"),
    "SMTP_CA_FILE": ("tls", "ca_file"),
    "SMTP_FROM_ADDRESS": ("senders", "default"),
}
STARTTLS = {"required": "always", "opportunistic": "auto"}
MECHANISMS = {"PLAIN": "plain", "LOGIN": "login", "CRAM-MD5": "cram_md5"}
# Mastodon's default CA file when SMTP_CA_FILE is empty.
DEFAULT_CA_FILE = "/etc/ssl/certs/ca-certificates.crt"
_EXPANDS = re.compile(r"(?<!\\)\$(?:[A-Za-z_{(])")


def dotenv_value(value, key):
    """A value as dotenv reads it back unchanged; errors name the field."""
    field = KEY_FIELDS.get(key, (key,))
    _native.refuse_breaks(value, field, "a .env.production value")
    if "'" not in value:
        return "'%s'" % value
    if "\\" in value:
        raise _common.FormatError("%s: dotenv cannot hold a value with both ' and \\ (it reads a backslash before n "
                                  "as a line break)" % _common.pointer(field), field)
    return '"%s"' % value.replace('"', '\\"').replace("$", "\\$")


def read_value(raw, key, number):
    text = raw.strip()
    if len(text) >= 2 and text[0] == "'" and text[-1] == "'":
        return text[1:-1]
    quoted = len(text) >= 2 and text[0] == '"' and text[-1] == '"'
    if quoted:
        text = text[1:-1]
    else:
        text = re.split(r"\s+#", text, maxsplit=1)[0].strip()
    if _EXPANDS.search(text):
        raise _common.FormatError(".env.production line %d: %s is expanded by dotenv ($VAR, ${VAR}, $(command)): it "
                                  "cannot be read or managed" % (number, key))
    if quoted:
        text = text.replace("\\n", "\n")
    return re.sub(r"\\(.)", r"\1", text)


def native_values(conn):
    auth = conn.get("auth")
    tls = conn.get("tls") or {}
    sec = conn["security"]
    vals = [("SMTP_DELIVERY_METHOD", "smtp"), ("SMTP_SERVER", conn["host"]), ("SMTP_PORT", str(conn["port"]))]
    if auth:
        mechs = [m for m in auth.get("mechanisms") or [] if m in MECHANISMS]
        vals += [("SMTP_LOGIN", auth["username"]), ("SMTP_PASSWORD", auth["password"]),
                 ("SMTP_AUTH_METHOD", MECHANISMS[mechs[0] if mechs else "PLAIN"])]
    else:
        vals.append(("SMTP_AUTH_METHOD", "none"))
    vals.append(("SMTP_ENABLE_STARTTLS", STARTTLS.get(conn.get("starttls"), "always") if sec == "starttls"
                 else "never"))
    vals.append(("SMTP_TLS", "true" if sec == "tls" else "false"))
    vals.append(("SMTP_OPENSSL_VERIFY_MODE", "peer" if tls.get("verify", True) else "none"))
    if tls.get("ca_file"):
        vals.append(("SMTP_CA_FILE", tls["ca_file"]))
    if (conn.get("senders") or {}).get("default"):
        vals.append(("SMTP_FROM_ADDRESS", conn["senders"]["default"]))
    return vals


def carried(values):
    pairs = []
    if not values.get("SMTP_SERVER"):
        return pairs
    pairs.append((("host",), values["SMTP_SERVER"]))
    try:
        pairs.append((("port",), int(values.get("SMTP_PORT") or 587)))  # Mastodon's documented default
    except ValueError:
        raise _common.FormatError("SMTP_PORT: %r is not a port number" % values["SMTP_PORT"], ("port",)) from None
    mode = values.get("SMTP_ENABLE_STARTTLS", "")
    if values.get("SMTP_TLS") == "true" or values.get("SMTP_SSL") == "true":
        pairs.append((("security",), "tls"))
    elif mode == "never" or (not mode and values.get("SMTP_ENABLE_STARTTLS_AUTO") == "false"):
        pairs.append((("security",), "none"))
    else:
        pairs.append((("security",), "starttls"))
        pairs.append((("starttls",), "required" if mode == "always" else "opportunistic"))
    if values.get("SMTP_OPENSSL_VERIFY_MODE", "peer") == "none":
        pairs.append((("tls", "verify"), False))
    if values.get("SMTP_CA_FILE") and values["SMTP_CA_FILE"] != DEFAULT_CA_FILE:
        pairs.append((("tls", "ca_file"), values["SMTP_CA_FILE"]))
    if values.get("SMTP_LOGIN"):
        pairs.append((("auth", "username"), values["SMTP_LOGIN"]))
        pairs.append((("auth", "password"), values.get("SMTP_PASSWORD", "")))
        for upper, lower in MECHANISMS.items():
            if values.get("SMTP_AUTH_METHOD", "plain") == lower:
                pairs.append((("auth", "mechanisms"), [upper]))
    if values.get("SMTP_FROM_ADDRESS"):
        pairs.append((("senders", "default"), values["SMTP_FROM_ADDRESS"]))
    return pairs


def desired(connectors):
    return _native.desired(connectors, "mastodon", native_values, carried)


def render(connectors, current=None, options=None):
    native, record = desired(connectors)
    lines = _native.split_lines(current)
    spans = _native.env_spans(lines, MANAGED_KEYS)
    new = [(k, "%s=%s" % (k, dotenv_value(v, k))) for k, v in native]
    return "\n".join(_common.header_lines() + _native.merge(lines, spans, new, record, "#")) + "\n"


def parse(text, options=None):
    lines = _native.split_lines(text)
    values = {}
    for index, line in enumerate(lines):
        match = _native.ENV_ASSIGN.match(line)
        if match and match.group("key") in MANAGED_KEYS:
            values[match.group("key")] = read_value(match.group("val"), match.group("key"), index + 1)
    record = _native.find_record(lines, "#")
    if values.get("SMTP_DELIVERY_METHOD", "smtp") != "smtp" or (not values.get("SMTP_SERVER") and not record):
        return []
    return [_native.connector(carried(values), record, (options or {}).get("default_name"))]


class Mastodon(_base.Format):
    name = "mastodon"
    reload_steps = _base.Reload("Mastodon reads .env.production when it starts; Sidekiq sends the mail",
                                services=["mastodon-sidekiq", "mastodon-web"], action=_base.Reload.RESTARTED)
    summary = "the SMTP_* variables of Mastodon's .env.production"
    path_description = ".env.production"
    capabilities = dict(
        _base.EVERYTHING,
        min_tls_version=_base.Lacks(
            "Mastodon has no setting for the TLS version: Ruby's OpenSSL defaults decide, so min_version 1.3 is "
            "not enforced"),
        multiple_connectors=_base.Lacks(
            ".env.production holds one SMTP configuration: one connector per file", _base.Lacks.REFUSED),
    )

    def secret_encodings(self, secret):
        return (secret, secret.replace('"', '\\"').replace("$", "\\$"))


FORMAT = Mastodon()
