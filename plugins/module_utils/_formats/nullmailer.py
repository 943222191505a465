# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Format nullmailer: the remotes file of nullmailer-send (/etc/nullmailer/remotes).

One line per relay, 'host smtp --port=N [--starttls | --tls] [--x509cafile=FILE] [--insecure]
[--user=USER --pass=PASSWORD] [--auth-login]', read by nullmailer with shell quoting rules,
so every value is quoted as a shell word. The file holds the password (secret). nullmailer
tries every line in turn for each message (fail-over, not per sender), so a file holds one
connector; comment lines are kept. Fields nullmailer has no option for (name, senders,
timeout, ...) are kept in a '# mailops: {...}' comment line, which nullmailer ignores.
nullmailer's starttls option refuses to go on without STARTTLS: an opportunistic connector is
written with STARTTLS required (the stricter behaviour) and the comment records the declared value.

Private to the collection: may change without notice. Standard library only.
"""

from __future__ import annotations

import re
import shlex

from ansible_collections.mailops.smtp.plugins.module_utils._formats import _base, _common

DEFAULT_PATH = "/etc/nullmailer/remotes"

# The model field each free-text option comes from, for errors that name the field.
OPTION_FIELDS = {"user": ("auth", "username"), "pass": ("auth", "password"), "x509cafile": ("tls", "ca_file")}


def native_options(conn):
    """The remote line of one canonical connector, as a list of words (host, protocol, options)."""
    sec = conn.get("security")
    tls = conn.get("tls") or {}
    words = [conn["host"], "smtp", "--port=%d" % conn["port"]]
    if sec == "starttls":
        words.append("--starttls")
    elif sec == "tls":
        words.append("--tls")
    if sec != "none":
        if tls.get("ca_file"):
            words.append("--x509cafile=%s" % tls["ca_file"])
        if not tls.get("verify", True):
            words.append("--insecure")
    auth = conn.get("auth")
    if auth:
        words.append("--user=%s" % auth["username"])
        words.append("--pass=%s" % auth["password"])
        if auth.get("mechanisms") == ["LOGIN"]:
            words.append("--auth-login")
    return words


def _options_of(words):
    opts = {}
    for word in words:
        key, sep, value = word.lstrip("-").partition("=")
        opts[key] = value if sep else True
    return opts


def _from_words(name, words):
    """(path, value) pairs of a remote line given as words, or None for a non-SMTP line."""
    host = words[0]
    protocol = words[1] if len(words) > 1 and not words[1].startswith("-") and "=" not in words[1] else "smtp"
    if protocol != "smtp":
        return None
    opts = _options_of(words[2:] if len(words) > 1 and words[1] == protocol else words[1:])
    implicit = bool(opts.get("tls") or opts.get("ssl"))
    pairs = [(("name",), name), (("host",), host)]
    if isinstance(opts.get("port"), str):
        pairs.append((("port",), _common.from_text(("port",), opts["port"])))
    else:
        pairs.append((("port",), 465 if implicit else 25))
    if implicit:
        pairs.append((("security",), "tls"))
    elif opts.get("starttls"):
        pairs.append((("security",), "starttls"))
        pairs.append((("starttls",), "required"))
    else:
        pairs.append((("security",), "none"))
    if implicit or opts.get("starttls"):
        pairs.append((("tls", "verify"), not opts.get("insecure")))
        if isinstance(opts.get("x509cafile"), str):
            pairs.append((("tls", "ca_file"), opts["x509cafile"]))
    if isinstance(opts.get("user"), str):
        pairs.append((("auth", "username"), opts["user"]))
        pairs.append((("auth", "password"), opts.get("pass") if isinstance(opts.get("pass"), str) else ""))
        if opts.get("auth-login"):
            pairs.append((("auth", "mechanisms"), ["LOGIN"]))
    return pairs


def _remote_line(words, index):
    for word in words:
        if re.search(r"[\r\n\x00]", word):
            key = word.lstrip("-").partition("=")[0]
            field = OPTION_FIELDS.get(key, ("host",))
            raise _common.FormatError("%s: nullmailer's remotes file cannot hold a line break" % _common.pointer(
                field, index), field)
    return " ".join(shlex.quote(word) for word in words)


def render(connectors, current=None, options=None):
    conns = [_common.canonical(c) for c in connectors]
    _common.check_names(conns)
    if len(conns) > 1:
        raise _common.FormatError("%s: nullmailer sends every message through the first remote that answers, "
                                  "whatever its sender; give this host one connector (found %d)"
                                  % (_common.pointer(("name",), 1), len(conns)), ("name",))
    kept = [line for line in (current or "").splitlines()
            if line.strip().startswith("#") and not line.strip().startswith(_common.RECORD_MARK.strip())
            and _common.MANAGED_MARK not in line]
    lines = list(kept)
    if conns:
        conn = conns[0]
        words = native_options(conn)
        line = _remote_line(words, 0)
        extras = _common.record_extras(conn, _from_words(conn["name"], words), 0)
        extras["name"] = conn["name"]
        lines.extend(_common.header_lines())
        lines.append(_common.record_line(extras))
        lines.append(line)
    return "\n".join(lines) + "\n" if lines else ""


def parse(text, options=None):
    """One connector per SMTP remote line, in file order (qmqp lines are skipped)."""
    out = []
    record = {}
    for number, raw in enumerate((text or "").splitlines(), 1):
        line = raw.strip()
        if line.startswith(_common.RECORD_MARK.strip()):
            record = _common.read_record(line, "line %d" % number)
            continue
        if not line or line.startswith("#"):
            continue
        try:
            words = shlex.split(line, comments=True)
        except ValueError:
            raise _common.FormatError("line %d: unreadable quoting" % number) from None
        if not words:
            continue
        default = (options or {}).get("default_name") or "remote"
        name = default if not out else "%s-%d" % (default, len(out) + 1)
        pairs = _from_words(record.get("name") or name, words)
        if pairs is not None:
            out.append(_common.with_extras(pairs, record))
        record = {}
    return out


class Nullmailer(_base.Format):
    name = "nullmailer"
    summary = "nullmailer's remotes file: the relay, its TLS options and credentials"
    default_path = DEFAULT_PATH
    decided_from_files = False  # remotes belongs to the user mail of the host
    capabilities = dict(
        _base.EVERYTHING,
        starttls_opportunistic=_base.Lacks("nullmailer has no opportunistic STARTTLS: it is written as --starttls, "
                                           "so nullmailer keeps the message queued when the server offers no "
                                           "STARTTLS", _base.Lacks.STRICTER),
        min_tls_version=_base.Lacks("nullmailer has no option for TLS versions: it accepts every version its "
                                    "GnuTLS allows"),
        auth_mechanisms=_base.Lacks("nullmailer can only force LOGIN (--auth-login); otherwise it picks PLAIN or "
                                    "LOGIN from what the server offers"),
        multiple_connectors=_base.Lacks("nullmailer tries every remote line for every message (fail-over, not per "
                                        "sender)", _base.Lacks.REFUSED),
    )

    def secret_attributes(self, key):
        # nullmailer-send runs as the user mail (Debian creates remotes 0600 mail:mail).
        uid, gid = _common.system_ids("mail", "mail")
        return 0o600, uid, gid

    def secret_encodings(self, secret):
        # The whole '--pass=...' word is single-quoted: inside it a quote is written as '"'"'.
        return (secret, secret.replace("'", "'\"'\"'"))

    reload_steps = _base.Reload("nullmailer-send reads remotes again for each pass over its queue")

    def reload_needed(self, changes):
        # nullmailer-send reads remotes for each delivery: nothing to reload.
        return False


FORMAT = Nullmailer()
