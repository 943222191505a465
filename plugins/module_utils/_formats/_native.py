# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Shared by the application formats: one connector in a program's own keys, plus a record.

An application format writes the fields the program has a setting for under the program's
keys, and keeps every other field (and any declared value the program cannot hold as
declared, e.g. a weaker TLS mode written stricter) in one comment line
'<comment> mailops: {json}', which the program ignores, so the file reads back to the model.
The JSON is ASCII with '<', '>', '&' and quotes escaped, so the record cannot end a comment,
a PHP block or a string in any of the languages these files are written in.

Private to the collection: may change without notice. Standard library only.
"""

from __future__ import annotations

import json
import re

from ansible_collections.mailops.smtp.plugins.module_utils import _model
from ansible_collections.mailops.smtp.plugins.module_utils._formats import _common

RECORD_MARK = "mailops: "

# KEY=value as shells, systemd EnvironmentFile, Compose and dotenv readers take it.
ENV_ASSIGN = re.compile(r"^\s*(?:export\s+)?(?P<key>[A-Za-z_][A-Za-z0-9_]*)\s*=(?P<val>.*)$")


def record_text(extras):
    text = json.dumps(extras, sort_keys=True, ensure_ascii=True, separators=(",", ":"))
    for char in "<>&'\"?":
        if char != '"':
            text = text.replace(char, "\\u%04x" % ord(char))
    return RECORD_MARK + text


def record_line(comment, extras):
    """The record as one comment line ('# mailops: {...}'), or None when there is nothing to keep."""
    return "%s %s" % (comment, record_text(extras))


def is_record(line, comment):
    return line.strip().startswith("%s %s" % (comment, RECORD_MARK.strip()))


def read_record(line, comment):
    body = line.strip()[len(comment):].strip()[len(RECORD_MARK.strip()):].strip()
    try:
        value = json.loads(body)
    except ValueError:
        raise _common.FormatError("the '%s %s' record line cannot be read" % (comment, RECORD_MARK.strip())) from None
    if not isinstance(value, dict):
        raise _common.FormatError("the '%s %s' record line is not a JSON object" % (comment, RECORD_MARK.strip()))
    return value


def find_record(lines, comment):
    """The record dict of the last record line among lines ({} when there is none)."""
    record = {}
    for line in lines:
        if is_record(line, comment):
            record = read_record(line, comment)
    return record


def extras(conn, carried_pairs):
    """{dotted field: value} of every field the native keys do not carry as declared (name included)."""
    back = _common.canonical(_common.unflatten(list(carried_pairs) + [(("name",), conn["name"])]))
    carried = dict(_common.flatten(back))
    out = {"name": conn["name"]}
    for path, value in _common.flatten(conn):
        if path != ("name",) and carried.get(path) != value:
            if path in _model.SECRET_PATHS:
                # The record is a comment in clear text: a secret goes only where the program reads it.
                raise _common.FormatError("%s: cannot be written in this format" % _common.pointer(path), path)
            out[_common.path_key(path)] = value
    for path in carried:
        if path not in dict(_common.flatten(conn)):
            # The program implies a value the connector did not declare: record its absence.
            out.setdefault("_absent", []).append(_common.path_key(path))
    return out


def connector(carried_pairs, record, default_name):
    """The connector from what the native keys carry and the record, in canonical form."""
    merged = dict(carried_pairs)
    merged[("name",)] = record.get("name") or default_name or "default"
    for key, value in record.items():
        path = _common.key_path(key)
        if path is not None and path not in (("name",), ("senders",)):
            merged[path] = value
    for key in record.get("_absent") or []:
        merged.pop(_common.key_path(key), None)
    conn = _common.unflatten(list(merged.items()))
    if isinstance(conn.get("auth"), dict) and "username" not in conn["auth"]:
        del conn["auth"]
    return _common.canonical(conn)


def single(connectors, fmt):
    """The one connector a file of this format holds (canonical), or None for an empty list."""
    conns = [_common.canonical(c) for c in connectors]
    _common.check_names(conns)
    if len(conns) > 1:
        raise _common.FormatError("config: a %s file holds one connector; got %d (use one task and path per "
                                  "connector)" % (fmt, len(conns)))
    return conns[0] if conns else None


def desired(connectors, fmt, native_values, carried):
    """(native (key, value) list, record dict) for the one connector, or ([], None) for none.

    native_values(conn) -> [(key, value)] writes a connector in the program's keys;
    carried({key: value}) -> [(field path, value)] reads them back.
    """
    conn = single(connectors, fmt)
    if conn is None:
        return [], None
    native = native_values(conn)
    return native, extras(conn, carried(dict(native)))


def path_suffix(options):
    """The managed file's path from the format options, for formats whose syntax follows its name."""
    return str((options or {}).get("path") or "")


def refuse_breaks(value, path, what):
    """Error naming the field when a value holds a line break the target syntax cannot carry."""
    if isinstance(value, str) and any(c in value for c in "\r\n\x00"):
        raise _common.FormatError("%s: %s cannot hold a line break or NUL" % (_common.pointer(path), what), path)
    return value


def merge(lines, spans, new_lines, record, comment):
    """Lines with managed settings replaced where they are, the rest kept, new ones appended.

    lines: the current physical lines; spans: {first line index: (last line index, key)} of
    every managed setting found; new_lines: [(key, line text)] in output order; record: the
    record dict (or None); comment: the comment marker of the syntax. The header and old
    records are dropped; the record stays where it was, else goes before the new settings.
    """
    wanted = dict(new_lines)
    out = []
    written = set()
    skip_to = -1
    for index, line in enumerate(lines):
        if index <= skip_to:
            continue
        if index in spans:
            skip_to, key = spans[index]
            if key in wanted and key not in written:
                out.append(wanted[key])
                written.add(key)
            continue
        if is_record(line, comment):
            if record is not None and "" not in written:
                out.append(record_line(comment, record))
                written.add("")
            continue
        if _common.MANAGED_MARK in line:
            continue
        out.append(line)
    while out and not out[-1].strip():
        out.pop()
    new = [text for key, text in new_lines if key not in written]
    if (record is not None and "" not in written) or new:
        if out:
            out.append("")
        if record is not None and "" not in written:
            out.append(record_line(comment, record))
        out.extend(new)
    return out


def split_lines(text):
    """Physical lines, split at LF (and CRLF) only.

    str.splitlines() also splits at U+2028, U+0085, FS/GS/RS and VT/FF, which none of these
    programs treats as a line end: a value holding one must stay one value.
    """
    text = (text or "").replace("\r\n", "\n")
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def env_value(raw):
    """A value of an environment file: 'literal', "escaped" (backslash escapes), or bare up to ' #'."""
    raw = raw.strip()
    if len(raw) >= 2 and raw.startswith("'") and raw.endswith("'"):
        return raw[1:-1]
    if raw.startswith('"'):
        return _common.maybe_unquote(raw)
    return re.split(r"\s+#", raw, maxsplit=1)[0].strip()


def env_pairs(text, keys):
    """{key: value} of the given keys in an environment file; a later assignment wins."""
    out = {}
    for line in split_lines(text):
        match = ENV_ASSIGN.match(line)
        if match and match.group("key") in keys:
            out[match.group("key")] = env_value(match.group("val"))
    return out


def env_spans(lines, keys):
    """{line index: (line index, key)} of the managed assignments, for merge()."""
    spans = {}
    for index, line in enumerate(lines):
        match = ENV_ASSIGN.match(line)
        if match and match.group("key") in keys:
            spans[index] = (index, match.group("key"))
    return spans


def split_mailbox(mailbox):
    """'"Name" <a@b>' -> ('Name', 'a@b'); a bare address -> ('', address)."""
    text = (mailbox or "").strip()
    match = re.match(r'^(?P<name>.*?)\s*<(?P<addr>[^<>]*)>$', text)
    if not match:
        return "", text
    name = match.group("name").strip()
    if len(name) >= 2 and name.startswith('"') and name.endswith('"'):
        name = re.sub(r'\\(.)', r'\1', name[1:-1])
    return name, match.group("addr").strip()


def join_mailbox(name, address):
    """Inverse of split_mailbox: the display name quoted as RFC 5322 wants it."""
    if not name:
        return address
    return '"%s" <%s>' % (name.replace("\\", "\\\\").replace('"', '\\"'), address)
