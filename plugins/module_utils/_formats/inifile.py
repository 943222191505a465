# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Format ini: one [section] per connector (the section is the connector name), one key per field.

Keys are the dotted field paths (host, tls.verify, auth.username, senders.default, ...);
with a keymap, the application's own keys. Values are written as they are (readable by
Python's configparser with interpolation=None, PHP parse_ini_file in raw mode, Git-style
readers); a value with surrounding blanks, a line break, or that is itself wrapped in
double quotes is written double-quoted with backslash escapes. Sections and keys that are
not managed are kept.

Private to the collection: may change without notice. Standard library only.
"""

from __future__ import annotations

import re

from ansible_collections.mailops.smtp.plugins.module_utils._formats import _base, _common, _keymap

_SECTION = re.compile(r"^\s*\[(?P<name>[^\]]+)\]\s*$")
_KEY = re.compile(r"^\s*(?P<key>[^=;#\s][^=]*?)\s*=(?P<val>.*)$")


def _encode(value):
    if value != value.strip() or any(ord(c) < 32 for c in value) or (
            len(value) >= 2 and value.startswith('"') and value.endswith('"')):
        return _common.dquote(value)
    return value


def _decode(raw):
    raw = raw.strip()
    if len(raw) >= 2 and raw.startswith('"') and raw.endswith('"'):
        try:
            return _common.maybe_unquote(raw)
        except _common.FormatError:
            return raw
    return raw


def _sections(text):
    """[(section or None, [lines])] in file order."""
    out = [(None, [])]
    for line in (text or "").splitlines():
        match = _SECTION.match(line)
        if match:
            out.append((match.group("name").strip(), []))
        else:
            out[-1][1].append(line)
    return out


def _values(lines):
    vals = {}
    for line in lines:
        match = _KEY.match(line)
        if match:
            vals[match.group("key")] = _decode(match.group("val"))
    return vals


def _desired(connectors, keymap):
    conns = [_common.canonical(c) for c in connectors]
    _common.check_names(conns)
    for index, conn in enumerate(conns):
        if any(c in conn["name"] for c in "[]"):
            raise _common.FormatError("%s: not usable as an ini section" % _common.pointer(("name",), index))
    if keymap:
        return [(conns[0]["name"], _keymap.pairs(conns, keymap, "ini"))] if _keymap.single(conns, "ini") else []
    out = []
    for conn in conns:
        pairs = [(_common.path_key(p), _common.to_text(p, v)) for p, v in _common.flatten(conn) if p != ("name",)]
        out.append((conn["name"], pairs))
    return out


def _is_model_key(key):
    return _common.key_path(key) is not None


def render(connectors, current=None, options=None):
    keymap = (options or {}).get("keymap")
    desired = _desired(connectors, keymap)
    wanted = dict(desired)
    managed = _keymap.managed_keys(keymap) if keymap else None
    current_names = set(c["name"] for c in parse(current, options)) if current and not keymap else set()
    out = []
    done = set()
    for section, lines in _sections(current):
        if section is None:
            kept = [ln for ln in lines if _common.MANAGED_MARK not in ln]
            out.extend(kept)
            continue
        ours = section in wanted or (section in current_names)
        if not ours:
            out.append("[%s]" % section)
            out.extend(lines)
            continue
        if section not in wanted:
            continue  # a connector that is no longer declared: drop its section
        pairs = wanted[section]
        values = dict(pairs)
        new_lines = []
        written = set()
        for line in lines:
            match = _KEY.match(line)
            if match:
                key = match.group("key")
                is_ours = key in managed if managed is not None else _is_model_key(key)
                if is_ours:
                    if key in values and key not in written:
                        new_lines.append("%s = %s" % (key, _encode(values[key])))
                        written.add(key)
                    continue
            new_lines.append(line)
        while new_lines and not new_lines[-1].strip():
            new_lines.pop()
        new_lines.extend("%s = %s" % (k, _encode(v)) for k, v in pairs if k not in written)
        out.append("[%s]" % section)
        out.extend(new_lines)
        out.append("")
        done.add(section)
    while out and not out[-1].strip():
        out.pop()
    for section, pairs in desired:
        if section in done:
            continue
        if out:
            out.append("")
        out.append("[%s]" % section)
        out.extend("%s = %s" % (k, _encode(v)) for k, v in pairs)
    return "\n".join(_common.header_lines() + out) + "\n"


def parse(text, options=None):
    keymap = (options or {}).get("keymap")
    out = []
    for section, lines in _sections(text):
        if section is None:
            continue
        values = _values(lines)
        if keymap:
            found = _keymap.connectors_from(values, keymap, "ini", section)
            out.extend(found)
            continue
        pairs = [(("name",), section)]
        for key, raw in values.items():
            path = _common.key_path(key)
            if path is None or path in (("name",), ("senders",)):
                continue
            pairs.append((path, raw if path[0] == "senders" else _common.from_text(path, raw)))
        if len(pairs) > 1:
            out.append(_common.canonical(_common.unflatten(pairs)))
    return out


class Ini(_base.Format):
    name = "ini"
    summary = "an INI file with one section per connector, or an application's own keys through a keymap"
    options = {"keymap": _base.KEYMAP}

    secret_encodings = staticmethod(_common.dquote_encodings)


FORMAT = Ini()
