# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Format msmtp: an msmtprc with one 'account' per connector and 'account default'.

msmtp commands carry host, port, TLS mode, certificate checks, trust file, SNI/name
override, TLS versions (GnuTLS priorities), timeout, authentication and the envelope
sender. Fields msmtp has no command for (display names, other senders, delivery policy,
...) are kept in one '# mailops: {...}' comment line per account, which msmtp ignores,
so the file reads back to the model. msmtp has no opportunistic STARTTLS: such a
connector is written with TLS required (the stricter behaviour) and the comment records
the declared value.

Private to the collection: may change without notice. Standard library only.
"""

from __future__ import annotations

import re

from ansible_collections.mailops.smtp.plugins.module_utils._formats import _base, _common

EXTRA_MARK = _common.RECORD_MARK

PRIORITIES = {"1.2": "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2", "1.3": "NORMAL:-VERS-ALL:+VERS-TLS1.3"}


def _quote(value):
    value = str(value)
    if value == "" or re.search(r'[\s"\\#]', value):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return value


def _unquote(text):
    text = text.strip()
    if not text.startswith('"'):
        return text
    out = []
    i = 1
    while i < len(text):
        char = text[i]
        if char == "\\" and i + 1 < len(text):
            out.append(text[i + 1])
            i += 2
            continue
        if char == '"':
            break
        out.append(char)
        i += 1
    return "".join(out)


def _onoff(value):
    return "on" if value else "off"


# The model field each free-text msmtp command comes from, for errors that name the field.
COMMAND_FIELDS = {
    "host": ("host",),
    "user": ("auth", "username"),
    "password": ("auth", "password"),
    "tls_trust_file": ("tls", "ca_file"),
    "tls_host_override": ("tls", "server_name"),
    "from": ("senders", "default"),
}


def native_commands(conn):
    """msmtp commands for one canonical connector, as (command, value text)."""
    sec = conn.get("security")
    tls = conn.get("tls") or {}
    cmds = [("host", conn["host"]), ("port", str(conn["port"])), ("tls", _onoff(sec != "none"))]
    if sec != "none":
        cmds.append(("tls_starttls", _onoff(sec == "starttls")))
        cmds.append(("tls_certcheck", _onoff(tls.get("verify", True))))
        if tls.get("ca_file"):
            cmds.append(("tls_trust_file", tls["ca_file"]))
        elif tls.get("verify", True):
            cmds.append(("tls_trust_file", "system"))
        if tls.get("server_name"):
            cmds.append(("tls_host_override", tls["server_name"]))
        cmds.append(("tls_priorities", PRIORITIES[tls.get("min_version", "1.2")]))
    cmds.append(("timeout", str(conn.get("timeout", 30))))
    auth = conn.get("auth")
    if auth:
        mechs = auth.get("mechanisms") or []
        cmds.append(("auth", mechs[0].lower() if mechs else "on"))
        cmds.append(("user", auth["username"]))
        cmds.append(("password", auth["password"]))
    else:
        cmds.append(("auth", "off"))
    default = (conn.get("senders") or {}).get("default")
    if default:
        cmds.append(("from", _common.address_of(default)))
    return cmds


def _from_commands(name, cmds):
    pairs = [(("name",), name)]
    if "host" in cmds:
        pairs.append((("host",), cmds["host"]))
    if "port" in cmds:
        pairs.append((("port",), _common.from_text(("port",), cmds["port"])))
    if cmds.get("tls", "off") == "on":
        starttls = cmds.get("tls_starttls", "on") == "on"
        pairs.append((("security",), "starttls" if starttls else "tls"))
        if starttls:
            pairs.append((("starttls",), "required"))
        pairs.append((("tls", "verify"), cmds.get("tls_certcheck", "on") == "on"))
        if cmds.get("tls_trust_file") and cmds["tls_trust_file"] != "system":
            pairs.append((("tls", "ca_file"), cmds["tls_trust_file"]))
        if cmds.get("tls_host_override"):
            pairs.append((("tls", "server_name"), cmds["tls_host_override"]))
        if "VERS-TLS1.2" not in cmds.get("tls_priorities", "VERS-TLS1.2"):
            pairs.append((("tls", "min_version"), "1.3"))
    else:
        pairs.append((("security",), "none"))
    if "timeout" in cmds and cmds["timeout"] != "off":
        pairs.append((("timeout",), _common.from_text(("timeout",), cmds["timeout"])))
    if cmds.get("auth", "off") != "off" and "user" in cmds:
        pairs.append((("auth", "username"), cmds["user"]))
        if "password" in cmds:
            pairs.append((("auth", "password"), cmds["password"]))
        if cmds["auth"] != "on":
            pairs.append((("auth", "mechanisms"), [cmds["auth"].upper()]))
    if "from" in cmds:
        pairs.append((("senders", "default"), cmds["from"]))
    return pairs


def default_account(conns, options):
    wanted = (options or {}).get("default_connector")
    if wanted:
        for conn in conns:
            if conn["name"] == wanted:
                return wanted
        raise _common.FormatError("default_connector: %r is not the name of a connector in the result "
                                  "(names: %s)" % (wanted, ", ".join(c["name"] for c in conns) or "none"))
    return conns[0]["name"] if conns else None


def render(connectors, current=None, options=None):
    conns = [_common.canonical(c) for c in connectors]
    _common.check_names(conns)
    lines = _common.header_lines()
    for index, conn in enumerate(conns):
        if conn["name"] == "default" or re.search(r"[\s:#]", conn["name"]):
            raise _common.FormatError("%s: msmtp reserves the account name %r" % (
                _common.pointer(("name",), index), conn["name"]), ("name",))
        cmds = native_commands(conn)
        lines.append("")
        lines.append("account %s" % conn["name"])
        record = _common.record_line(_common.record_extras(conn, _from_commands(conn["name"], dict(cmds)), index))
        if record:
            lines.append(record)
        for cmd, value in cmds:
            if "\n" in value or "\r" in value:
                field = COMMAND_FIELDS.get(cmd, (cmd,))
                raise _common.FormatError("%s: msmtp values cannot contain line breaks" % _common.pointer(
                    field, index), field)
            lines.append("%s %s" % (cmd, _quote(value)))
    default = default_account(conns, options)
    if default:
        lines.append("")
        lines.append("account default : %s" % default)
    return "\n".join(lines) + "\n"


def parse_accounts(text):
    """[(name, {command: value}, extras dict)] in file order, and the default account name."""
    accounts = []
    default = None
    current = None
    for raw in (text or "").splitlines():
        line = raw.strip()
        if line.startswith(EXTRA_MARK.strip()) and current is not None:
            current[2].update(_common.read_record(line, "account %s" % current[0]))
            continue
        if not line or line.startswith("#"):
            continue
        parts = line.split(None, 1)
        cmd, value = parts[0], (parts[1] if len(parts) > 1 else "")
        if cmd == "account":
            head = value.split(":", 1)
            name = head[0].strip()
            if name == "default" and len(head) > 1:
                default = head[1].strip().split(",")[0].strip()
                current = None
                continue
            current = (name, {}, {})
            accounts.append(current)
            continue
        if cmd == "defaults":
            current = None
            continue
        if current is not None:
            current[1][cmd] = _unquote(value)
    return accounts, default


def parse(text, options=None):
    accounts, _default = parse_accounts(text)
    out = []
    for name, cmds, extras in accounts:
        if "host" not in cmds:
            continue
        out.append(_common.with_extras(_from_commands(name, cmds), extras))
    return out


class Msmtp(_base.Format):
    name = "msmtp"
    reload_steps = _base.Reload("msmtp runs for each message and reads its file then")
    summary = "an msmtprc with one account per connector, for sendmail-compatible tools"
    options = {"default_connector": _base.DEFAULT_CONNECTOR}
    capabilities = dict(
        _base.EVERYTHING,
        starttls_opportunistic=_base.Lacks("msmtp has no opportunistic STARTTLS: it is written as required "
                                           "(tls_starttls on), so msmtp refuses to send when the server offers "
                                           "no STARTTLS", _base.Lacks.STRICTER),
    )

    def secret_encodings(self, secret):
        return (secret, _quote(secret).strip('"'))


FORMAT = Msmtp()
