# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""One section of an INI file read by go-ini (gopkg.in/ini.v1), as Grafana and Gitea read theirs.

go-ini reading rules (parser.go, readValue): a value starting with three double quotes runs to
the last three double quotes on the line, a value starting with a backquote to the last
backquote, both without escapes; any other value is trimmed, cut at the first '#' or ';'
(inline comment), and loses one pair of surrounding quotes. Lines starting with '#' or ';'
are comments. Only the managed keys of the one section change; everything else stays.

Private to the collection: may change without notice. Standard library only.
"""

from __future__ import annotations

import re

from ansible_collections.mailops.smtp.plugins.module_utils._formats import _common, _native

KEY = re.compile(r"^\s*(?P<key>[A-Za-z0-9_.-]+)\s*[=:](?P<val>.*)$")
SECTION = re.compile(r"^\s*\[(?P<name>[^\]]*)\]")
_PLAIN = re.compile(r"^[A-Za-z0-9_@%+=:,./<>!?*()\[\]{}|~^ -]*$")


def encode(value):
    """A value as go-ini reads it back unchanged: bare when plain, else in triple quotes."""
    if value == "" or (_PLAIN.match(value) and value == value.strip()):
        return value
    return '"""%s"""' % value


def decode(raw):
    line = raw.lstrip()
    if len(line) > 3 and line.startswith('"""'):
        end = line.rfind('"""', 3)
        if end >= 3:
            return line[3:end]
    if line.startswith("`"):
        end = line.rfind("`", 1)
        if end >= 1:
            return line[1:end]
    line = line.strip()
    cut = min([i for i in (line.find("#"), line.find(";")) if i >= 0] or [len(line)])
    line = line[:cut].strip()
    for quote in "\"'":
        if len(line) >= 2 and line[0] == quote and line[-1] == quote and line.find(quote, 1) == len(line) - 1:
            return line[1:-1]
    return line


def line(key, value):
    text = encode(value)
    return "%s = %s" % (key, text) if text else "%s =" % key


def sections(lines):
    """[(section name or None, first index, last index)] in file order."""
    out = [[None, 0, len(lines) - 1]]
    for index, text in enumerate(lines):
        match = SECTION.match(text)
        if match:
            out[-1][2] = index - 1
            out.append([match.group("name").strip(), index, len(lines) - 1])
    return [tuple(s) for s in out]


def values(text, section, keys):
    """{key: value} of the managed keys in every [section] (a later one wins, as go-ini merges them)."""
    lines = _native.split_lines(text)
    out = {}
    for name, first, last in sections(lines):
        if name == section:
            for text_line in lines[first + 1:last + 1]:
                match = KEY.match(text_line)
                if match and match.group("key") in keys:
                    out[match.group("key")] = decode(match.group("val"))
    return out


def record(text, section):
    lines = _native.split_lines(text)
    found = {}
    for name, first, last in sections(lines):
        if name == section:
            found = _native.find_record(lines[first + 1:last + 1], "#") or found
    return found


def render(current, section, new, rec, keys):
    """The file with [section]'s managed keys replaced in place (new: [(key, line)]), the rest kept."""
    lines = _native.split_lines(current)
    out = []
    done = False
    for name, first, last in sections(lines):
        part = lines[first:last + 1]
        if name != section:
            out.extend(ln for ln in part if _common.MANAGED_MARK not in ln)
            continue
        spans = {}
        for index, text_line in enumerate(part[1:]):
            match = KEY.match(text_line)
            if match and match.group("key") in keys:
                spans[index] = (index, match.group("key"))
        if done:
            # A second [section]: go-ini merges it into the first, so its managed keys go.
            out.append(part[0])
            out.extend(ln for i, ln in enumerate(part[1:]) if i not in spans and not _native.is_record(ln, "#"))
            continue
        body = part[1:]
        blank = 0
        while body and not body[-1].strip():
            body.pop()
            blank += 1
        out.append(part[0])
        out.extend(_native.merge(body, spans, new, rec, "#"))
        out.extend([""] * blank)
        done = True
    while out and not out[-1].strip():
        out.pop()
    if not done and (new or rec is not None):
        if out:
            out.append("")
        out.append("[%s]" % section)
        out.extend(_native.merge([], {}, new, rec, "#"))
    return "\n".join(_common.header_lines() + out) + "\n"
