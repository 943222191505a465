# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Format env: KEY=value lines, as read by POSIX shells, systemd EnvironmentFile and Compose.

Default key naming: MAILOPS_SMTP_CONNECTORS lists the connector names in order, and every
field is MAILOPS_SMTP_<NAME>__<FIELD> (name and dotted field path upper-cased, '.' and '-'
as '_'). With a keymap, the file holds one connector under the application's own keys.
Lines that are not managed keys (other settings, comments) are kept as they are.

Private to the collection: may change without notice. Standard library only.
"""

from __future__ import annotations

import re

from ansible_collections.mailops.smtp.plugins.module_utils._formats import _base, _common, _keymap

PREFIX = "MAILOPS_SMTP_"
LIST_KEY = PREFIX + "CONNECTORS"

_ASSIGN = re.compile(r"^\s*(?:export\s+)?(?P<key>[A-Za-z_][A-Za-z0-9_]*)\s*=(?P<val>.*)$")


def ident(text):
    return re.sub(r"[^A-Za-z0-9]", "_", text).upper()


def field_key(name, path):
    return PREFIX + ident(name) + "__" + ident("_".join(path))


def _encode(value):
    return _common.maybe_quote(value)


def _decode(raw):
    raw = raw.strip()
    if raw.startswith("'") and raw.endswith("'") and len(raw) >= 2:
        return raw[1:-1]
    if raw.startswith('"'):
        return _common.maybe_unquote(raw)
    # Unquoted values end at an unescaped comment marker preceded by a blank.
    return re.split(r"\s+#", raw, maxsplit=1)[0].strip()


def read_pairs(text):
    """Ordered (key, raw value text) pairs of a file; later assignments win in lookups."""
    pairs = []
    for line in (text or "").splitlines():
        match = _ASSIGN.match(line)
        if match:
            pairs.append((match.group("key"), _decode(match.group("val"))))
    return pairs


def desired_pairs(connectors, keymap=None):
    conns = [_common.canonical(c) for c in connectors]
    _common.check_names(conns)
    if keymap:
        return _keymap.pairs(conns, keymap, "env")
    idents = {}
    for index, conn in enumerate(conns):
        key = ident(conn["name"])
        if key in idents:
            raise _common.FormatError("%s: name %r and %r both become %s in environment keys"
                                      % (_common.pointer(("name",), index), idents[key], conn["name"], key), ("name",))
        idents[key] = conn["name"]
    pairs = [(LIST_KEY, ",".join(c["name"] for c in conns))] if conns else []
    for conn in conns:
        for path, value in _common.flatten(conn):
            if path == ("name",):
                continue
            pairs.append((field_key(conn["name"], path), _common.to_text(path, value)))
    return pairs


def _managed(key, keymap):
    if keymap:
        return key in _keymap.managed_keys(keymap)
    return key == LIST_KEY or key.startswith(PREFIX)


def render(connectors, current=None, options=None):
    keymap = (options or {}).get("keymap")
    desired = desired_pairs(connectors, keymap)
    wanted = dict(desired)
    lines = []
    written = set()
    for line in (current or "").splitlines():
        match = _ASSIGN.match(line)
        if match and _managed(match.group("key"), keymap):
            key = match.group("key")
            if key in wanted and key not in written:
                lines.append("%s=%s" % (key, _encode(wanted[key])))
                written.add(key)
            continue
        if _common.MANAGED_MARK in line:
            continue
        lines.append(line)
    while lines and not lines[-1].strip():
        lines.pop()
    new = ["%s=%s" % (k, _encode(v)) for k, v in desired if k not in written]
    if new and lines:
        lines.append("")
    lines.extend(new)
    return "\n".join(_common.header_lines() + lines) + "\n"


def parse(text, options=None):
    keymap = (options or {}).get("keymap")
    values = dict(read_pairs(text))
    if keymap:
        return _keymap.connectors_from(values, keymap, "env", (options or {}).get("default_name"))
    names = [n for n in values.get(LIST_KEY, "").split(",") if n]
    by_field = dict((ident("_".join(path)), path) for path in _common.FLAT_FIELDS if path != ("senders",))
    by_prefix = dict((PREFIX + ident(name) + "__", [(("name",), name)]) for name in names)
    for key, raw in values.items():
        # The longest listed name that prefixes the key wins (names and purposes may contain '__').
        pairs = rest = None
        cut = len(key)
        while pairs is None:
            cut = key.rfind("__", 0, cut)
            if cut < 0:
                break
            pairs = by_prefix.get(key[:cut + 2])
            rest = key[cut + 2:]
        if pairs is None:
            continue
        if rest in by_field:
            pairs.append((by_field[rest], _common.from_text(by_field[rest], raw)))
        elif rest.startswith("SENDERS_"):
            pairs.append((("senders", rest[len("SENDERS_"):].lower()), raw))
    return [_common.canonical(_common.unflatten(by_prefix[PREFIX + ident(n) + "__"])) for n in names]


class Env(_base.Format):
    name = "env"
    summary = "KEY=value lines for shells, systemd EnvironmentFile and Compose; the model's keys or a keymap"
    options = {"keymap": _base.KEYMAP}

    secret_encodings = staticmethod(_common.dquote_encodings)


FORMAT = Env()
