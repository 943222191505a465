# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Format django: Django's EMAIL_* settings, as a settings module (*.py) or an environment file.

A path ending in '.py' is a Python settings module (values written as Python literals, read
back with the ast module, never executed); any other path is a KEY=value environment file
for settings code that reads os.environ (django-environ, Compose env_file, systemd). One
connector per file. Django's SMTP backend knows no opportunistic STARTTLS (EMAIL_USE_TLS
fails when the server offers none), no way to turn verification off, no CA file, no
server name and no TLS version: such declared values are written the way Django behaves
(stricter) and kept in the '# mailops:' record. Lines that are not managed keys stay.
Reference: https://docs.djangoproject.com/en/stable/ref/settings/#email-host and
https://docs.djangoproject.com/en/stable/topics/email/#smtp-backend

Private to the collection: may change without notice. Standard library only.
"""

from __future__ import annotations

import ast

from ansible_collections.mailops.smtp.plugins.module_utils._formats import _base, _common, _native

BACKEND = "django.core.mail.backends.smtp.EmailBackend"
SERVER_PURPOSE = "server"

# Every key the format manages, in output order.
NATIVE_KEYS = (
    "EMAIL_BACKEND", "EMAIL_HOST", "EMAIL_PORT", "EMAIL_USE_TLS", "EMAIL_USE_SSL", "EMAIL_HOST_USER",
    "EMAIL_HOST_PASSWORD", "EMAIL_TIMEOUT", "DEFAULT_FROM_EMAIL", "SERVER_EMAIL",
)

# The model field each text setting comes from, for errors that name the field.
KEY_FIELDS = {
    "EMAIL_HOST": ("host",),
    "EMAIL_HOST_USER": ("auth", "username"),
    "EMAIL_HOST_PASSWORD": ("auth", "password"),
    "DEFAULT_FROM_EMAIL": ("senders", "default"),
    "SERVER_EMAIL": ("senders", SERVER_PURPOSE),
}

_TRUE = ("true", "1", "yes", "on", "y", "ok")
_FALSE = ("false", "0", "no", "off", "n", "")


def native_values(conn):
    """(key, typed value) for one canonical connector, in NATIVE_KEYS order."""
    auth = conn.get("auth") or {}
    sec = conn.get("security")
    senders = conn.get("senders") or {}
    vals = [
        ("EMAIL_BACKEND", BACKEND),
        ("EMAIL_HOST", conn["host"]),
        ("EMAIL_PORT", conn["port"]),
        ("EMAIL_USE_TLS", sec == "starttls"),
        ("EMAIL_USE_SSL", sec == "tls"),
        ("EMAIL_HOST_USER", auth.get("username", "")),
        ("EMAIL_HOST_PASSWORD", auth.get("password", "")),
        ("EMAIL_TIMEOUT", conn.get("timeout", 30)),
    ]
    if senders.get("default"):
        vals.append(("DEFAULT_FROM_EMAIL", senders["default"]))
    if senders.get(SERVER_PURPOSE):
        vals.append(("SERVER_EMAIL", senders[SERVER_PURPOSE]))
    return vals


def _flag(values, key):
    value = values.get(key, False)
    if isinstance(value, str):
        low = value.strip().lower()
        if low not in _TRUE + _FALSE:
            raise _common.FormatError("%s: %r is not a boolean (True or False)" % (key, value))
        return low in _TRUE
    return bool(value)


def _number(values, key, path):
    value = values[key]
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise _common.FormatError("%s: %r is not a number" % (key, value), path)
    try:
        return int(float(value))
    except ValueError:
        raise _common.FormatError("%s: %r is not a number" % (key, value), path) from None


def carried(values):
    """The model fields Django's settings carry, as (path, value) pairs."""
    pairs = []
    if values.get("EMAIL_HOST") not in (None, ""):
        pairs.append((("host",), str(values["EMAIL_HOST"])))
    use_tls, use_ssl = _flag(values, "EMAIL_USE_TLS"), _flag(values, "EMAIL_USE_SSL")
    if use_tls and use_ssl:
        raise _common.FormatError("EMAIL_USE_TLS and EMAIL_USE_SSL are both true, which Django refuses "
                                  "(they are mutually exclusive)", ("security",))
    if use_ssl:
        pairs.append((("security",), "tls"))
    elif use_tls:
        pairs.append((("security",), "starttls"))
        pairs.append((("starttls",), "required"))
    else:
        pairs.append((("security",), "none"))
    if values.get("EMAIL_PORT") not in (None, ""):
        pairs.append((("port",), _number(values, "EMAIL_PORT", ("port",))))
    else:
        pairs.append((("port",), 25))  # Django's default, whatever the TLS mode
    if values.get("EMAIL_TIMEOUT") not in (None, ""):
        pairs.append((("timeout",), _number(values, "EMAIL_TIMEOUT", ("timeout",))))
    if values.get("EMAIL_HOST_USER"):
        pairs.append((("auth", "username"), str(values["EMAIL_HOST_USER"])))
        pairs.append((("auth", "password"), str(values.get("EMAIL_HOST_PASSWORD") or "")))
    if values.get("DEFAULT_FROM_EMAIL"):
        pairs.append((("senders", "default"), str(values["DEFAULT_FROM_EMAIL"])))
    if values.get("SERVER_EMAIL"):
        pairs.append((("senders", SERVER_PURPOSE), str(values["SERVER_EMAIL"])))
    return pairs


def desired(connectors):
    return _native.desired(connectors, "django", native_values, carried)


def is_module(options):
    return _native.path_suffix(options).endswith(".py")


# --- settings module syntax -------------------------------------------------------------

def _literal(value):
    # repr() of str/int/bool is a Python literal on one line: quotes, backslashes, line
    # breaks and every non-printable character come out escaped, so no value adds a statement.
    return repr(value)


def _statements(text):
    try:
        tree = ast.parse(text or "")
    except SyntaxError as exc:
        raise _common.FormatError("not a valid Python settings module (line %s: %s)" % (exc.lineno, exc.msg)) from None
    out = []
    for node in tree.body:
        target = None
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            target = node.targets[0].id
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None:
            target = node.target.id
        out.append((node.lineno, getattr(node, "end_lineno", node.lineno), target, node))
    return out


def _module_values(text):
    values = {}
    spans = _statements(text)
    for start, _end, target, node in spans:
        if target not in NATIVE_KEYS:
            continue
        try:
            values[target] = ast.literal_eval(node.value)
        except ValueError:
            raise _common.FormatError("%s (line %d) is computed at run time, not a literal: it cannot be read or "
                                      "managed; set it to a literal or remove it" % (target, start)) from None
    return values, spans


def _render_module(native, record, current):
    lines = _native.split_lines(current)
    _values, statements = _module_values(current)
    spans = {}
    for index, (start, end, target, _node) in enumerate(statements):
        if target not in NATIVE_KEYS:
            continue
        if any(s[1] >= start for s in statements[max(0, index - 1):index]) or \
                any(s[0] <= end for s in statements[index + 1:index + 2]):
            raise _common.FormatError("%s (line %d) shares its line with another statement; put it on a line "
                                      "of its own" % (target, start))
        spans[start - 1] = (end - 1, target)
    new = [(k, "%s = %s" % (k, _literal(v))) for k, v in native]
    return "\n".join(_common.header_lines() + _native.merge(lines, spans, new, record, "#")) + "\n"


# --- environment file syntax --------------------------------------------------------------

def _env_text(key, value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if key in KEY_FIELDS:
        _native.refuse_breaks(value, KEY_FIELDS[key], "an environment file")
    return str(value)


def _render_env(native, record, current):
    lines = _native.split_lines(current)
    spans = _native.env_spans(lines, NATIVE_KEYS)
    new = [(k, "%s=%s" % (k, _common.maybe_quote(_env_text(k, v)))) for k, v in native]
    return "\n".join(_common.header_lines() + _native.merge(lines, spans, new, record, "#")) + "\n"


def render(connectors, current=None, options=None):
    native, record = desired(connectors)
    if is_module(options):
        return _render_module(native, record, current)
    return _render_env(native, record, current)


def parse(text, options=None):
    if is_module(options):
        values, _spans = _module_values(text)
    else:
        values = _native.env_pairs(text, NATIVE_KEYS)
    record = _native.find_record(_native.split_lines(text), "#")
    if not values.get("EMAIL_HOST") and not record:
        return []
    return [_native.connector(carried(values), record, (options or {}).get("default_name"))]


class Django(_base.Format):
    name = "django"
    reload_steps = _base.Reload("Django reads its settings when the application server starts: restart it "
                                "(its service name is the deployment's)", action=_base.Reload.RESTARTED)
    summary = "Django's EMAIL_* settings, as a settings module (*.py) or an environment file"
    path_description = "the settings module (*.py) or environment file"
    capabilities = dict(
        _base.EVERYTHING,
        starttls_opportunistic=_base.Lacks(
            "Django has no opportunistic STARTTLS: EMAIL_USE_TLS makes smtplib require it, so Django refuses to send "
            "('STARTTLS extension not supported by server') when the server offers none", _base.Lacks.STRICTER),
        verify_off=_base.Lacks(
            "Django cannot turn certificate verification off: its SMTP backend uses ssl.create_default_context(), "
            "so it verifies anyway and refuses an untrusted certificate", _base.Lacks.STRICTER),
        ca_file=_base.Lacks(
            "Django has no setting for a CA file: it trusts the system store, or the file SSL_CERT_FILE names in "
            "its environment; tls.ca_file is only recorded"),
        min_tls_version=_base.Lacks(
            "Django has no setting for the TLS version: Python's default context accepts TLS 1.2 and later, so "
            "min_version 1.3 is not enforced"),
        auth_mechanisms=_base.Lacks(
            "Django cannot restrict AUTH mechanisms: smtplib picks CRAM-MD5, then PLAIN, then LOGIN from what the "
            "server offers"),
        multiple_connectors=_base.Lacks(
            "Django's EMAIL_* settings describe one SMTP server: write one file per connector", _base.Lacks.REFUSED),
    )

    def secret_encodings(self, secret):
        return (secret, repr(secret)[1:-1], _common.dquote(secret)[1:-1])


FORMAT = Django()
