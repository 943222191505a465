# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The connector model: defaults, secrets and argument specs, all read from the schema.

Private to the collection: may change without notice. Standard library only, so it runs
on target hosts as well as on the controller.
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import ipaddress
import json

from ansible_collections.mailops.smtp.plugins.module_utils._schema_data import CONNECTOR_SCHEMA

REDACTED = "********"
SECRET_CHANGED = "changed"
SECRET_UNCHANGED = "unchanged"

# Ports whose usual TLS mode is fixed by convention (RFC 8314, RFC 6409).
IMPLICIT_TLS_PORTS = frozenset([465])
STARTTLS_PORTS = frozenset([25, 587])

_ANSIBLE_TYPES = {"string": "str", "integer": "int", "number": "float", "boolean": "bool",
                  "object": "dict", "array": "list"}


def _walk_secret_paths(schema, prefix):
    for key, prop in schema.get("properties", {}).items():
        path = prefix + (key,)
        if prop.get("x-secret"):
            yield path
        if prop.get("type") == "object":
            yield from _walk_secret_paths(prop, path)


SECRET_PATHS = tuple(_walk_secret_paths(CONNECTOR_SCHEMA, ()))
"""Paths (tuples of keys) of every field marked x-secret in the schema."""


def _walk_marked(schema, prefix, mark):
    for key, prop in schema.get("properties", {}).items():
        path = prefix + (key,)
        if prop.get(mark):
            yield path
        elif prop.get("type") == "object":
            yield from _walk_marked(prop, path, mark)


CHECK_ONLY_PATHS = tuple(_walk_marked(CONNECTOR_SCHEMA, (), "x-check-only"))
"""Paths of fields only the checks use (the test mailboxes): never written to hosts, never read back."""

FIELDS = tuple(CONNECTOR_SCHEMA["properties"])
"""Top-level field names in schema order."""


def is_secret_path(path):
    """True when a path (tuple of keys, list indexes allowed) points at or into a secret field."""
    keys = tuple(p for p in path if not isinstance(p, int))
    return any(keys[:len(s)] == s for s in SECRET_PATHS)


def default_port(security):
    return 465 if security == "tls" else 25


def _fill(value, schema):
    """Return value with schema defaults filled in, recursively, for objects with fixed properties."""
    if not isinstance(value, dict) or "properties" not in schema:
        return value
    out = {}
    for key, prop in schema["properties"].items():
        if key in value:
            out[key] = _fill(value[key], prop)
        elif "default" in prop:
            out[key] = copy.deepcopy(prop["default"])
    for key in value:
        if key not in out:
            out[key] = copy.deepcopy(value[key])
    return out


# Nested objects that always exist in the normalized model (their fields all have defaults).
_ALWAYS_PRESENT = ("tls", "delivery", "attachments")


def normalize(connector):
    """Return the connector with every default made explicit.

    Two connectors that mean the same settings normalize to equal dicts, which is what
    rendering, diffing and drift detection compare. The input is not modified.
    """
    if not isinstance(connector, dict):
        return connector
    value = dict(connector)
    for key in _ALWAYS_PRESENT:
        if value.get(key) is None:
            value[key] = {}
    out = _fill(value, CONNECTOR_SCHEMA)
    if out.get("port") is None:
        out["port"] = default_port(out.get("security"))
    if isinstance(out.get("test"), dict):
        out["test"] = _fill(out["test"], CONNECTOR_SCHEMA["properties"]["test"])
    return out


def minimize(connector):
    """Inverse of normalize: drop every field that equals its default, for compact output."""
    if not isinstance(connector, dict):
        return connector
    norm = normalize(connector)
    out = {}
    for key, prop in CONNECTOR_SCHEMA["properties"].items():
        if key not in norm:
            continue
        val = norm[key]
        if key == "port" and val == default_port(norm.get("security")):
            continue
        if prop.get("type") == "object" and "properties" in prop and isinstance(val, dict):
            sub = {k: v for k, v in val.items()
                   if not ("default" in prop["properties"].get(k, {}) and prop["properties"][k]["default"] == v)}
            if key == "test" or sub:
                out[key] = sub if key != "test" else val
            continue
        if "default" in prop and prop["default"] == val:
            continue
        out[key] = val
    return out


def _get(value, path):
    for key in path:
        if not isinstance(value, dict) or key not in value:
            return None, False
        value = value[key]
    return value, True


def _set(value, path, new):
    for key in path[:-1]:
        value = value[key]
    value[path[-1]] = new


def host_view(connector):
    """The connector without the fields only the checks use (CHECK_ONLY_PATHS): what a host holds.

    The test mailboxes (and their passwords) are settings of delivery_check on the controller;
    a host's configuration has no use for them, so formats never write them and audits do not
    expect them there.
    """
    if not isinstance(connector, dict):
        return connector
    out = dict(connector)
    for path in CHECK_ONLY_PATHS:
        node = out
        for key in path[:-1]:
            if not isinstance(node.get(key), dict):
                node = None
                break
            node[key] = dict(node[key])
            node = node[key]
        if node is not None:
            node.pop(path[-1], None)
    return out


def redact(connector, marker=REDACTED):
    """Return a copy of a connector (or a list of them) with every secret value replaced by marker."""
    if isinstance(connector, list):
        return [redact(c, marker) for c in connector]
    if not isinstance(connector, dict):
        return connector
    out = copy.deepcopy(connector)
    for path in SECRET_PATHS:
        _val, found = _get(out, path)
        if found:
            _set(out, path, marker)
    return out


def secret_values(connectors):
    """Every secret string found in a connector or a list of connectors (for scrubbing free text)."""
    if isinstance(connectors, dict):
        connectors = [connectors]
    found = []
    for conn in connectors or []:
        if not isinstance(conn, dict):
            continue
        for path in SECRET_PATHS:
            val, ok = _get(conn, path)
            if ok and isinstance(val, str) and val:
                found.append(val)
    return found


def scrub(text, secrets):
    """Replace every occurrence of each secret in text by the redaction marker."""
    if not isinstance(text, str):
        return text
    for secret in sorted(set(secrets), key=len, reverse=True):
        if secret:
            text = text.replace(secret, REDACTED)
    return text


def keyed_digest(value, key):
    """HMAC-SHA256 of a secret under a local key: comparable, but not an unsalted hash of the value."""
    if isinstance(key, str):
        key = key.encode("utf-8")
    if not isinstance(value, bytes):
        value = str(value).encode("utf-8")
    return hmac.new(key, value, hashlib.sha256).hexdigest()


def secret_state(declared, actual):
    """'changed' or 'unchanged' for one secret, compared in constant time, never revealing either."""
    if declared is None and actual is None:
        return SECRET_UNCHANGED
    if declared is None or actual is None:
        return SECRET_CHANGED
    same = hmac.compare_digest(str(declared).encode("utf-8"), str(actual).encode("utf-8"))
    return SECRET_UNCHANGED if same else SECRET_CHANGED


_ADDRESS_CHARACTERS = frozenset("0123456789abcdefABCDEF.:")


def _may_be_address(text):
    """False when text cannot be an IP address (most host names): no need to ask ipaddress."""
    return "%" in text or not set(text).difference(_ADDRESS_CHARACTERS)


def is_ip(host):
    text = str(host).strip("[]")
    if not _may_be_address(text):
        return False
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def is_loopback(host):
    """True for localhost names and loopback addresses: links that never leave the machine."""
    name = str(host or "").strip("[]").rstrip(".").lower()
    if name == "localhost" or name.endswith(".localhost"):
        return True
    if not _may_be_address(name):
        return False
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def _spec_for(prop, required):
    spec = {"type": _ANSIBLE_TYPES.get(prop.get("type"), "raw")}
    if required:
        spec["required"] = True
    if "enum" in prop:
        spec["choices"] = list(prop["enum"])
    if "default" in prop:
        spec["default"] = copy.deepcopy(prop["default"])
    if prop.get("x-secret"):
        spec["no_log"] = True
    if prop.get("type") == "array":
        items = prop.get("items", {})
        spec["elements"] = _ANSIBLE_TYPES.get(items.get("type"), "raw")
        if "enum" in items:
            spec["choices"] = list(items["enum"])
    if prop.get("type") == "object" and "properties" in prop and prop.get("additionalProperties") is False:
        req = set(prop.get("required", []))
        spec["options"] = dict((k, _spec_for(v, k in req)) for k, v in prop["properties"].items())
    return spec


def connector_argument_spec(required=True):
    """The argument spec of a 'connectors'-style option, derived from the schema.

    It mirrors plugins/doc_fragments/connector.py (generated from the same schema), marks
    every x-secret field no_log, and carries the schema defaults.
    """
    req = set(CONNECTOR_SCHEMA.get("required", []))
    options = dict((k, _spec_for(v, k in req)) for k, v in CONNECTOR_SCHEMA["properties"].items())
    return {"type": "list", "elements": "dict", "required": required, "options": options}


def plain_data(value):
    """Plain, JSON-safe Python data from templated values.

    Containers are rebuilt; str, int and float subclasses (Ansible's tagged values) become the
    base type; anything else (a vaulted value, for one) becomes its text.
    """
    if isinstance(value, dict):
        return dict((plain_data(k), plain_data(v)) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return [plain_data(v) for v in value]
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, str):
        return str.__str__(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    return str(value)


def connector_label(connector, index):
    """A name for messages: the connector's name when it has a usable one, else its position."""
    if isinstance(connector, dict) and isinstance(connector.get("name"), str) and connector["name"]:
        name = connector["name"]
        if len(name) <= 63 and name.isprintable():
            return name
    return "#%d" % index


def given_arguments():
    """A module's arguments as the task gave them, before any conversion ({} when unavailable)."""
    try:
        from ansible.module_utils.basic import _load_params
        given = _load_params()
    except Exception:  # pylint: disable=broad-exception-caught  # the argument spec then judges alone
        return {}
    return given if isinstance(given, dict) else {}


def arguments_digest(arguments, skip=()):
    """A SHA-256 hex digest of a module's arguments as JSON, without Ansible's internal _ansible_* keys
    and the keys in skip; None when they are not JSON data.

    The connector action plugin sends it with the arguments it checked, and the module compares
    it with what it received. It covers secrets, so it is itself passed as a secret (no_log).
    """
    data = dict((k, v) for k, v in arguments.items() if not str(k).startswith("_ansible_") and k not in skip)
    try:
        text = json.dumps(plain_data(data), sort_keys=True, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError):
        return None
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
