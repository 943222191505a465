# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Format gitea: the [mailer] section of Gitea's (and Forgejo's) app.ini, or its GITEA__mailer__* form.

A path ending in '.ini' (or no path) is app.ini: only the mail keys of [mailer] are managed, every
other section, key and comment stays. Any other path is an environment file with the same keys as
GITEA__mailer__KEY variables (a Compose env_file or .env, a systemd EnvironmentFile), which Gitea's
container image turns into app.ini with environment-to-ini at start; the section part of the name
is case-insensitive, so GITEA__MAILER__KEY is read too (and rewritten as GITEA__mailer__KEY).
Gitea's mailer (services/mailer/sender/smtp.go) speaks PROTOCOL smtp (clear text), smtps
(implicit TLS) or smtp+starttls, which uses STARTTLS when the server offers it and otherwise
goes on in clear text ("falling back to regular SMTP"): Gitea cannot require STARTTLS. A
connector declaring starttls: required is written as smtp+starttls and the declared value is
kept in the '# mailops:' record; the capability matrix says what Gitea really does. Gitea has
no CA file, server name, TLS version, timeout or mechanism setting (record). One connector.
Reference: https://docs.gitea.com/administration/config-cheat-sheet#mailer-mailer,
https://forgejo.org/docs/latest/admin/config-cheat-sheet/#mailer-mailer and, for the variables,
https://docs.gitea.com/installation/install-with-docker#managing-deployments-with-environment-variables
(contrib/environment-to-ini/README).

Private to the collection: may change without notice. Standard library only.
"""

from __future__ import annotations

from ansible_collections.mailops.smtp.plugins.module_utils._formats import _base, _common, _goini, _native

SECTION = "mailer"
PROTOCOLS = {"none": "smtp", "starttls": "smtp+starttls", "tls": "smtps"}
# Gitea's inference when PROTOCOL is empty (modules/setting/mailer.go): by SMTP_PORT, else smtps.
INFERRED = {25: "smtp", 465: "smtps", 587: "smtp+starttls"}

NATIVE_KEYS = ("ENABLED", "PROTOCOL", "SMTP_ADDR", "SMTP_PORT", "FORCE_TRUST_SERVER_CERT", "USER", "PASSWD", "FROM",
               "ENVELOPE_FROM")
# Settings of Gitea before 1.18, replaced by the keys above: removed when the section is written.
LEGACY_KEYS = ("HOST", "IS_TLS_ENABLED", "MAILER_TYPE", "SKIP_VERIFY")
MANAGED_KEYS = NATIVE_KEYS + LEGACY_KEYS
# The environment form: GITEA__<section>__<KEY>; environment-to-ini matches the section case-insensitively.
ENV_PREFIX = "GITEA__mailer__"
ENV_KEYS = dict((prefix + key, key) for key in MANAGED_KEYS for prefix in (ENV_PREFIX, ENV_PREFIX.upper()))

KEY_FIELDS = {
    "SMTP_ADDR": ("host",),
    "USER": ("auth", "username"),
    "PASSWD": ("auth", "password"),
    "FROM": ("senders", "default"),
}


def native_values(conn):
    auth = conn.get("auth") or {}
    vals = [
        ("ENABLED", "true"),
        ("PROTOCOL", PROTOCOLS[conn["security"]]),
        ("SMTP_ADDR", conn["host"]),
        ("SMTP_PORT", str(conn["port"])),
        ("FORCE_TRUST_SERVER_CERT", "false" if (conn.get("tls") or {}).get("verify", True) else "true"),
        ("USER", auth.get("username", "")),
        ("PASSWD", auth.get("password", "")),
        ("FROM", (conn.get("senders") or {}).get("default", "")),
        # Empty: the envelope sender is FROM's address (Gitea's default).
        ("ENVELOPE_FROM", ""),
    ]
    for key, value in vals:
        if key in KEY_FIELDS:
            _native.refuse_breaks(value, KEY_FIELDS[key], "an app.ini value")
    return vals


def carried(values):
    pairs = []
    addr, port = values.get("SMTP_ADDR", ""), values.get("SMTP_PORT", "")
    if not addr and values.get("HOST"):
        addr, _sep, port = values["HOST"].rpartition(":")
        addr = addr.strip("[]")
    protocol = values.get("PROTOCOL", "")
    if not port:
        port = {"smtp": "25", "smtps": "465", "smtp+starttls": "587"}.get(protocol, "")
    if not addr:
        return pairs
    pairs.append((("host",), addr))
    try:
        number = int(port)
    except ValueError:
        raise _common.FormatError("SMTP_PORT: %r is not a port number" % port, ("port",)) from None
    pairs.append((("port",), number))
    protocol = protocol or INFERRED.get(number, "smtps")
    if protocol == "smtps":
        pairs.append((("security",), "tls"))
    elif protocol == "smtp+starttls":
        pairs.append((("security",), "starttls"))
        pairs.append((("starttls",), "opportunistic"))
    elif protocol == "smtp":
        pairs.append((("security",), "none"))
    else:
        raise _common.FormatError("PROTOCOL: %r does not send through an SMTP relay (smtp, smtps, smtp+starttls)"
                                  % protocol, ("security",))
    if values.get("FORCE_TRUST_SERVER_CERT", "").strip().lower() in ("true", "1", "yes", "on"):
        pairs.append((("tls", "verify"), False))
    if values.get("USER"):
        pairs.append((("auth", "username"), values["USER"]))
        pairs.append((("auth", "password"), values.get("PASSWD", "")))
    sender = values.get("FROM") or values.get("USER")  # Gitea's default FROM is USER
    if sender:
        pairs.append((("senders", "default"), sender))
    return pairs


def desired(connectors):
    return _native.desired(connectors, "gitea", native_values, carried)


def is_env(options):
    path = _native.path_suffix(options)
    return bool(path) and not path.endswith(".ini")


def _render_env(native, record, current):
    lines = _native.split_lines(current)
    # Spans under the canonical name, so an upper-case section spelling is rewritten where it stands.
    spans = dict((index, (last, ENV_PREFIX + ENV_KEYS[key]))
                 for index, (last, key) in _native.env_spans(lines, ENV_KEYS).items())
    new = [(ENV_PREFIX + k, "%s%s=%s" % (ENV_PREFIX, k, _common.maybe_quote(v))) for k, v in native]
    return "\n".join(_common.header_lines() + _native.merge(lines, spans, new, record, "#")) + "\n"


def _env_values(text):
    """{app.ini key: value} of the GITEA__mailer__ variables; a later assignment wins, whatever its case."""
    values = {}
    for line in _native.split_lines(text):
        match = _native.ENV_ASSIGN.match(line)
        if match and match.group("key") in ENV_KEYS:
            values[ENV_KEYS[match.group("key")]] = _native.env_value(match.group("val"))
    return values


def render(connectors, current=None, options=None):
    native, record = desired(connectors)
    if is_env(options):
        return _render_env(native, record, current)
    new = [(k, _goini.line(k, v)) for k, v in native]
    return _goini.render(current, SECTION, new, record, MANAGED_KEYS)


def parse(text, options=None):
    if is_env(options):
        values = _env_values(text)
        record = _native.find_record(_native.split_lines(text), "#")
    else:
        values = _goini.values(text, SECTION, MANAGED_KEYS)
        record = _goini.record(text, SECTION)
    protocol = values.get("PROTOCOL", "")
    configured = values.get("SMTP_ADDR") or values.get("HOST") or record
    if protocol in ("sendmail", "dummy", "smtp+unix") or not configured:
        return []
    return [_native.connector(carried(values), record, (options or {}).get("default_name"))]


class Gitea(_base.Format):
    name = "gitea"
    reload_steps = _base.Reload("Gitea and Forgejo read app.ini (and the container its GITEA__ variables) when they "
                                "start (Forgejo's service is forgejo)",
                                services=["gitea"], action=_base.Reload.RESTARTED)
    summary = "the [mailer] section of Gitea's and Forgejo's app.ini (*.ini), or its GITEA__mailer__* environment form"
    path_description = "app.ini (*.ini) or the GITEA__mailer__* environment file"
    capabilities = dict(
        _base.EVERYTHING,
        starttls_required=_base.Lacks(
            "Gitea cannot require STARTTLS: PROTOCOL smtp+starttls uses it when the server offers it and otherwise "
            "sends in clear text (it logs 'falling back to regular SMTP'), credentials included"),
        ca_file=_base.Lacks(
            "Gitea has no setting for a CA file: Go verifies against the system roots (or the file SSL_CERT_FILE "
            "names in Gitea's environment); tls.ca_file is only recorded"),
        min_tls_version=_base.Lacks(
            "Gitea has no setting for the TLS version: Go's client default accepts TLS 1.2 and later, so "
            "min_version 1.3 is not enforced"),
        auth_mechanisms=_base.Lacks(
            "Gitea cannot restrict AUTH mechanisms: it picks CRAM-MD5, PLAIN, LOGIN, NTLM in that order from what "
            "the server offers"),
        multiple_connectors=_base.Lacks(
            "app.ini has one [mailer] section: one connector per file", _base.Lacks.REFUSED),
    )

    secret_encodings = staticmethod(_common.dquote_encodings)


FORMAT = Gitea()
