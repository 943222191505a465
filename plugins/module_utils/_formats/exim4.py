# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Format exim4: Debian's exim4 as a smarthost client (update-exim4.conf and its inputs).

Files, relative to the exim4 configuration directory (/etc/exim4):
  update-exim4.conf.conf   dc_eximconfig_configtype ('satellite', or 'smarthost' when the file
                           already says so) and dc_smarthost ('host::port'); every other line and
                           comment is kept. A '# mailops: {...}' comment records the fields exim
                           has no setting for (name, senders, ...); no secrets.
  passwd.client            'host:user:password' for the smarthost (secret); other lines and
                           comments are kept.
  exim4.conf.localmacros   (unsplit configuration) or conf.d/main/000_localmacros (split, when
                           dc_use_split_config is 'true'): the macros Debian's remote_smtp_smarthost
                           transport reads: REMOTE_SMTP_SMARTHOST_HOSTS_REQUIRE_TLS (required TLS),
                           REMOTE_SMTP_SMARTHOST_PROTOCOL = smtps (implicit TLS),
                           REMOTE_SMTP_SMARTHOST_TLS_VERIFY_CERTIFICATES (private CA),
                           REMOTE_SMTP_SMARTHOST_TLS_VERIFY_HOSTS (empty: no verification),
                           REMOTE_SMTP_SMARTHOST_HOSTS_AVOID_TLS (no TLS) and
                           AUTH_CLIENT_ALLOW_NOTLS_PASSWORDS (AUTH without TLS); other lines kept.

update-exim4.conf sources update-exim4.conf.conf as a shell script, so its values are written
in single quotes and a value that could leave them is refused. One smarthost per host: Debian's
configuration routes every remote address to dc_smarthost.

Private to the collection: may change without notice. Standard library only.
"""

from __future__ import annotations

import fnmatch
import os
import re
import shlex

from ansible_collections.mailops.smtp.plugins.module_utils._formats import _base, _common

UE4CC = "update-exim4.conf.conf"
PASSWD = "passwd.client"
MACROS_UNSPLIT = "exim4.conf.localmacros"
MACROS_SPLIT = "conf.d/main/000_localmacros"
FILES = (UE4CC, PASSWD, MACROS_UNSPLIT, MACROS_SPLIT)
SECRET_FILES = (PASSWD,)
DEFAULT_DIR = "/etc/exim4"

REQUIRE_TLS = "REMOTE_SMTP_SMARTHOST_HOSTS_REQUIRE_TLS"
AVOID_TLS = "REMOTE_SMTP_SMARTHOST_HOSTS_AVOID_TLS"
PROTOCOL = "REMOTE_SMTP_SMARTHOST_PROTOCOL"
VERIFY_CERTS = "REMOTE_SMTP_SMARTHOST_TLS_VERIFY_CERTIFICATES"
VERIFY_HOSTS = "REMOTE_SMTP_SMARTHOST_TLS_VERIFY_HOSTS"
NOTLS_PASSWORDS = "AUTH_CLIENT_ALLOW_NOTLS_PASSWORDS"
MANAGED_MACROS = (REQUIRE_TLS, AVOID_TLS, PROTOCOL, VERIFY_CERTS, VERIFY_HOSTS, NOTLS_PASSWORDS)
MANAGED_KEYS = ("dc_eximconfig_configtype", "dc_smarthost")
SMARTHOST_TYPES = ("satellite", "smarthost")

_ASSIGN = re.compile(r"^\s*(?P<key>[A-Za-z_][A-Za-z0-9_]*)=(?P<val>.*)$")
_MACRO = re.compile(r"^\s*(?P<name>[A-Z][A-Za-z0-9_]*)\s*=(?P<val>.*)$")
_HOST = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9_.-]*[A-Za-z0-9.])?$")
# A macro value is expanded by exim ('$', '\\') and ends at the line end.
_MACRO_VALUE = re.compile(r"^[^\s$\\\"'{}]+$")


def _error(message, path, index=None):
    return _common.FormatError("%s: %s" % (_common.pointer(path, index), message), path)


def split_config(current):
    """Whether update-exim4.conf.conf asks for the split configuration (conf.d)."""
    value = read_ue4cc(current.get(UE4CC)).get("dc_use_split_config", "false")
    return value.strip().lower() == "true"


def macros_key(current):
    return MACROS_SPLIT if split_config(current or {}) else MACROS_UNSPLIT


# --- update-exim4.conf.conf (a shell fragment of key='value' lines) ---

def _shell_value(text, key):
    try:
        words = shlex.split(text, comments=True)
    except ValueError:
        raise _common.FormatError("%s: %s: unreadable shell quoting: %s" % (UE4CC, key, text.strip()[:60])) from None
    return " ".join(words)


def read_ue4cc(text):
    """{key: value} of update-exim4.conf.conf (last assignment wins) and the record comment."""
    values = {}
    for line in (text or "").splitlines():
        match = _ASSIGN.match(line)
        if match:
            values[match.group("key")] = _shell_value(match.group("val"), match.group("key"))
    return values


def _record_of(text, what):
    for line in (text or "").splitlines():
        if line.strip().startswith(_common.RECORD_MARK.strip()):
            return _common.read_record(line, what)
    return {}


def _edit_ue4cc(current, desired, record):
    """Replace the managed assignments and the record comment in place (or append them)."""
    head = _common.header_lines() + ([record] if record else [])
    out = []
    written = set()
    for line in (current or "").splitlines():
        match = _ASSIGN.match(line)
        if match and match.group("key") in desired:
            key = match.group("key")
            if key not in written:
                out.append("%s='%s'" % (key, desired[key]))
                written.add(key)
            continue
        if line.strip().startswith(_common.RECORD_MARK.strip()):
            continue
        if _common.MANAGED_MARK in line:
            out.extend(head)
            head = []
            continue
        out.append(line)
    while out and not out[-1].strip():
        out.pop()
    out.extend(head)
    out.extend("%s='%s'" % (k, v) for k, v in desired.items() if k not in written)
    return "\n".join(out) + "\n"


# --- passwd.client (lsearch: 'host:user:password') ---

def _passwd_key(line):
    """The host key of a passwd.client line and the rest (user:password), or (None, None)."""
    text = line.strip()
    if not text or text.startswith("#"):
        return None, None
    if text.startswith('"'):
        try:
            key, rest = _common.dunquote(text)
        except _common.FormatError:
            return None, None
    else:
        key, _sep, rest = text.partition(":")
        if not _sep:
            return None, None
        rest = ":" + rest
    rest = rest.lstrip()
    if rest.startswith(":"):
        rest = rest[1:]
    return key.strip(), rest.lstrip()


def read_passwd(text, host):
    """(user, password) for host: an exact key first, then the first wildcard key that matches."""
    exact = None
    wildcard = None
    for line in (text or "").splitlines():
        key, rest = _passwd_key(line)
        if key is None or ":" not in rest:
            continue
        user, _sep, password = rest.partition(":")
        if key.lower() == host.lower():
            exact = exact or (user, password)
        elif "*" in key and fnmatch.fnmatch(host.lower(), key.lower()):
            wildcard = wildcard or (user, password)
    return exact or wildcard


def _edit_passwd(current, host, old_host, auth):
    """Drop the lines for host (and for the previously managed host), keep the rest, add ours."""
    drop = set(h.lower() for h in (host, old_host) if h)

    def ours(line):
        key, _rest = _passwd_key(line)
        return key is not None and key.lower() in drop

    entry = "%s:%s:%s" % (host, auth["username"], auth["password"]) if auth else None
    return _common.edit_table(current, (current or "").splitlines(), ours, entry)


# --- macros (exim4.conf.localmacros or conf.d/main/000_localmacros) ---

def read_macros(text):
    values = {}
    lines = (text or "").splitlines()
    i = 0
    while i < len(lines):
        match = _MACRO.match(lines[i])
        value = match.group("val").strip() if match else ""
        while i < len(lines) and lines[i].rstrip().endswith("\\"):
            i += 1
            if i < len(lines):
                value = value.rstrip("\\").rstrip() + " " + lines[i].strip()
        i += 1
        if match:
            values[match.group("name")] = value
    return values


def _edit_macros(current, desired):
    out = []
    lines = (current or "").splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        match = _MACRO.match(line)
        end = i + 1
        while end < len(lines) and lines[end - 1].rstrip().endswith("\\"):
            end += 1
        if (match and match.group("name") in MANAGED_MACROS) or _common.MANAGED_MARK in line:
            i = end
            continue
        out.extend(lines[i:end])
        i = end
    while out and not out[-1].strip():
        out.pop()
    if desired:
        if out:
            out.append("")
        out.extend(_common.header_lines())
        out.extend(("%s = %s" % (name, value)).rstrip() for name, value in desired)
    if not out:
        return None if current is None else ""
    return "\n".join(out) + "\n"


# --- the connector <-> exim settings ---

def _check(conn, index):
    host = conn["host"]
    if not _HOST.match(host):
        raise _error("exim4's dc_smarthost takes a host name or IPv4 address here (an IPv6 literal or %r "
                     "cannot be written safely into update-exim4.conf.conf)" % host, ("host",), index)
    auth = conn.get("auth")
    if auth:
        user, password = auth["username"], auth["password"]
        if re.search(r"[:\r\n]", user) or user != user.strip() or not user:
            raise _error("passwd.client cannot hold a user name with ':', a line break or surrounding blanks",
                         ("auth", "username"), index)
        if re.search(r"[\r\n]", password) or password != password.strip():
            raise _error("passwd.client cannot hold a password with a line break or surrounding blanks",
                         ("auth", "password"), index)
    ca_file = (conn.get("tls") or {}).get("ca_file")
    if ca_file and conn.get("security") != "none" and not _MACRO_VALUE.match(ca_file):
        raise _error("exim expands macro values: a CA file path with blanks, quotes, '$', '\\' or braces "
                     "cannot be written", ("tls", "ca_file"), index)


def desired_macros(conn):
    """The macros a connector needs, as an ordered list of (name, value)."""
    sec = conn.get("security")
    tls = conn.get("tls") or {}
    macros = []
    if sec == "none":
        macros.append((AVOID_TLS, "*"))
        if conn.get("auth"):
            macros.append((NOTLS_PASSWORDS, "1"))
        return macros
    if sec == "tls" or conn.get("starttls") == "required":
        macros.append((REQUIRE_TLS, "*"))
    if sec == "tls":
        macros.append((PROTOCOL, "smtps"))
    if tls.get("ca_file"):
        macros.append((VERIFY_CERTS, tls["ca_file"]))
    if not tls.get("verify", True):
        macros.append((VERIFY_HOSTS, ""))
    return macros


def _smarthost(conn):
    return "%s::%d" % (conn["host"], conn["port"])


def _split_smarthost(value):
    """The first host of dc_smarthost ('host::port; other') as (host, port)."""
    first = re.split(r"\s*;\s*|\s+:\s+|(?<!:):(?!:)", value.strip())[0].strip()
    host, _sep, port = first.partition("::")
    host = host.strip().strip("[]")
    if not host:
        return None, None
    return host, int(port) if port.strip().isdigit() else 25


def _native(name, ue4cc, macros, passwd_text):
    """(path, value) pairs the exim files say about the smarthost."""
    host, port = _split_smarthost(ue4cc.get("dc_smarthost", ""))
    if not host:
        return None
    pairs = [(("name",), name), (("host",), host), (("port",), port)]
    protocol = macros.get(PROTOCOL, "").strip().lower()
    require = macros.get(REQUIRE_TLS, "").strip()
    if macros.get(AVOID_TLS, "").strip() and not protocol:
        pairs.append((("security",), "none"))
    else:
        if protocol == "smtps":
            pairs.append((("security",), "tls"))
        else:
            pairs.append((("security",), "starttls"))
            pairs.append((("starttls",), "required" if require else "opportunistic"))
        verify_hosts = macros.get(VERIFY_HOSTS)
        pairs.append((("tls", "verify"), verify_hosts is None or verify_hosts.strip() not in ("", ":")))
        certs = macros.get(VERIFY_CERTS, "").strip()
        if certs and certs != "system":
            pairs.append((("tls", "ca_file"), certs))
    cred = read_passwd(passwd_text, host)
    if cred:
        pairs.append((("auth", "username"), cred[0]))
        pairs.append((("auth", "password"), cred[1]))
    return pairs


def render(connectors, current=None, options=None):
    """{file name: text, or None for a file that should not exist}; current: {file name: text}."""
    current = current or {}
    conns = [_common.canonical(c) for c in connectors]
    _common.check_names(conns)
    if len(conns) > 1:
        raise _error("exim4's Debian configuration routes all remote mail to one smarthost; give this host one "
                     "connector (found %d)" % len(conns), ("name",), 1)
    ue4cc_text = current.get(UE4CC)
    ue4cc = read_ue4cc(ue4cc_text)
    old_host, _port = _split_smarthost(ue4cc.get("dc_smarthost", ""))
    key = macros_key(current)
    out = {}
    if not conns:
        if ue4cc_text is not None:
            out[UE4CC] = _edit_ue4cc(ue4cc_text, {"dc_eximconfig_configtype": "local", "dc_smarthost": ""}, None)
        out[PASSWD] = _edit_passwd(current.get(PASSWD), old_host, None, None) if current.get(PASSWD) else None
        out[key] = _edit_macros(current.get(key), [])
        return dict((k, v) for k, v in out.items() if v is not None or current.get(k) is not None)
    conn = conns[0]
    _check(conn, 0)
    macros = desired_macros(conn)
    passwd = _edit_passwd(current.get(PASSWD), conn["host"], old_host, conn.get("auth"))
    native = _native(conn["name"], {"dc_smarthost": _smarthost(conn)}, dict(macros),
                     passwd if conn.get("auth") else None)
    extras = _common.record_extras(conn, native, 0)
    extras["name"] = conn["name"]
    record = _common.record_line(extras)
    configtype = ue4cc.get("dc_eximconfig_configtype", "")
    desired = {
        "dc_eximconfig_configtype": configtype if configtype in SMARTHOST_TYPES else "satellite",
        "dc_smarthost": _smarthost(conn),
    }
    out[UE4CC] = _edit_ue4cc(ue4cc_text, desired, record)
    out[PASSWD] = passwd
    out[key] = _edit_macros(current.get(key), macros)
    return dict((k, v) for k, v in out.items() if v is not None or current.get(k) is not None)


def parse(files, options=None):
    """The smarthost connector of the exim4 files ({file name: text}), or [] when exim4 has none."""
    if isinstance(files, str):
        files = {UE4CC: files}
    files = files or {}
    ue4cc = read_ue4cc(files.get(UE4CC))
    if ue4cc.get("dc_eximconfig_configtype", "") not in SMARTHOST_TYPES:
        return []
    record = _record_of(files.get(UE4CC), UE4CC)
    name = record.get("name") or (options or {}).get("default_name") or "smarthost"
    native = _native(name, ue4cc, read_macros(files.get(macros_key(files))), files.get(PASSWD))
    if native is None:
        return []
    return [_common.with_extras(native, record)]


class Exim4(_base.DirectoryFormat):
    name = "exim4"
    summary = "Debian's exim4 as a smarthost client: update-exim4.conf.conf, passwd.client and the smarthost macros"
    file_names = FILES
    secret_files = SECRET_FILES
    main_file = UE4CC
    default_path = DEFAULT_DIR
    path_description = "the exim4 configuration directory"
    decided_from_files = False  # passwd.client belongs to the group Debian-exim of the host
    running_config_hint = "update-exim4.conf.conf's text, or a dict of file name -> text"
    capabilities = dict(
        _base.EVERYTHING,
        min_tls_version=_base.Lacks("Debian's smarthost transport has no macro for tls_require_ciphers: exim "
                                    "accepts every TLS version its GnuTLS allows"),
        auth_mechanisms=_base.Lacks("exim tries its client authenticators in configuration order (CRAM-MD5, "
                                    "PLAIN, LOGIN) among those the server offers"),
        multiple_connectors=_base.Lacks("Debian's configuration routes all remote mail to one smarthost "
                                        "(dc_smarthost)", _base.Lacks.REFUSED),
    )

    def secret_attributes(self, key):
        # exim's delivery processes run as Debian-exim and read passwd.client through its group.
        _uid, gid = _common.system_ids(group="Debian-exim")
        return (0o640, 0, gid) if gid != -1 else (0o600, -1, -1)

    def write_order(self, key):
        # update-exim4.conf.conf last: it turns the smarthost on.
        return 1 if key == UE4CC else 0

    def reload(self, path, options):
        # exim reads the configuration update-exim4.conf builds from these files, not the files.
        command = ["update-exim4.conf"]
        if os.path.normpath(path) != DEFAULT_DIR:
            command += ["--confdir", os.path.normpath(path)]
        return _base.Reload("exim4 reads the configuration update-exim4.conf builds from these files",
                            commands=[command], services=["exim4"], action=_base.Reload.RELOADED)

    def reload_needed(self, changes):
        # update-exim4.conf rebuilds the configuration, then exim4 is reloaded.
        return any(c["action"] != "unchanged" for c in changes)


FORMAT = Exim4()
