# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Validate a list of connectors: JSON schema plus semantic rules, all problems at once.

Runs on the controller (needs jsonschema). Messages name the field and what is valid;
values of secret fields, and of unknown fields (which may be misplaced secrets), are
never repeated.

Private to the collection: may change without notice.
"""

from __future__ import annotations

from ansible_collections.mailops.smtp.plugins.module_utils._model import connector_label, is_secret_path
from ansible_collections.mailops.smtp.plugins.module_utils._rules import (
    ERROR,
    RULES,
    WARNING,
    Finding,
    connector_rules,
    finding_line,
    format_rules,
    list_rules,
    pointer,
)
from ansible_collections.mailops.smtp.plugins.module_utils._schema_data import CONNECTOR_SCHEMA

try:
    from jsonschema import Draft202012Validator
    HAS_JSONSCHEMA = True
    JSONSCHEMA_IMPORT_ERROR = None
except ImportError as _exc:  # pragma: no cover - depends on the environment
    Draft202012Validator = None
    HAS_JSONSCHEMA = False
    JSONSCHEMA_IMPORT_ERROR = _exc

_TYPE_WORDS = {"string": "a string", "integer": "an integer", "number": "a number", "boolean": "true or false",
               "object": "a mapping", "array": "a list", "null": "null"}
_RANGE_KEYWORDS = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "minLength", "maxLength",
                   "minItems", "maxItems", "minProperties", "maxProperties")

_VALIDATOR = None


def _validator():
    global _VALIDATOR  # pylint: disable=global-statement
    if _VALIDATOR is None:
        Draft202012Validator.check_schema(CONNECTOR_SCHEMA)
        _VALIDATOR = Draft202012Validator(CONNECTOR_SCHEMA)
    return _VALIDATOR


def _field(parts):
    """Dotted field name for messages: auth.password, test.to[0]."""
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += "[%d]" % part
        else:
            out += ("." if out else "") + str(part)
    return out or "connector"


def _type_name(value):
    if isinstance(value, bool):
        return "a boolean"
    for typ, word in (((dict,), "a mapping"), ((list, tuple), "a list"), ((str,), "a string"),
                      ((int,), "an integer"), ((float,), "a number")):
        if isinstance(value, typ):
            return word
    return "null" if value is None else type(value).__name__


def _got(parts, value):
    if is_secret_path(parts):
        return "got %s (value hidden)" % _type_name(value)
    if isinstance(value, (dict, list)):
        return "got %s" % _type_name(value)
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return "got %s" % text


def _bounds(schema):
    typ = schema.get("type")
    lo, hi = schema.get("minimum"), schema.get("maximum")
    if typ in ("integer", "number") and lo is not None and hi is not None:
        return "%s from %s to %s" % (_TYPE_WORDS[typ], lo, hi)
    if typ == "string":
        lo, hi = schema.get("minLength"), schema.get("maxLength")
        return "a string of %s to %s characters" % (lo or 0, hi) if hi else "a string of at least %s characters" % lo
    if typ == "array":
        lo, hi = schema.get("minItems"), schema.get("maxItems")
        return "a list of %s to %s items" % (lo or 0, hi) if hi else "a list of at least %s items" % lo
    if typ == "object":
        lo, hi = schema.get("minProperties"), schema.get("maxProperties")
        return "a mapping of %s to %s entries" % (lo or 0, hi)
    return "within the documented bounds"


def _syntax_hint(parts, schema):
    name = parts[-1] if parts else ""
    if name == "name":
        return "lower-case letters, digits, '_', '.' and '-', starting with a letter or digit, at most 63 characters"
    if name == "host":
        return "a DNS name like smtp.example.org or an IP address like 192.0.2.10"
    if name == "server_name":
        return "a DNS name like smtp.example.org"
    if name in ("ca_file", "suppressions_file"):
        return "an absolute path like /etc/ssl/private-ca.pem, on one line"
    if name == "webhook_url":
        return "an http:// or https:// URL without spaces"
    if name == "sender" or (len(parts) >= 2 and parts[-2] == "senders"):
        return "a purpose name: lower-case letter first, then letters, digits or '_' (at most 32)"
    return schema.get("description", "the documented syntax")


def _schema_findings(conn, index, label):
    found = []
    for err in _validator().iter_errors(conn):
        parts = list(err.absolute_path)
        schema = err.schema if isinstance(err.schema, dict) else {}
        kind = err.validator
        if "propertyNames" in err.absolute_schema_path:
            # jsonschema reports a bad key as an error of the parent whose instance is the key.
            found.append(Finding("SMTP006", label, pointer(index, *(parts + [err.instance])),
                                 "%s: purpose name %r is not valid; use %s."
                                 % (_field(parts), err.instance, _syntax_hint(["senders", "x"], {}))))
            continue
        if kind == "additionalProperties":
            allowed = sorted(schema.get("properties", {}))
            extra = sorted(k for k in err.instance if k not in schema.get("properties", {})) \
                if isinstance(err.instance, dict) else []
            for key in extra:
                where = _field(parts) if parts else "a connector"
                found.append(Finding("SMTP001", label, pointer(index, *(parts + [key])),
                                     "%s is not a field of %s; valid fields: %s."
                                     % (_field(parts + [key]), where, ", ".join(allowed))))
        elif kind == "required":
            present = err.instance if isinstance(err.instance, dict) else {}
            for key in err.validator_value:
                if key not in present:
                    found.append(Finding("SMTP002", label, pointer(index, *(parts + [key])),
                                         "%s is required%s." % (_field(parts + [key]), _required_help(parts + [key]))))
        elif kind == "type":
            want = err.validator_value
            want = " or ".join(_TYPE_WORDS.get(t, t) for t in (want if isinstance(want, list) else [want]))
            where = _field(parts) if parts else "each connector"
            quote = ""
            if isinstance(err.instance, (int, float)) and str(err.instance) in [str(c) for c in schema.get("enum", [])]:
                quote = " (write it quoted, \"%s\": YAML reads %s as a number)" % (err.instance, err.instance)
            found.append(Finding("SMTP003", label, pointer(index, *parts),
                                 "%s must be %s%s; %s." % (where, want, quote, _got(parts, err.instance))))
        elif kind in _RANGE_KEYWORDS:
            found.append(Finding("SMTP004", label, pointer(index, *parts),
                                 "%s must be %s; %s." % (_field(parts), _bounds(schema), _got(parts, err.instance))))
        elif kind in ("enum", "const"):
            choices = err.validator_value if kind == "enum" else [err.validator_value]
            found.append(Finding("SMTP005", label, pointer(index, *parts),
                                 "%s must be one of: %s; %s." % (_field(parts), ", ".join(str(c) for c in choices),
                                                                 _got(parts, err.instance))))
        elif kind in ("pattern", "format"):
            found.append(Finding("SMTP006", label, pointer(index, *parts),
                                 "%s must be %s; %s." % (_field(parts), _syntax_hint(parts, schema),
                                                         _got(parts, err.instance))))
        elif kind == "uniqueItems":
            found.append(Finding("SMTP007", label, pointer(index, *parts),
                                 "%s lists the same item more than once; each item may appear once." % _field(parts)))
        else:  # pragma: no cover - every keyword of our schema is handled above
            found.append(Finding("SMTP006", label, pointer(index, *parts),
                                 "%s is not valid (%s)." % (_field(parts), kind)))
    # A value of the wrong type also fails its enum, pattern and bounds: report only the type.
    typed = set(f["path"] for f in found if f["rule"] == "SMTP003")
    return [f for f in found if f["rule"] == "SMTP003" or f["path"] not in typed]


def _required_help(parts):
    field = parts[-1]
    helps = {
        "name": " (an identifier unique on the host, e.g. district-relay)",
        "host": " (the SMTP server's DNS name or IP address)",
        "senders": " (at least senders.default, the From address)",
        "default": " (the From address used when no other purpose applies)",
        "username": " when auth is set (omit auth entirely for a server without authentication)",
        "password": " when auth is set (use a vaulted variable)",
        "to": " (the recipients of test messages)",
    }
    return helps.get(field, "")


def validate_connectors(connectors, forbidden_sender_domains=None, fmt=None):
    """Check connectors against the schema and every rule; with fmt, also against that format's capabilities.

    Returns {"valid": bool, "errors": [...], "warnings": [...]}; each item has rule,
    severity, connector (name), path (JSON pointer into the connectors list) and message.
    """
    if not HAS_JSONSCHEMA:
        raise RuntimeError("the Python library jsonschema is required on the controller: pip install jsonschema")
    findings = []
    if not isinstance(connectors, list):
        findings.append(Finding("SMTP003", "-", "", "connectors must be a list of connectors (mappings); got %s."
                                % _type_name(connectors)))
    else:
        for index, conn in enumerate(connectors):
            label = connector_label(conn, index)
            if not isinstance(conn, dict):
                findings.append(Finding("SMTP003", label, pointer(index),
                                        "each connector must be a mapping with name, host, senders, ...; got %s."
                                        % _type_name(conn)))
                continue
            findings.extend(_schema_findings(conn, index, label))
            findings.extend(connector_rules(conn, index, label, forbidden_sender_domains or ()))
        findings.extend(list_rules(connectors))
        findings.extend(format_rules(connectors, fmt))
    errors = [f for f in findings if f["severity"] == ERROR]
    warnings = [f for f in findings if f["severity"] == WARNING]
    return {"valid": not errors, "errors": errors, "warnings": warnings}


def format_findings(result, host=None, limit=None, with_level=True):
    """Human-readable lines for play output: one problem per line, naming host, connector, field and rule."""
    lines = []
    items = [("ERROR", f) for f in result.get("errors", [])] + [("WARNING", f) for f in result.get("warnings", [])]
    for level, item in items[:limit] if limit else items:
        lines.append(finding_line(item, level if with_level else None, host))
    if limit and len(items) > limit:
        lines.append("... and %d more" % (len(items) - limit))
    return lines


__all__ = ["validate_connectors", "format_findings", "RULES", "ERROR", "WARNING", "HAS_JSONSCHEMA"]
