# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""keymap: model fields -> an application's own key names, for key/value formats.

A keymap is a dict {model field as dotted path: key}, e.g. {"host": "SMTP_HOST",
"auth.password": "SMTP_PASSWORD", "senders.default": "MAIL_FROM"}. With a keymap, a file
holds exactly one connector, and only the mapped fields are written or read back.

Private to the collection: may change without notice. Standard library only.
"""

from __future__ import annotations

from ansible_collections.mailops.smtp.plugins.module_utils._formats import _common


def _valid_fields():
    names = [_common.path_key(p) for p in _common.FLAT_FIELDS if p != ("senders",)]
    return names + ["senders.<purpose>"]


def checked(keymap):
    """The keymap as an ordered list of (field path, key), in model order; errors name the entry."""
    if not isinstance(keymap, dict) or not keymap:
        raise _common.FormatError("keymap: expected a non-empty mapping of model field -> key name")
    out = []
    seen = {}
    for field, key in keymap.items():
        path = _common.key_path(str(field))
        if path is None or path == ("senders",):
            raise _common.FormatError("keymap.%s: not a model field; valid fields: %s"
                                      % (field, ", ".join(_valid_fields())))
        if not isinstance(key, str) or not key.strip() or any(c in key for c in "\r\n=#[]"):
            raise _common.FormatError("keymap.%s: key name must be a non-empty string without '=', '#', "
                                      "'[', ']' or line breaks" % field)
        if key in seen:
            raise _common.FormatError("keymap.%s: key %r is already used for %s" % (field, key, seen[key]))
        seen[key] = field
        out.append((path, key))
    order = dict((p, i) for i, p in enumerate(_common.FLAT_FIELDS))
    out.sort(key=lambda item: (order.get(item[0], order[("senders",)]), item[0]))
    return out


def managed_keys(keymap):
    return set(key for _path, key in checked(keymap))


def single(connectors, fmt):
    if len(connectors) > 1:
        raise _common.FormatError("config: format %s with a keymap holds one connector per file; got %d "
                                  "(use one task per file)" % (fmt, len(connectors)))
    return connectors[0] if connectors else None


def pairs(connectors, keymap, fmt):
    """(key, text) pairs of the one connector under the keymap's keys."""
    conn = single(connectors, fmt)
    if conn is None:
        return []
    flat = dict(_common.flatten(conn))
    flat[("name",)] = conn["name"]
    out = []
    for path, key in checked(keymap):
        if path in flat:
            out.append((key, _common.to_text(path, flat[path])))
    return out


def connectors_from(values, keymap, fmt, default_name=None):
    """The connector a file holds under the keymap's keys (empty list when none is set)."""
    found = []
    for path, key in checked(keymap):
        if key in values:
            raw = values[key]
            found.append((path, raw if path[0] == "senders" else _common.from_text(path, raw)))
    if not found:
        return []
    if not any(path == ("name",) for path, _v in found):
        found.insert(0, (("name",), default_name or "default"))
    return [_common.canonical(_common.unflatten(found))]
