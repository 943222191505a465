# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Format javamail: a Java .properties file with the Jakarta/JavaMail session keys.

One connector per file. Fields with a JavaMail key are written under it (mail.smtp.host,
mail.smtp.port, mail.smtp.auth, mail.smtp.starttls.*, mail.smtp.ssl.*, timeouts in ms,
mail.smtp.from, mail.from, mail.mime.address.strict, ...); the remaining model fields are
kept under mailops.* keys, which JavaMail ignores, so the file reads back to the model.
With a keymap, only the mapped fields are written under the application's keys. Keys that
are not managed (other application settings) and comments are kept.

Private to the collection: may change without notice. Standard library only.
"""

from __future__ import annotations

from ansible_collections.mailops.smtp.plugins.module_utils._formats import _base, _common, _keymap

EXTRA_PREFIX = "mailops."
PASSWORD_KEY = "mail.smtp.password"

# Every key the native mapping may write, in output order.
NATIVE_KEYS = (
    "mail.transport.protocol", "mail.smtp.host", "mail.smtp.port", "mail.smtp.auth", "mail.smtp.user",
    PASSWORD_KEY, "mail.smtp.auth.mechanisms", "mail.smtp.starttls.enable", "mail.smtp.starttls.required",
    "mail.smtp.ssl.enable", "mail.smtp.ssl.checkserveridentity", "mail.smtp.ssl.trust",
    "mail.smtp.ssl.protocols", "mail.smtp.connectiontimeout", "mail.smtp.timeout",
    "mail.smtp.writetimeout", "mail.smtp.from", "mail.from", "mail.mime.address.strict",
)

_PROTOCOLS = {"1.2": "TLSv1.2 TLSv1.3", "1.3": "TLSv1.3"}


def _bool(value):
    return "true" if value else "false"


def native_pairs(conn):
    """JavaMail keys for one canonical connector, as (key, text) in NATIVE_KEYS order."""
    sec = conn.get("security")
    tls = conn.get("tls") or {}
    auth = conn.get("auth")
    vals = {
        "mail.transport.protocol": "smtp",
        "mail.smtp.host": conn["host"],
        "mail.smtp.port": str(conn["port"]),
        "mail.smtp.auth": _bool(bool(auth)),
        "mail.smtp.starttls.enable": _bool(sec == "starttls"),
        "mail.smtp.starttls.required": _bool(sec == "starttls" and conn.get("starttls") == "required"),
        "mail.smtp.ssl.enable": _bool(sec == "tls"),
        "mail.mime.address.strict": _bool(conn.get("mime_strict", True)),
    }
    if auth:
        vals["mail.smtp.user"] = auth["username"]
        vals[PASSWORD_KEY] = auth["password"]
        if auth.get("mechanisms"):
            vals["mail.smtp.auth.mechanisms"] = " ".join(auth["mechanisms"])
    if sec != "none":
        vals["mail.smtp.ssl.checkserveridentity"] = _bool(tls.get("verify", True))
        if not tls.get("verify", True):
            vals["mail.smtp.ssl.trust"] = "*"
        vals["mail.smtp.ssl.protocols"] = _PROTOCOLS[tls.get("min_version", "1.2")]
    millis = str(int(conn.get("timeout", 30)) * 1000)
    for key in ("mail.smtp.connectiontimeout", "mail.smtp.timeout", "mail.smtp.writetimeout"):
        vals[key] = millis
    default = (conn.get("senders") or {}).get("default")
    if default:
        vals["mail.smtp.from"] = _common.address_of(default)
        vals["mail.from"] = default
    return [(k, vals[k]) for k in NATIVE_KEYS if k in vals]


def _from_native(values):
    """The model fields the JavaMail keys carry (without the mailops.* extras)."""
    pairs = []
    if "mail.smtp.host" in values:
        pairs.append((("host",), values["mail.smtp.host"]))
    if "mail.smtp.port" in values:
        pairs.append((("port",), _common.from_text(("port",), values["mail.smtp.port"])))

    def flag(key):
        return values.get(key, "false").strip().lower() == "true"

    if flag("mail.smtp.ssl.enable"):
        pairs.append((("security",), "tls"))
    elif flag("mail.smtp.starttls.enable"):
        pairs.append((("security",), "starttls"))
        pairs.append((("starttls",), "required" if flag("mail.smtp.starttls.required") else "opportunistic"))
    else:
        pairs.append((("security",), "none"))
    if "mail.smtp.ssl.checkserveridentity" in values:
        pairs.append((("tls", "verify"), flag("mail.smtp.ssl.checkserveridentity")))
    protocols = values.get("mail.smtp.ssl.protocols", "").split()
    if protocols:
        pairs.append((("tls", "min_version"), "1.2" if "TLSv1.2" in protocols else "1.3"))
    if "mail.smtp.connectiontimeout" in values:
        millis = _common.from_text(("timeout",), values["mail.smtp.connectiontimeout"])
        pairs.append((("timeout",), max(1, (millis + 999) // 1000)))
    if flag("mail.smtp.auth") and "mail.smtp.user" in values:
        pairs.append((("auth", "username"), values["mail.smtp.user"]))
        if PASSWORD_KEY in values:
            pairs.append((("auth", "password"), values[PASSWORD_KEY]))
        if values.get("mail.smtp.auth.mechanisms", "").split():
            pairs.append((("auth", "mechanisms"), values["mail.smtp.auth.mechanisms"].split()))
    if "mail.from" in values:
        pairs.append((("senders", "default"), values["mail.from"]))
    elif "mail.smtp.from" in values:
        pairs.append((("senders", "default"), values["mail.smtp.from"]))
    if "mail.mime.address.strict" in values:
        pairs.append((("mime_strict",), flag("mail.mime.address.strict")))
    return pairs


def desired_pairs(connectors, keymap=None):
    conns = [_common.canonical(c) for c in connectors]
    _common.check_names(conns)
    if keymap:
        return _keymap.pairs(conns, keymap, "javamail")
    if len(conns) > 1:
        raise _common.FormatError("config: a javamail file holds one connector; got %d (use one task and path "
                                  "per connector)" % len(conns))
    if not conns:
        return []
    conn = conns[0]
    native = native_pairs(conn)
    carried = dict(_common.flatten(_common.canonical(_common.unflatten(_from_native(dict(native)) + [
        (("name",), conn["name"])]))))
    extras = [(EXTRA_PREFIX + "name", conn["name"])]
    for path, value in _common.flatten(conn):
        if path != ("name",) and carried.get(path) != value:
            extras.append((EXTRA_PREFIX + _common.path_key(path), _common.to_text(path, value)))
    return native + extras


# --- .properties syntax (java.util.Properties.load) ---

def _escape(text, is_key):
    out = []
    for index, char in enumerate(text):
        if char == "\\":
            out.append("\\\\")
        elif char == "\n":
            out.append("\\n")
        elif char == "\r":
            out.append("\\r")
        elif char == "\t":
            out.append("\\t")
        elif char == "\f":
            out.append("\\f")
        elif char in "=:#!" and (is_key or index == 0):
            out.append("\\" + char)
        elif char == " " and (is_key or index == 0):
            out.append("\\ ")
        elif ord(char) < 0x20 or ord(char) > 0x7e:
            out.append("\\u%04x" % ord(char) if ord(char) <= 0xFFFF else "".join(
                "\\u%04x" % u for u in _surrogates(ord(char))))
        else:
            out.append(char)
    return "".join(out)


def _surrogates(code):
    code -= 0x10000
    return (0xD800 + (code >> 10), 0xDC00 + (code & 0x3FF))


def _unescape(text):
    out = []
    i = 0
    while i < len(text):
        char = text[i]
        if char == "\\" and i + 1 < len(text):
            nxt = text[i + 1]
            if nxt == "u" and i + 6 <= len(text):
                try:
                    out.append(chr(int(text[i + 2:i + 6], 16)))
                    i += 6
                    continue
                except ValueError:
                    pass
            out.append({"n": "\n", "r": "\r", "t": "\t", "f": "\f"}.get(nxt, nxt))
            i += 2
            continue
        out.append(char)
        i += 1
    joined = "".join(out)
    # Re-join UTF-16 surrogate pairs written as two \\u escapes.
    return joined.encode("utf-16", "surrogatepass").decode("utf-16")


def _logical_lines(text):
    """(first physical line index, last index, logical text) with continuation lines joined."""
    lines = (text or "").splitlines()
    i = 0
    while i < len(lines):
        start = i
        line = lines[i].lstrip(" \t\f")
        if not line or line[0] in "#!":
            yield start, i, None
            i += 1
            continue
        joined = line
        while _continues(joined) and i + 1 < len(lines):
            i += 1
            joined = joined[:-1] + lines[i].lstrip(" \t\f")
        if _continues(joined):
            joined = joined[:-1]
        yield start, i, joined
        i += 1


def _continues(line):
    count = len(line) - len(line.rstrip("\\"))
    return count % 2 == 1


def _split(logical):
    i = 0
    while i < len(logical):
        char = logical[i]
        if char == "\\":
            i += 2
            continue
        if char in "=: \t\f":
            break
        i += 1
    key = logical[:i]
    rest = logical[i:].lstrip(" \t\f")
    if rest[:1] in ("=", ":"):
        rest = rest[1:].lstrip(" \t\f")
    return _unescape(key), _unescape(rest)


def read_properties(text):
    values = {}
    for _start, _end, logical in _logical_lines(text):
        if logical is not None:
            key, value = _split(logical)
            values[key] = value
    return values


def _is_managed(key, keymap):
    if keymap:
        return key in _keymap.managed_keys(keymap)
    return key in NATIVE_KEYS or key.startswith(EXTRA_PREFIX)


def render(connectors, current=None, options=None):
    keymap = (options or {}).get("keymap")
    desired = desired_pairs(connectors, keymap)
    wanted = dict(desired)
    physical = (current or "").splitlines()
    out = []
    written = set()
    for start, end, logical in _logical_lines(current):
        if logical is None:
            if _common.MANAGED_MARK not in physical[start]:
                out.append(physical[start])
            continue
        key, _value = _split(logical)
        if _is_managed(key, keymap):
            if key in wanted and key not in written:
                out.append("%s=%s" % (_escape(key, True), _escape(wanted[key], False)))
                written.add(key)
            continue
        out.extend(physical[start:end + 1])
    while out and not out[-1].strip():
        out.pop()
    new = ["%s=%s" % (_escape(k, True), _escape(v, False)) for k, v in desired if k not in written]
    if new and out:
        out.append("")
    out.extend(new)
    return "\n".join(_common.header_lines() + out) + "\n"


def parse(text, options=None):
    keymap = (options or {}).get("keymap")
    values = read_properties(text)
    if keymap:
        return _keymap.connectors_from(values, keymap, "javamail", (options or {}).get("default_name"))
    if "mail.smtp.host" not in values and EXTRA_PREFIX + "name" not in values:
        return []
    pairs = _from_native(values)
    pairs.append((("name",), values.get(EXTRA_PREFIX + "name") or (options or {}).get("default_name") or "default"))
    merged = dict(pairs)
    for key, raw in values.items():
        if key.startswith(EXTRA_PREFIX) and key != EXTRA_PREFIX + "name":
            path = _common.key_path(key[len(EXTRA_PREFIX):])
            if path is not None and path != ("senders",):
                merged[path] = raw if path[0] == "senders" else _common.from_text(path, raw)
    conn = _common.unflatten(list(merged.items()))
    if isinstance(conn.get("auth"), dict) and "username" not in conn["auth"]:
        del conn["auth"]
    return [_common.canonical(conn)]


class JavaMail(_base.Format):
    name = "javamail"
    summary = "a Java .properties file with the Jakarta/JavaMail mail.smtp.* session keys"
    options = {"keymap": _base.KEYMAP}
    capabilities = dict(
        _base.EVERYTHING,
        ca_file=_base.Lacks("JavaMail has no property for a CA file: it verifies against the JVM's trust store "
                            "(javax.net.ssl.trustStore), so tls.ca_file is only recorded and the CAs the JVM "
                            "trusts are accepted"),
        multiple_connectors=_base.Lacks("a JavaMail session file holds one connector: write one file per "
                                        "connector", _base.Lacks.REFUSED),
    )

    def secret_encodings(self, secret):
        return (secret, _escape(secret, False))


FORMAT = JavaMail()
