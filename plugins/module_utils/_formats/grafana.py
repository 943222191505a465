# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Format grafana: the [smtp] section of grafana.ini, or its GF_SMTP_* environment form.

A path ending in '.ini' is grafana.ini (or custom.ini): only the mail keys of [smtp] are
managed, every other section, key and comment stays. Any other path is an environment file
with GF_SMTP_* variables (Compose env_file, /etc/default/grafana-server, systemd).
Grafana's mailer (pkg/services/notifications/smtp.go on go-mail) uses implicit TLS exactly
when the port is 465, takes startTLS_policy NoStartTLS / OpportunisticStartTLS /
MandatoryStartTLS (any other value is opportunistic), verifies certificates unless
skip_verify, and has no CA file, server name, TLS version, timeout or mechanism setting:
those fields are kept in the '# mailops:' record. One connector per file.
Reference: https://grafana.com/docs/grafana/latest/setup-grafana/configure-grafana/#smtp

Private to the collection: may change without notice. Standard library only.
"""

from __future__ import annotations

import re

from ansible_collections.mailops.smtp.plugins.module_utils._formats import _base, _common, _goini, _native

SECTION = "smtp"
SMTPS_PORT = 465  # go-mail's NewDialer: SSL is port == 465
POLICIES = {"none": "NoStartTLS", "opportunistic": "OpportunisticStartTLS", "required": "MandatoryStartTLS"}

# Every key the format manages, in output order (grafana.ini spelling).
NATIVE_KEYS = ("enabled", "host", "user", "password", "skip_verify", "from_address", "from_name", "startTLS_policy")
ENV_PREFIX = "GF_SMTP_"
ENV_KEYS = dict((ENV_PREFIX + k.upper(), k) for k in NATIVE_KEYS)

KEY_FIELDS = {
    "host": ("host",),
    "user": ("auth", "username"),
    "password": ("auth", "password"),
    "from_address": ("senders", "default"),
    "from_name": ("senders", "default"),
}

# Grafana expands $__env{..}, $__file{..}, ${..} in every value after loading (pkg/setting/expanders.go).
_EXPANDER = re.compile(r"\$(|__\w+)\{([^}]+)\}")


def _host_port(conn):
    host = conn["host"]
    if ":" in host:
        host = "[%s]" % host
    return "%s:%d" % (host, conn["port"])


def _check_port(conn):
    implicit = conn["port"] == SMTPS_PORT
    if implicit != (conn["security"] == "tls"):
        raise _common.FormatError(
            "/port: Grafana uses implicit TLS exactly when the port is %d; security %s on port %d cannot be "
            "written (use port %d for security tls, another port otherwise)"
            % (SMTPS_PORT, conn["security"], conn["port"], SMTPS_PORT), ("port",))


def native_values(conn):
    """(key, text) for one canonical connector, in NATIVE_KEYS order."""
    _check_port(conn)
    auth = conn.get("auth") or {}
    name, address = _native.split_mailbox((conn.get("senders") or {}).get("default", ""))
    vals = [
        ("enabled", "true"),
        ("host", _host_port(conn)),
        ("user", auth.get("username", "")),
        ("password", auth.get("password", "")),
        ("skip_verify", "false" if (conn.get("tls") or {}).get("verify", True) else "true"),
        ("from_address", address),
        ("from_name", name),
    ]
    if conn["security"] == "starttls":
        vals.append(("startTLS_policy", POLICIES[conn.get("starttls", "required")]))
    elif conn["security"] == "none":
        vals.append(("startTLS_policy", POLICIES["none"]))
    for key, value in vals:
        if key in KEY_FIELDS:
            _native.refuse_breaks(value, KEY_FIELDS[key], "a Grafana setting")
            if _EXPANDER.search(value):
                raise _common.FormatError("%s: holds '$...{...}', which Grafana would expand as a variable or "
                                          "file reference; such a value cannot be written"
                                          % _common.pointer(KEY_FIELDS[key]), KEY_FIELDS[key])
    return vals


def carried(values):
    pairs = []
    host = values.get("host", "")
    if host:
        match = re.match(r"^\[(?P<h>[^\]]*)\]:(?P<p>\d+)$", host) or re.match(r"^(?P<h>[^:]*):(?P<p>\d+)$", host)
        if not match:
            raise _common.FormatError("host: %r is not host:port as Grafana needs it" % host, ("host",))
        pairs.append((("host",), match.group("h")))
        port = int(match.group("p"))
        pairs.append((("port",), port))
        policy = values.get("startTLS_policy", "")
        if port == SMTPS_PORT:
            pairs.append((("security",), "tls"))
        elif policy == POLICIES["none"]:
            pairs.append((("security",), "none"))
        else:
            # Grafana treats every value but the two others as OpportunisticStartTLS.
            pairs.append((("security",), "starttls"))
            pairs.append((("starttls",), "required" if policy == POLICIES["required"] else "opportunistic"))
    if values.get("skip_verify", "").strip().lower() in ("true", "1", "yes", "on"):
        pairs.append((("tls", "verify"), False))
    if values.get("user"):
        pairs.append((("auth", "username"), values["user"]))
        pairs.append((("auth", "password"), values.get("password", "")))
    if values.get("from_address"):
        pairs.append((("senders", "default"), _native.join_mailbox(values.get("from_name", ""),
                                                                   values["from_address"])))
    return pairs


def desired(connectors):
    return _native.desired(connectors, "grafana", native_values, carried)


def is_ini(options):
    return _native.path_suffix(options).endswith(".ini")


# --- grafana.ini (go-ini) ---------------------------------------------------------------

def _render_ini(native, record, current):
    new = [(k, _goini.line(k, v)) for k, v in native]
    return _goini.render(current, SECTION, new, record, NATIVE_KEYS)


# --- GF_SMTP_* environment file ---------------------------------------------------------

def _render_env(native, record, current):
    lines = _native.split_lines(current)
    spans = _native.env_spans(lines, ENV_KEYS)
    new = [(ENV_PREFIX + k.upper(), "%s%s=%s" % (ENV_PREFIX, k.upper(), _common.maybe_quote(v))) for k, v in native]
    return "\n".join(_common.header_lines() + _native.merge(lines, spans, new, record, "#")) + "\n"


def render(connectors, current=None, options=None):
    native, record = desired(connectors)
    if is_ini(options):
        return _render_ini(native, record, current)
    return _render_env(native, record, current)


def parse(text, options=None):
    lines = _native.split_lines(text)
    if is_ini(options):
        values = _goini.values(text, SECTION, NATIVE_KEYS)
        record = _goini.record(text, SECTION)
    else:
        values = dict((ENV_KEYS[k], v) for k, v in _native.env_pairs(text, ENV_KEYS).items())
        record = _native.find_record(lines, "#")
    if not values.get("host") and not record:
        return []
    return [_native.connector(carried(values), record, (options or {}).get("default_name"))]


class Grafana(_base.Format):
    name = "grafana"
    reload_steps = _base.Reload("Grafana reads grafana.ini and its GF_ variables when it starts",
                                services=["grafana-server"], action=_base.Reload.RESTARTED)
    summary = "the [smtp] section of grafana.ini (*.ini), or Grafana's GF_SMTP_* environment form"
    path_description = "grafana.ini (*.ini) or the GF_SMTP_* environment file"
    capabilities = dict(
        _base.EVERYTHING,
        ca_file=_base.Lacks(
            "Grafana has no setting for a CA file: Go verifies against the system roots (or the file SSL_CERT_FILE "
            "names in Grafana's environment); tls.ca_file is only recorded"),
        min_tls_version=_base.Lacks(
            "Grafana has no setting for the TLS version: Go's client default accepts TLS 1.2 and later, so "
            "min_version 1.3 is not enforced"),
        auth_mechanisms=_base.Lacks(
            "Grafana cannot restrict AUTH mechanisms: go-mail chooses from what the server offers (CRAM-MD5 first)"),
        multiple_connectors=_base.Lacks(
            "grafana.ini has one [smtp] section: one connector per file", _base.Lacks.REFUSED),
    )

    secret_encodings = staticmethod(_common.dquote_encodings)


FORMAT = Grafana()
