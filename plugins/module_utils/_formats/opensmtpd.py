# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Format opensmtpd: OpenSMTPD's smtpd.conf relaying through a smarthost, and its credentials table.

Files (path is smtpd.conf, /etc/smtpd.conf on Debian):
  smtpd.conf      the action "relay" (the one the packaged 'match from local for any action
                  "relay"' rule uses) with 'host URL', 'auth <mailops_secrets>', 'tls no-verify',
                  'ca mailops_ca' and 'mail-from'; the lines 'table mailops_secrets' and
                  'ca mailops_ca cert FILE' it refers to; a '# mailops: {...}' comment with the
                  fields smtpd.conf has no setting for (no secrets). Every other line, comment and
                  option of the action (helo, src, pki, ...) is kept.
  smtpd.secrets   beside smtpd.conf: the credentials table, 'mailops user:password' (secret);
                  other lines are kept.

The relay URL's scheme carries the TLS mode (smtpd.conf(5), OpenSMTPD 6.8 in Debian 12):
smtp+notls:// none, smtp:// opportunistic STARTTLS (clear text when the server offers none),
smtp+tls:// required STARTTLS, smtps:// implicit TLS; certificates are verified for the last
two unless 'tls no-verify' is given.

Private to the collection: may change without notice. Standard library only.
"""

from __future__ import annotations

import os
import re

from ansible_collections.mailops.smtp.plugins.module_utils._formats import _base, _common

CONF = "smtpd.conf"
SECRETS = "smtpd.secrets"
DEFAULT_PATH = "/etc/smtpd.conf"
ACTION = "relay"
TABLE = "mailops_secrets"
CA_NAME = "mailops_ca"
LABEL = "mailops"

SCHEMES = {"smtp+notls": ("none", None), "smtp": ("starttls", "opportunistic"),
           "smtp+tls": ("starttls", "required"), "smtps": ("tls", None)}
# The arguments each relay option takes (smtpd.conf(5)); options not listed keep the rest of the line.
OPTION_ARGS = {"host": 1, "auth": 1, "ca": 1, "mail-from": 1, "helo": 1, "helo-src": 1, "src": 1, "pki": 1,
               "domain": 1, "srs": 0, "ttl": 1}
MANAGED_OPTIONS = ("host", "auth", "tls", "ca", "mail-from")
# Words the lexer reads as keywords: written quoted when they are values (the action's name).
RESERVED = ("action", "relay", "match", "port", "table", "host", "from", "for", "tls", "auth", "ca", "pki")

_HOST = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9_.-]*[A-Za-z0-9.])?$")
_URL = re.compile(r"^(?P<scheme>[a-z+]+)://(?:(?P<label>[^@/]+)@)?(?:\[(?P<ip6>[0-9A-Fa-f:.]+)\]|(?P<host>[^:/\[\]]+))"
                  r"(?::(?P<port>[0-9]+))?$")
# Quoted values of smtpd.conf end at '"' and treat '\' as an escape; line breaks end the line.
_QUOTABLE = re.compile(r'^[^"\\\x00-\x1f\x7f]+$')


def _error(message, path, index=0):
    return _common.FormatError("%s: %s" % (_common.pointer(path, index), message), path)


# --- smtpd.conf: logical lines (backslash continuations joined) and words ---

def split_lines(text):
    """The lines of text as smtpd reads them: split at line feeds only (not at Unicode separators)."""
    lines = (text or "").replace("\r\n", "\n").split("\n")
    return lines[:-1] if lines and lines[-1] == "" else lines


def logical_lines(text):
    """[(first, last, joined text)] over the physical lines of text (indexes into split_lines())."""
    lines = split_lines(text)
    out = []
    i = 0
    while i < len(lines):
        first = i
        joined = lines[i]
        while joined.endswith("\\") and i + 1 < len(lines):
            i += 1
            joined = joined[:-1] + " " + lines[i]
        out.append((first, i, joined))
        i += 1
    return out


def words(line):
    """The words of a logical line as smtpd.conf's lexer reads them: quotes removed, comment dropped."""
    out = []
    i = 0
    while i < len(line):
        char = line[i]
        if char in " \t":
            i += 1
            continue
        if char == "#":
            break
        if char == '"':
            value = []
            i += 1
            while i < len(line) and line[i] != '"':
                if line[i] == "\\" and i + 1 < len(line):
                    i += 1
                value.append(line[i])
                i += 1
            out.append("".join(value))
            i += 1
            continue
        start = i
        while i < len(line) and line[i] not in ' \t#"':
            i += 1
        out.append(line[start:i])
    return out


def _is_action(ws):
    return len(ws) >= 3 and ws[0] == "action" and ws[1] == ACTION


def _is_managed(ws):
    return len(ws) >= 2 and (ws[0], ws[1]) in (("table", TABLE), ("ca", CA_NAME))


def _relay_options(ws):
    """{option: [arguments]} of an action's relay options, and the unmanaged ones as smtpd.conf text, in order."""
    opts = {}
    kept = []
    i = 3
    while i < len(ws):
        word = ws[i]
        if word == "tls":
            args = ["no-verify"] if i + 1 < len(ws) and ws[i + 1] == "no-verify" else []
        elif word == "backup":
            args = ws[i + 1:i + 3] if i + 1 < len(ws) and ws[i + 1] == "mx" else []
        elif word in OPTION_ARGS:
            args = ws[i + 1:i + 1 + OPTION_ARGS[word]]
        else:
            kept.extend(_conf_word(w) for w in ws[i:])
            break
        if word in MANAGED_OPTIONS:
            opts[word] = args
        else:
            kept.append(" ".join([word] + [a if a in ("mx", "no-verify") else _conf_word(a) for a in args]))
        i += 1 + len(args)
    return opts, kept


def _conf_word(word):
    """A word as smtpd.conf writes it: bare for a keyword-like word or a <table>, else double-quoted."""
    if re.match(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$", word) and word not in RESERVED:
        return word
    if re.match(r"^<[A-Za-z0-9_.-]+>$", word):
        return word
    return '"%s"' % word.replace("\\", "\\\\").replace('"', '\\"')


# --- the credentials table (table(5): 'label user:password', keys end at a blank or ':') ---

def read_secrets(text, label):
    """(user, password) of the label's line, or None."""
    for line in split_lines(text):
        entry = line.strip(" \t")
        if not entry or entry.startswith("#"):
            continue
        key = re.split(r"[ \t:]", entry, maxsplit=1)[0]
        if key.lower() != label.lower():
            continue
        value = entry[len(key):]
        value = value[1:] if value.startswith(":") else value
        user, colon, password = value.lstrip(" \t").partition(":")
        if colon:
            return user, password
    return None


def _edit_secrets(current, auth):
    def ours(line):
        entry = line.strip(" \t")
        return bool(entry) and not entry.startswith("#") and re.split(r"[ \t:]", entry, maxsplit=1)[0].lower() == LABEL

    entry = "%s %s:%s" % (LABEL, auth["username"], auth["password"]) if auth else None
    return _common.edit_table(current, split_lines(current), ours, entry)


# --- the connector <-> smtpd.conf ---

def secrets_path(options):
    path = (options or {}).get("path") or DEFAULT_PATH
    directory = os.path.dirname(path) or "."
    if not _QUOTABLE.match(directory) or not directory.startswith("/"):
        raise _common.FormatError("path: smtpd.conf names its credentials table by an absolute path without quotes, "
                                  "backslashes or control characters (%r)" % directory)
    return "%s/%s" % (directory.rstrip("/") or "", SECRETS)


def _url(conn):
    sec = conn.get("security")
    scheme = "smtps" if sec == "tls" else "smtp+notls" if sec == "none" else \
        "smtp" if conn.get("starttls") == "opportunistic" else "smtp+tls"
    host = conn["host"]
    host = "[%s]" % host if ":" in host else host
    label = LABEL + "@" if conn.get("auth") else ""
    return "%s://%s%s:%d" % (scheme, label, host, conn["port"])


def _check(conn):
    host = conn["host"]
    if ":" in host:
        if not re.match(r"^[0-9A-Fa-f:.]+$", host):
            raise _error("not an IPv6 address smtpd.conf can hold", ("host",))
    elif not _HOST.match(host):
        raise _error("smtpd.conf's relay URL takes a host name or IP address here", ("host",))
    auth = conn.get("auth")
    if auth:
        if conn.get("security") == "none" or conn.get("starttls") == "opportunistic":
            raise _error("OpenSMTPD takes credentials only for smtp+tls:// and smtps:// relays (it refuses a label "
                         "in an smtp:// URL and sends no AUTH without TLS); use starttls required or security tls, "
                         "or no auth", ("auth",))
        user = auth["username"]
        if not user or re.search(r"[:\x00-\x1f\x7f]", user) or user != user.strip():
            raise _error("the credentials table cannot hold a user name with ':', a control character or "
                         "surrounding blanks", ("auth", "username"))
        password = auth["password"]
        if re.search(r"[\x00\r\n]", password) or password != password.strip():
            raise _error("the credentials table cannot hold a password with a line break or surrounding blanks",
                         ("auth", "password"))
    ca_file = (conn.get("tls") or {}).get("ca_file")
    if ca_file and conn.get("security") != "none" and not _QUOTABLE.match(ca_file):
        raise _error("smtpd.conf cannot hold a CA file path with quotes, backslashes or control characters",
                     ("tls", "ca_file"))
    sender = _common.address_of(conn["senders"]["default"])
    if not _QUOTABLE.match(sender):
        raise _error("smtpd.conf's mail-from cannot hold an address with quotes, backslashes or control characters",
                     ("senders", "default"))


def _desired(conn, options):
    """(managed lines before the action, {relay option: [arguments]}) of a connector, in writing order."""
    before = []
    opts = {"host": [_url(conn)]}
    if conn.get("auth"):
        before.append("table %s %s" % (TABLE, _conf_word("file:" + secrets_path(options))))
        opts["auth"] = ["<%s>" % TABLE]
    if conn.get("security") != "none":
        tls = conn.get("tls") or {}
        mandatory = conn.get("security") == "tls" or conn.get("starttls") == "required"
        if mandatory and tls.get("verify") is False:
            opts["tls"] = ["no-verify"]
        if tls.get("ca_file"):
            before.append("ca %s cert %s" % (CA_NAME, _conf_word(tls["ca_file"])))
            opts["ca"] = [CA_NAME]
    opts["mail-from"] = [_common.address_of(conn["senders"]["default"])]
    return before, opts


def _options_text(opts):
    return ["%s %s" % (key, " ".join(a if a == "no-verify" else _conf_word(a) for a in args)) for key, args in
            opts.items()]


def _native(name, opts, conf_words, secrets_text):
    """(path, value) pairs of the relay action's options, or None when it relays to no host."""
    match = _URL.match((opts.get("host") or [""])[0])
    if not match or match.group("scheme") not in SCHEMES:
        return None
    security, starttls = SCHEMES[match.group("scheme")]
    if opts.get("tls") is not None and security == "starttls":
        starttls = "required"
    host = match.group("ip6") or match.group("host")
    port = int(match.group("port")) if match.group("port") else (465 if security == "tls" else 25)
    pairs = [(("name",), name), (("host",), host), (("port",), port), (("security",), security)]
    if starttls:
        pairs.append((("starttls",), starttls))
    if security != "none":
        pairs.append((("tls", "verify"), opts.get("tls") != ["no-verify"]))
        ca = (opts.get("ca") or [None])[0]
        for ws in conf_words:
            if ca and len(ws) >= 4 and ws[0] == "ca" and ws[1] == ca and ws[2] == "cert":
                pairs.append((("tls", "ca_file"), ws[3]))
    label = match.group("label")
    cred = read_secrets(secrets_text, label) if label and opts.get("auth") else None
    if cred:
        pairs.append((("auth", "username"), cred[0]))
        pairs.append((("auth", "password"), cred[1]))
    if opts.get("mail-from"):
        pairs.append((("senders", "default"), opts["mail-from"][0]))
    return pairs


def _edit_conf(current, before, action_opts, record):
    """smtpd.conf with the managed lines replaced; action_opts None restores a plain 'relay' action."""
    lines = split_lines(current)
    out = []
    block_at = None
    kept_options = []
    has_match = False
    first_match = None
    for first, last, joined in logical_lines(current):
        ws = words(joined)
        stripped = joined.strip()
        if stripped.startswith(_common.RECORD_MARK.strip()) or _common.MANAGED_MARK in joined:
            continue
        if _is_managed(ws):
            continue
        if _is_action(ws):
            if block_at is None:
                block_at = len(out)
                kept_options = _relay_options(ws)[1]
            continue
        if ws and ws[0] == "match":
            if first_match is None:
                first_match = len(out)
            if ws[-2:] == ["action", ACTION]:
                has_match = True
        out.extend(lines[first:last + 1])
    if action_opts is None:
        if block_at is None:
            return "\n".join(out) + "\n" if out else ("" if current is not None else None)
        block = [" ".join(['action "%s" relay' % ACTION] + kept_options)]
    else:
        block = _common.header_lines() + ([record] if record else []) + before
        block.append(" ".join(['action "%s" relay' % ACTION] + _options_text(action_opts) + kept_options))
    if block_at is None:
        block_at = first_match if first_match is not None else len(out)
        while block_at > 0 and block_at == len(out) and not out[-1].strip():
            out.pop()
            block_at -= 1
        if block_at == len(out) and out:
            block = [""] + block
    out[block_at:block_at] = block
    if action_opts is not None and not has_match:
        out.append('match from local for any action "%s"' % ACTION)
    return "\n".join(out) + "\n"


def render(connectors, current=None, options=None):
    """{file key: text, or None for a file that should not exist}; current: {CONF: text, SECRETS: text}."""
    current = current or {}
    conns = [_common.canonical(c) for c in connectors]
    _common.check_names(conns)
    if len(conns) > 1:
        raise _error("the format manages one relay action, through which the 'match ... action \"relay\"' rules "
                     "send all outgoing mail; give this host one connector (found %d)" % len(conns), ("name",), 1)
    out = {}
    if not conns:
        out[CONF] = _edit_conf(current.get(CONF), [], None, None)
        out[SECRETS] = _edit_secrets(current.get(SECRETS), None) if current.get(SECRETS) else None
        return dict((k, v) for k, v in out.items() if v is not None or current.get(k) is not None)
    conn = conns[0]
    _check(conn)
    before, opts = _desired(conn, options)
    secrets = _edit_secrets(current.get(SECRETS), conn.get("auth"))
    native = _native(conn["name"], opts, [words(line) for line in before], secrets if conn.get("auth") else None)
    extras = _common.record_extras(conn, native, 0)
    extras["name"] = conn["name"]
    out[CONF] = _edit_conf(current.get(CONF), before, opts, _common.record_line(extras))
    out[SECRETS] = secrets
    return dict((k, v) for k, v in out.items() if v is not None or current.get(k) is not None)


def parse(files, options=None):
    """The smarthost connector of smtpd.conf and the credentials table ({file key: text}), or []."""
    if isinstance(files, str):
        files = {CONF: files}
    files = files or {}
    record = {}
    conf_words = []
    opts = None
    for _first, _last, joined in logical_lines(files.get(CONF)):
        if joined.strip().startswith(_common.RECORD_MARK.strip()):
            record = _common.read_record(joined.strip(), CONF)
            continue
        ws = words(joined)
        conf_words.append(ws)
        if opts is None and _is_action(ws) and ws[2] == "relay":
            opts = _relay_options(ws)[0]
    if opts is None:
        return []
    name = record.get("name") or (options or {}).get("default_name") or ACTION
    native = _native(name, opts, conf_words, files.get(SECRETS))
    return [_common.with_extras(native, record)] if native else []


class OpenSMTPD(_base.Format):
    name = "opensmtpd"
    # smtpd 6.8 has no configuration reload (smtpctl has none): a restart reads smtpd.conf and its tables.
    reload_steps = _base.Reload("smtpd reads smtpd.conf and its tables only when it starts",
                                services=["opensmtpd"], action=_base.Reload.RESTARTED)
    summary = "OpenSMTPD's smtpd.conf relaying through a smarthost, with its credentials table smtpd.secrets"
    default_path = DEFAULT_PATH
    path_description = "smtpd.conf"
    running_config_hint = "smtpd.conf's text, or a dict of file name (smtpd.conf, smtpd.secrets) -> text"
    capabilities = dict(
        _base.EVERYTHING,
        min_tls_version=_base.Lacks("OpenSMTPD 6.8 (Debian 12) has no relay option for TLS versions: it accepts "
                                    "every version its OpenSSL allows (the 'protocols' option came with 7.x)"),
        auth_mechanisms=_base.Lacks("OpenSMTPD uses AUTH PLAIN when the server offers it and LOGIN otherwise"),
        multiple_connectors=_base.Lacks("the format manages the one relay action that the 'match ... action "
                                        "\"relay\"' rules send all outgoing mail through", _base.Lacks.REFUSED),
    )

    def files(self, path):
        return {os.path.basename(path): path, SECRETS: os.path.join(os.path.dirname(path), SECRETS)}

    def holds_secret(self, key, connectors, options):
        return key == SECRETS

    def write_order(self, key):
        # The table first: smtpd.conf names it, and a validate command reads both.
        return 0 if key == SECRETS else 1

    def render_files(self, connectors, current, options):
        main = os.path.basename(options["path"])
        out = render(connectors, {CONF: current.get(main), SECRETS: current.get(SECRETS)}, options)
        return dict((main if k == CONF else k, v) for k, v in out.items())

    def parse_files(self, current, options):
        main = os.path.basename(options["path"])
        return parse({CONF: current.get(main), SECRETS: current.get(SECRETS)}, options)

    def rendered(self, connectors, options):
        return render(connectors, {}, options)

    def parsed(self, running, options):
        if not isinstance(running, (str, dict)):
            raise _base.ApplyError("running_config: expected %s for format %s" % (self.running_config_hint, self.name))
        return parse(running, options)

    def reload_needed(self, changes):
        # smtpd reads smtpd.conf and its file tables when it starts: restart it after a change.
        return any(c["action"] != "unchanged" for c in changes)


FORMAT = OpenSMTPD()
