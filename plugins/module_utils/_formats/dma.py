# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Format dma: the DragonFly Mail Agent's dma.conf and auth.conf (in /etc/dma).

Files, relative to the configuration directory:
  dma.conf    SMARTHOST, PORT, AUTHPATH and the flags SECURETRANSFER, STARTTLS,
              OPPORTUNISTIC_TLS, INSECURE ('NAME value' lines; a flag is on when its line is
              there). Every other line and comment is kept (the packaged file documents each
              setting in comments). A '# mailops: {...}' comment records the fields dma has no
              setting for; no secrets.
  auth.conf   'user|host:password' for the smarthost (secret); other lines are kept.

dma never verifies the server certificate (it only compares a pinned FINGERPRINT, which the
model does not carry) and takes no CA file: tls.verify and tls.ca_file are kept in the comment
only, and the capability matrix says so.

Private to the collection: may change without notice. Standard library only.
"""

from __future__ import annotations

import re

from ansible_collections.mailops.smtp.plugins.module_utils._formats import _base, _common

CONF = "dma.conf"
AUTH = "auth.conf"
FILES = (CONF, AUTH)
SECRET_FILES = (AUTH,)
DEFAULT_DIR = "/etc/dma"

VALUE_KEYS = ("SMARTHOST", "PORT", "AUTHPATH")
FLAG_KEYS = ("SECURETRANSFER", "STARTTLS", "OPPORTUNISTIC_TLS", "INSECURE")
MANAGED_KEYS = VALUE_KEYS + FLAG_KEYS

_LINE = re.compile(r"^(?P<key>[A-Z_]+)(?:[ \t]+(?P<val>.*?))?[ \t]*$")
_HOST = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9_.-]*[A-Za-z0-9.])?$")


def _error(message, path, index=0):
    return _common.FormatError("%s: %s" % (_common.pointer(path, index), message), path)


def read_conf(text):
    """{NAME: value ('' for a flag)} of the uncommented lines; the last one wins."""
    values = {}
    for line in (text or "").splitlines():
        match = _LINE.match(line.strip())
        if match and not line.lstrip().startswith("#"):
            values[match.group("key")] = match.group("val") or ""
    return values


def read_auth(text, host):
    """(user, password) of the auth.conf line for host, or None."""
    for line in (text or "").splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        user, separator, rest = line.partition("|")
        entry_host, colon, password = rest.partition(":")
        if separator and colon and entry_host.strip().lower() == host.lower():
            return user.strip(), password
    return None


def auth_path(options):
    directory = ((options or {}).get("path") or DEFAULT_DIR).rstrip("/") or "/"
    if re.search(r"\s", directory):
        raise _common.FormatError("path: dma.conf cannot name an auth.conf in a directory with blanks (%r)"
                                  % directory)
    return "%s/%s" % (directory, AUTH)


def desired_conf(conn, options):
    """The dma.conf settings of a connector: [(NAME, value or '' for a flag)]."""
    sec = conn.get("security")
    out = [("SMARTHOST", conn["host"]), ("PORT", str(conn["port"]))]
    if conn.get("auth"):
        out.append(("AUTHPATH", auth_path(options)))
    if sec != "none":
        out.append(("SECURETRANSFER", ""))
    if sec == "starttls":
        out.append(("STARTTLS", ""))
        if conn.get("starttls") == "opportunistic":
            out.append(("OPPORTUNISTIC_TLS", ""))
    elif sec == "none" and conn.get("auth"):
        out.append(("INSECURE", ""))
    return out


def _native(name, conf, auth_text):
    host = conf.get("SMARTHOST", "").strip()
    if not host:
        return None
    port = conf.get("PORT", "25").strip()
    pairs = [(("name",), name), (("host",), host),
             (("port",), _common.from_text(("port",), port) if port.isdigit() else 25)]
    if "SECURETRANSFER" in conf:
        if "STARTTLS" in conf:
            pairs.append((("security",), "starttls"))
            pairs.append((("starttls",), "opportunistic" if "OPPORTUNISTIC_TLS" in conf else "required"))
        else:
            pairs.append((("security",), "tls"))
    else:
        pairs.append((("security",), "none"))
    cred = read_auth(auth_text, host) if conf.get("AUTHPATH") else None
    if cred:
        pairs.append((("auth", "username"), cred[0]))
        pairs.append((("auth", "password"), cred[1]))
    return pairs


def _edit_conf(current, desired, record):
    """Managed lines replaced where they are (or added at the end), dropped when not wanted."""
    wanted = dict(desired)
    head = _common.header_lines() + ([record] if record else [])
    out = []
    written = set()
    for line in (current or "").splitlines():
        match = _LINE.match(line.strip())
        if match and not line.lstrip().startswith("#") and match.group("key") in MANAGED_KEYS:
            key = match.group("key")
            if key in wanted and key not in written:
                out.append(("%s %s" % (key, wanted[key])).rstrip())
                written.add(key)
            continue
        if line.strip().startswith(_common.RECORD_MARK.strip()):
            continue
        if _common.MANAGED_MARK in line:
            if desired:
                out.extend(head)
                head = []
            continue
        out.append(line)
    while out and not out[-1].strip():
        out.pop()
    if desired:
        out.extend(head)
    out.extend(("%s %s" % (k, v)).rstrip() for k, v in desired if k not in written)
    return "\n".join(out) + "\n" if out else ""


def _edit_auth(current, host, old_host, auth):
    drop = set(h.lower() for h in (host, old_host) if h)

    def ours(line):
        _user, separator, rest = line.partition("|")
        return bool(separator) and not line.lstrip().startswith("#") and rest.partition(":")[0].strip().lower() in drop

    entry = "%s|%s:%s" % (auth["username"], host, auth["password"]) if auth else None
    return _common.edit_table(current, (current or "").splitlines(), ours, entry)


def _check(conn):
    if not _HOST.match(conn["host"]):
        raise _error("dma's SMARTHOST and auth.conf take a host name or IPv4 address here (an IPv6 literal "
                     "cannot be written in auth.conf's 'user|host:password')", ("host",))
    auth = conn.get("auth")
    if auth:
        user = auth["username"]
        if re.search(r"[|\r\n]", user) or user != user.strip() or not user:
            raise _error("auth.conf cannot hold a user name with '|', a line break or surrounding blanks",
                         ("auth", "username"))
        if user.startswith("#"):
            raise _error("auth.conf cannot hold a user name that starts with '#': dma reads that line as a comment",
                         ("auth", "username"))
        if re.search(r"[\r\n]", auth["password"]):
            raise _error("auth.conf cannot hold a password with a line break", ("auth", "password"))


def render(connectors, current=None, options=None):
    """{file name: text, or None for a file that should not exist}; current: {file name: text}."""
    current = current or {}
    conns = [_common.canonical(c) for c in connectors]
    _common.check_names(conns)
    if len(conns) > 1:
        raise _error("dma sends all remote mail to one SMARTHOST; give this host one connector (found %d)"
                     % len(conns), ("name",), 1)
    old_host = read_conf(current.get(CONF)).get("SMARTHOST", "").strip()
    out = {}
    if not conns:
        out[CONF] = _edit_conf(current.get(CONF), [], None) if current.get(CONF) is not None else None
        out[AUTH] = _edit_auth(current.get(AUTH), old_host, None, None) if current.get(AUTH) else None
        return dict((k, v) for k, v in out.items() if v is not None or current.get(k) is not None)
    conn = conns[0]
    _check(conn)
    desired = desired_conf(conn, options)
    auth_text = _edit_auth(current.get(AUTH), conn["host"], old_host, conn.get("auth"))
    native = _native(conn["name"], dict(desired), auth_text if conn.get("auth") else None)
    extras = _common.record_extras(conn, native, 0)
    extras["name"] = conn["name"]
    out[CONF] = _edit_conf(current.get(CONF), desired, _common.record_line(extras))
    out[AUTH] = auth_text
    return dict((k, v) for k, v in out.items() if v is not None or current.get(k) is not None)


def parse(files, options=None):
    """The smarthost connector of dma.conf and auth.conf ({file name: text}), or []."""
    if isinstance(files, str):
        files = {CONF: files}
    files = files or {}
    conf = read_conf(files.get(CONF))
    record = {}
    for line in (files.get(CONF) or "").splitlines():
        if line.strip().startswith(_common.RECORD_MARK.strip()):
            record = _common.read_record(line, CONF)
    name = record.get("name") or (options or {}).get("default_name") or "smarthost"
    native = _native(name, conf, files.get(AUTH))
    return [_common.with_extras(native, record)] if native else []


class Dma(_base.DirectoryFormat):
    name = "dma"
    summary = "the DragonFly Mail Agent's dma.conf and auth.conf"
    file_names = FILES
    secret_files = SECRET_FILES
    main_file = CONF
    default_path = DEFAULT_DIR
    path_description = "the dma configuration directory"
    decided_from_files = False  # auth.conf belongs to the group mail of the host
    running_config_hint = "dma.conf's text, or a dict of file name -> text"
    capabilities = dict(
        _base.EVERYTHING,
        verify_on=_base.Lacks("dma never verifies the server certificate: it encrypts with any certificate "
                              "(only a pinned FINGERPRINT, which the model does not carry, is compared)"),
        ca_file=_base.Lacks("dma takes no CA file: it does not verify certificates at all"),
        min_tls_version=_base.Lacks("dma has no setting for TLS versions: it accepts every version its OpenSSL "
                                    "allows"),
        auth_mechanisms=_base.Lacks("dma uses CRAM-MD5 when the server offers it and LOGIN otherwise"),
        multiple_connectors=_base.Lacks("dma sends all remote mail to one SMARTHOST", _base.Lacks.REFUSED),
    )

    def secret_attributes(self, key):
        # dma runs setgid mail and reads auth.conf through that group (Debian: 0640 root:mail).
        _uid, gid = _common.system_ids(group="mail")
        return (0o640, 0, gid) if gid != -1 else (0o600, -1, -1)

    def write_order(self, key):
        return 1 if key == CONF else 0

    reload_steps = _base.Reload("dma runs for each message and reads its files then")

    def reload_needed(self, changes):
        # dma reads its files for each message: nothing to reload.
        return False


FORMAT = Dma()
