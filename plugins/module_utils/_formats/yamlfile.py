# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Format yaml: the full connector model as a YAML document with a top-level 'connectors' list.

Private to the collection: may change without notice. Standard library only: the writer
emits a fixed block style (strings as JSON-compatible double-quoted scalars, which every
YAML 1.1/1.2 reader accepts), and the reader understands that style; PyYAML, when the
host has it, reads hand-edited files too.
"""

from __future__ import annotations

import json
import re

from ansible_collections.mailops.smtp.plugins.module_utils._formats import _base, _common

try:
    import yaml as _pyyaml
except ImportError:  # pragma: no cover - depends on the host
    _pyyaml = None


def _scalar(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return json.dumps(value)
    return _quote(str(value))


_SHORT = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\t": "\\t", "\r": "\\r", "\b": "\\b", "\f": "\\f"}


def _quote(text):
    """A double-quoted scalar that both YAML and JSON read: escapes only what YAML deems non-printable."""
    out = ['"']
    for char in text:
        code = ord(char)
        if char in _SHORT:
            out.append(_SHORT[char])
        elif code < 0x20 or 0x7F <= code <= 0x9F or code in (0x2028, 0x2029, 0xFEFF, 0xFFFE, 0xFFFF) \
                or 0xD800 <= code <= 0xDFFF:
            out.append("\\u%04x" % code)
        else:
            out.append(char)
    out.append('"')
    return "".join(out)


# Plain (unquoted) keys a YAML 1.1 reader such as PyYAML would not read as text: booleans and nulls.
_NOT_TEXT = frozenset(("y", "yes", "n", "no", "true", "false", "on", "off", "null"))


def _key(key):
    """A mapping key as written: bare when every YAML reader reads it back as the same text, else quoted
    (a sender purpose named no or on, or 0, would come back as a boolean or a number)."""
    key = str(key)
    if re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", key) and key.lower() not in _NOT_TEXT:
        return key
    return _quote(key)


def _emit(value, indent, lines):
    pad = " " * indent
    if isinstance(value, dict):
        for raw_key, val in value.items():
            key = _key(raw_key)
            if isinstance(val, (dict, list)) and val:
                lines.append("%s%s:" % (pad, key))
                _emit(val, indent + 2, lines)
            elif isinstance(val, dict):
                lines.append("%s%s: {}" % (pad, key))
            elif isinstance(val, list):
                lines.append("%s%s: []" % (pad, key))
            else:
                lines.append("%s%s: %s" % (pad, key, _scalar(val)))
    elif isinstance(value, list):
        for item in value:
            if isinstance(item, dict) and item:
                sub = []
                _emit(item, indent + 2, sub)
                sub[0] = pad + "- " + sub[0][indent + 2:]
                lines.extend(sub)
            else:
                lines.append("%s- %s" % (pad, _scalar(item)))


def render(connectors, current=None, options=None):
    lines = _common.header_lines()
    lines.append("---")
    conns = [_common.order_connector(_common.canonical(c)) for c in connectors]
    if not conns:
        lines.append("connectors: []")
    else:
        lines.append("connectors:")
        _emit(conns, 2, lines)
    return "\n".join(lines) + "\n"


# The subset written by render(): block mappings and sequences, one scalar per line.
_LINE = re.compile(r'^(?P<indent> *)(?P<dash>- )?(?:(?P<key>[A-Za-z0-9_]+|"(?:[^"\\]|\\.)*"):(?: (?P<val>.*))?|(?P<item>.+))$')


def _parse_scalar(text):
    text = text.strip()
    if text == "{}":
        return {}
    if text == "[]":
        return []
    if text in ("true", "false"):
        return text == "true"
    if text.startswith('"'):
        return json.loads(text)
    if text.startswith("'") and text.endswith("'"):
        return text[1:-1].replace("''", "'")
    if re.match(r"^-?[0-9]+$", text):
        return int(text)
    if re.match(r"^-?[0-9]+\.[0-9]*(?:[eE][-+]?[0-9]+)?$", text):
        return float(text)
    return text


def _tokens(text):
    out = []
    for number, raw in enumerate(text.splitlines(), 1):
        stripped = raw.strip()
        if not stripped or stripped.startswith("#") or stripped in ("---", "..."):
            continue
        match = _LINE.match(raw.rstrip())
        if not match:
            raise _common.FormatError("line %d: not in the YAML style this collection writes" % number)
        indent = len(match.group("indent"))
        if match.group("dash"):
            out.append((indent, "-", None, None, number))
            indent += 2
        if match.group("key") is not None:
            key = match.group("key")
            out.append((indent, "k", json.loads(key) if key.startswith('"') else key, match.group("val"), number))
        elif match.group("item") is not None:
            out.append((indent, "v", None, match.group("item"), number))
    return out


def _build(tokens, pos, indent):
    """Parse the node starting at tokens[pos] at the given indent; return (value, next pos)."""
    if pos >= len(tokens):
        return None, pos
    if tokens[pos][1] == "-":
        items = []
        while pos < len(tokens) and tokens[pos][0] == indent and tokens[pos][1] == "-":
            pos += 1
            if pos < len(tokens) and tokens[pos][1] == "v" and tokens[pos][0] == indent + 2:
                items.append(_parse_scalar(tokens[pos][3]))
                pos += 1
            else:
                value, pos = _build(tokens, pos, indent + 2)
                items.append(value)
        return items, pos
    mapping = {}
    while pos < len(tokens) and tokens[pos][0] == indent and tokens[pos][1] == "k":
        _ind, _kind, key, val, _num = tokens[pos]
        pos += 1
        if val is not None and val.strip() != "":
            mapping[key] = _parse_scalar(val)
        elif pos < len(tokens) and (tokens[pos][0] > indent or (tokens[pos][0] == indent and tokens[pos][1] == "-")):
            mapping[key], pos = _build(tokens, pos, tokens[pos][0])
        else:
            mapping[key] = None
    return mapping, pos


def parse(text, options=None):
    if not (text or "").strip():
        return []
    if _pyyaml is not None:
        try:
            doc = _pyyaml.load(text, Loader=getattr(_pyyaml, "CSafeLoader", _pyyaml.SafeLoader))
        except _pyyaml.YAMLError as exc:
            raise _common.FormatError("not valid YAML: %s" % str(exc).splitlines()[0]) from None
    else:
        tokens = _tokens(text)
        doc, pos = _build(tokens, 0, tokens[0][0] if tokens else 0)
        if pos < len(tokens):
            raise _common.FormatError("line %d: unexpected indentation" % tokens[pos][4])
    if isinstance(doc, dict):
        doc = doc.get("connectors") or []
    if not isinstance(doc, list) or not all(isinstance(c, dict) for c in doc):
        raise _common.FormatError("/connectors: expected a list of connector mappings")
    return [_common.canonical(c) for c in doc]


class Yaml(_base.Format):
    name = "yaml"
    summary = "the full connector model as a YAML document, for an application that reads it"

    def secret_encodings(self, secret):
        return (secret, _quote(secret)[1:-1])


FORMAT = Yaml()
