# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Shared by the file formats: flat field paths, value coercion, quoting.

Private to the collection: may change without notice. Standard library only.
"""

from __future__ import annotations

import grp
import json
import pwd
import re

from ansible_collections.mailops.smtp.plugins.module_utils import _model
from ansible_collections.mailops.smtp.plugins.module_utils._schema_data import CONNECTOR_SCHEMA

MANAGED_MARK = "Managed by mailops.smtp"
"""Text of the header comment in every file the collection writes; parsers skip it."""


class FormatError(ValueError):
    """A connector cannot be written in, or read from, a format. The message names the field."""

    def __init__(self, message, path=None):
        super().__init__(message)
        self.path = path


def header_lines(prefix="#"):
    return ["%s %s: edits to managed keys are replaced on the next run." % (prefix, MANAGED_MARK)]


def edit_table(current, lines, is_ours, entry=None):
    """A credentials table of one entry a line (exim4's passwd.client, dma's auth.conf, ...) with ours.

    lines: current split into lines as the program reads it. The managed header and every line
    is_ours(line) claims go; the other lines stay in order, then the header and entry (a line, or
    None for no entry) follow. None for a file that does not exist and would be empty, "" for one
    that becomes empty.
    """
    out = [line for line in lines if MANAGED_MARK not in line and not is_ours(line)]
    while out and not out[-1].strip():
        out.pop()
    if entry is not None:
        out.extend(header_lines())
        out.append(entry)
    if not any(line.strip() for line in out):
        return None if current is None else ""
    return "\n".join(out) + "\n"


def _field_schema(path):
    schema = CONNECTOR_SCHEMA
    for key in path:
        props = schema.get("properties", {})
        if key in props:
            schema = props[key]
        elif isinstance(schema.get("additionalProperties"), dict):
            schema = schema["additionalProperties"]
        else:
            return None
    return schema


def field_type(path):
    """JSON schema type of a field given as a tuple of keys, or None when unknown."""
    schema = _field_schema(path)
    return schema.get("type") if schema else None


def _flat_paths(schema, prefix):
    for key, prop in schema.get("properties", {}).items():
        path = prefix + (key,)
        if prop.get("x-check-only"):
            continue
        if prop.get("type") == "object" and "properties" in prop:
            yield from _flat_paths(prop, path)
        else:
            yield path


FLAT_FIELDS = tuple(_flat_paths(CONNECTOR_SCHEMA, ()))
"""Every scalar or list field of the model (senders is a dict, handled by purpose)."""

_FLAT_ORDER = dict((p, i) for i, p in enumerate(FLAT_FIELDS))


def canonical(connector):
    """normalize() plus number canonicalisation, so every format compares and renders alike."""
    norm = _model.host_view(_model.normalize(connector))
    att = norm.get("attachments")
    if isinstance(att, dict) and isinstance(att.get("max_size_mb"), float) and att["max_size_mb"].is_integer():
        att["max_size_mb"] = int(att["max_size_mb"])
    for key in list(norm):
        if norm[key] is None:
            del norm[key]
    for key in ("tls", "delivery", "attachments", "auth", "test"):
        if isinstance(norm.get(key), dict):
            norm[key] = dict((k, v) for k, v in norm[key].items() if v is not None)
    return norm


def flatten(connector):
    """A connector as an ordered list of (path tuple, value); senders as ('senders', purpose)."""
    out = []
    for path in FLAT_FIELDS:
        value = connector
        for key in path:
            value = value.get(key) if isinstance(value, dict) else None
        if path == ("senders",):
            for purpose in sorted(value or {}, key=lambda p: (p != "default", p)):
                out.append((("senders", purpose), value[purpose]))
            continue
        if value is not None:
            out.append((path, value))
    return out


def unflatten(pairs):
    """Inverse of flatten: build a connector dict from (path, value) pairs."""
    out = {}
    for path, value in pairs:
        node = out
        for key in path[:-1]:
            node = node.setdefault(key, {})
        node[path[-1]] = value
    return out


def path_key(path):
    return ".".join(path)


def key_path(key):
    """A dotted key back to a field path, or None when it is not a model field."""
    parts = tuple(key.split("."))
    if parts in _FLAT_ORDER:
        return parts
    if len(parts) == 2 and parts[0] == "senders" and re.match(r"^[a-z][a-z0-9_]{0,31}\Z", parts[1]):
        return parts
    return None


def to_text(path, value):
    """A field value as the flat text used by key/value formats."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        for item in value:
            if "," in str(item):
                raise FormatError("%s: list items may not contain ',' in this format" % pointer(path), path)
        return ",".join(str(v) for v in value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


_TRUE = ("true", "yes", "on", "1")
_FALSE = ("false", "no", "off", "0")


def from_text(path, text):
    """Flat text back to the typed value of a field (by its schema type)."""
    typ = field_type(path)
    raw = text.strip() if typ not in ("string", None) else text
    if typ == "boolean":
        low = raw.lower()
        if low in _TRUE:
            return True
        if low in _FALSE:
            return False
        raise FormatError("%s: %r is not a boolean (true or false)" % (pointer(path), text), path)
    if typ == "integer":
        try:
            return int(raw)
        except ValueError:
            raise FormatError("%s: %r is not an integer" % (pointer(path), text), path) from None
    if typ == "number":
        try:
            num = float(raw)
        except ValueError:
            raise FormatError("%s: %r is not a number" % (pointer(path), text), path) from None
        return int(num) if num.is_integer() else num
    if typ == "array":
        return [item.strip() for item in raw.split(",") if item.strip()]
    return text


def pointer(path, index=None):
    parts = ([str(index)] if index is not None else []) + [str(p) for p in path]
    return "/" + "/".join(parts)


def address_of(mailbox):
    """The bare address of an RFC 5322 mailbox ('"Name" <a@b>' -> 'a@b')."""
    text = (mailbox or "").strip()
    match = re.search(r"<([^<>]*)>\s*$", text)
    return match.group(1).strip() if match else text


def dquote(value):
    """Double-quoted text with backslash escapes (shell/systemd/msmtp compatible subset)."""
    out = ['"']
    for char in value:
        if char in '\\"$`':
            out.append("\\" + char)
        elif char == "\n":
            out.append("\\n")
        elif char == "\t":
            out.append("\\t")
        elif char == "\r":
            out.append("\\r")
        else:
            out.append(char)
    out.append('"')
    return "".join(out)


_UNESCAPE = {"n": "\n", "t": "\t", "r": "\r"}


def dunquote(text):
    """Inverse of dquote for a string that starts with a double quote; returns (value, rest)."""
    if not text.startswith('"'):
        raise FormatError("expected a double-quoted value: %s" % text[:40])
    out = []
    i = 1
    while i < len(text):
        char = text[i]
        if char == "\\" and i + 1 < len(text):
            nxt = text[i + 1]
            out.append(_UNESCAPE.get(nxt, nxt))
            i += 2
            continue
        if char == '"':
            return "".join(out), text[i + 1:]
        out.append(char)
        i += 1
    raise FormatError("unterminated quoted value: %s" % text[:40])


_SAFE = re.compile(r"^[A-Za-z0-9_@%+=:,./-]*\Z")


def maybe_quote(value):
    return value if value and _SAFE.match(value) else dquote(value)


def maybe_unquote(text):
    text = text.strip()
    if text.startswith('"'):
        value, rest = dunquote(text)
        if rest.strip():
            raise FormatError("unexpected text after quoted value: %s" % rest.strip()[:40])
        return value
    return text


def order_connector(connector):
    """A connector dict with keys in schema order (for deterministic JSON/YAML output)."""
    out = {}
    for key, prop in CONNECTOR_SCHEMA["properties"].items():
        if key not in connector:
            continue
        val = connector[key]
        if isinstance(val, dict) and "properties" in prop:
            val = dict((k, val[k]) for k in prop["properties"] if k in val)
        elif key == "senders" and isinstance(val, dict):
            val = dict((k, val[k]) for k in sorted(val, key=lambda p: (p != "default", p)))
        out[key] = val
    return out


def check_names(connectors):
    seen = set()
    for index, conn in enumerate(connectors):
        name = conn.get("name")
        if not name:
            raise FormatError("%s: every connector needs a name" % pointer(("name",), index), ("name",))
        if name in seen:
            raise FormatError("%s: duplicate connector name %r" % (pointer(("name",), index), name), ("name",))
        seen.add(name)


def dumps_json(value):
    return json.dumps(value, indent=2, sort_keys=False, ensure_ascii=False)


RECORD_MARK = "# mailops: "
"""Start of the comment line in which a format keeps the fields its program has no setting for."""


def record_extras(conn, native_pairs, index=None):
    """The fields of conn that native_pairs (what the program's own settings say) do not carry.

    Returned as {dotted key: value}, for a RECORD_MARK comment. A secret is never recorded: a
    format that cannot carry auth.password natively refuses the connector instead.
    """
    carried = dict(flatten(canonical(unflatten(native_pairs))))
    extras = {}
    for path, value in flatten(conn):
        if carried.get(path) != value:
            if path == ("auth", "password"):
                raise FormatError("%s: the value cannot be written so that the program reads it back unchanged"
                                  % pointer(path, index), path)
            extras[path_key(path)] = value
    return extras


def record_line(extras):
    return RECORD_MARK + json.dumps(extras, sort_keys=True, ensure_ascii=True) if extras else None


def read_record(line, what):
    """The extras dict of a RECORD_MARK line (what names the place for the error)."""
    try:
        doc = json.loads(line.strip()[len(RECORD_MARK.strip()):].strip())
    except ValueError:
        raise FormatError("%s: unreadable '%s' comment" % (what, RECORD_MARK.strip())) from None
    return doc if isinstance(doc, dict) else {}


def with_extras(native_pairs, extras):
    """A canonical connector from native (path, value) pairs overlaid with recorded extras."""
    merged = dict(native_pairs)
    for key, value in (extras or {}).items():
        path = key_path(key)
        if path is not None:
            merged[path] = value
    return canonical(unflatten(list(merged.items())))


def json_encodings(secret):
    """A secret as it appears in JSON text (escaped, with and without ASCII escapes)."""
    return (secret, json.dumps(secret)[1:-1], json.dumps(secret, ensure_ascii=False)[1:-1])


def dquote_encodings(secret):
    """A secret as it appears inside dquote()."""
    return (secret, dquote(secret)[1:-1])


def system_ids(user=None, group=None):
    """(uid, gid) of a system user and group, -1 for one this host does not have."""
    uid = gid = -1
    try:
        uid = pwd.getpwnam(user).pw_uid if user else -1
    except KeyError:
        pass
    try:
        gid = grp.getgrnam(group).gr_gid if group else -1
    except KeyError:
        pass
    return uid, gid
