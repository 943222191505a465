# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Format postfix: the relay keys of main.cf plus the lookup tables they point at.

Files, relative to the Postfix configuration directory:
  main.cf            relayhost, SASL, TLS level/wrapper mode/CA/protocols, connect timeout;
                     every other line and comment is kept as it is.
  sasl_passwd        '[host]:port user:password' per relay with auth (secret, mode 0600);
                     with several authenticating connectors also one line per sender
                     address, and smtp_sender_dependent_authentication = yes.
  sender_relay       sender_dependent_relayhost_maps: each sender address of the connectors
                     that are not the default -> their relay.
  tls_policy         smtp_tls_policy_maps: per-relay TLS level, protocols and certificate
                     name, written when several connectors or a tls.server_name need it.
  mailops-smtp.json  the record of what was applied (names, order, senders with display
                     names, and the fields Postfix has no parameter for); no secrets.

Private to the collection: may change without notice. Standard library only.
"""

from __future__ import annotations

import errno
import json
import os
import re

from ansible_collections.mailops.smtp.plugins.module_utils import _model
from ansible_collections.mailops.smtp.plugins.module_utils._formats import _base, _common

MULTI_FILE = True
MAIN_CF = "main.cf"
SASL = "sasl_passwd"
SENDER_RELAY = "sender_relay"
TLS_POLICY = "tls_policy"
SIDECAR = "mailops-smtp.json"
MAP_FILES = (SASL, SENDER_RELAY, TLS_POLICY)
FILES = (MAIN_CF,) + MAP_FILES + (SIDECAR,)
SECRET_FILES = (SASL,)
DEFAULT_DIR = "/etc/postfix"
MAP_TYPES = ("hash", "btree", "lmdb", "cdb", "texthash")
MAP_SUFFIX = {"hash": ".db", "btree": ".db", "lmdb": ".lmdb", "cdb": ".cdb"}
"""The file postmap builds from a table, by map type (texthash is read as text)."""

MANAGED_KEYS = (
    "relayhost", "smtp_sasl_auth_enable", "smtp_sasl_password_maps", "smtp_sasl_security_options",
    "smtp_sasl_tls_security_options", "smtp_sasl_mechanism_filter", "smtp_sender_dependent_authentication",
    "sender_dependent_relayhost_maps", "smtp_tls_security_level", "smtp_tls_wrappermode", "smtp_tls_CAfile",
    "smtp_tls_mandatory_protocols", "smtp_tls_policy_maps", "smtp_connect_timeout",
)

_PROTOCOLS = {"1.2": ">=TLSv1.2", "1.3": ">=TLSv1.3"}
_ENTRY = re.compile(r"^(?P<key>[A-Za-z0-9_]+)\s*=\s?(?P<val>.*)$")


def relay_of(conn):
    host = conn["host"]
    return "[%s]:%d" % (host.rstrip("."), conn["port"])


def _split_relay(text):
    text = text.strip()
    match = re.match(r"^\[(?P<host>[^\]]+)\](?::(?P<port>[0-9]+))?\Z", text)
    if match:
        return match.group("host"), int(match.group("port") or 25)
    match = re.match(r"^(?P<host>[^:\[\]]+)(?::(?P<port>[0-9]+))?\Z", text)
    if match:
        return match.group("host"), int(match.group("port") or 25)
    return None, None


def _level(conn):
    sec = conn.get("security")
    if sec == "none":
        return "none"
    verify = (conn.get("tls") or {}).get("verify", True)
    if sec == "starttls" and conn.get("starttls") == "opportunistic":
        return "may"
    return "secure" if verify else "encrypt"


def _pick_default(conns, options):
    wanted = (options or {}).get("default_connector")
    if not conns:
        return None
    if wanted:
        for conn in conns:
            if conn["name"] == wanted:
                return conn
        raise _common.FormatError("default_connector: %r is not the name of a connector in the result "
                                  "(names: %s)" % (wanted, ", ".join(c["name"] for c in conns)))
    return conns[0]


def _check(conns, default):
    relays = {}
    for index, conn in enumerate(conns):
        relay = relay_of(conn)
        if relay in relays:
            raise _common.FormatError("%s: connectors %r and %r both relay through %s; Postfix picks "
                                      "credentials and TLS policy per relay, so give each its own host or port"
                                      % (_common.pointer(("host",), index), relays[relay], conn["name"], relay),
                                      ("host",))
        relays[relay] = conn["name"]
        if conn.get("security") == "tls" and any(c.get("security") != "tls" for c in conns):
            raise _common.FormatError("%s: implicit TLS (security tls) is a global Postfix setting "
                                      "(smtp_tls_wrappermode); all connectors must then use it"
                                      % _common.pointer(("security",), index), ("security",))
        cafile = (conn.get("tls") or {}).get("ca_file")
        if cafile != (default.get("tls") or {}).get("ca_file") and conn.get("security") != "none":
            raise _common.FormatError("%s: Postfix has one smtp_tls_CAfile; all connectors must use the same "
                                      "tls.ca_file" % _common.pointer(("tls", "ca_file"), index), ("tls", "ca_file"))
        auth = conn.get("auth")
        if auth:
            for field in ("username", "password"):
                val = auth[field]
                if val != val.strip() or "\n" in val or "\r" in val or (field == "username" and ":" in val):
                    raise _common.FormatError("%s: Postfix's sasl_passwd cannot hold a value with a line break, "
                                              "surrounding blanks%s" % (
                                                  _common.pointer(("auth", field), index),
                                                  " or ':'" if field == "username" else ""), ("auth", field))
        if index and conn is not default and not conn.get("senders"):
            raise _common.FormatError("%s: a connector that is not the default relay needs sender addresses"
                                      % _common.pointer(("senders",), index), ("senders",))


def _map_ref(options, name):
    map_type = (options or {}).get("map_type") or "hash"
    config_dir = ((options or {}).get("config_dir") or "/etc/postfix").rstrip("/") or ""
    return "%s:%s/%s" % (map_type, config_dir, name)


def desired_main(conns, options):
    """The main.cf values the connectors need: an ordered list of (key, value)."""
    if not conns:
        return []
    default = _pick_default(conns, options)
    _check(conns, default)
    tls = default.get("tls") or {}
    vals = [("relayhost", relay_of(default))]
    with_auth = [c for c in conns if c.get("auth")]
    if with_auth:
        vals.append(("smtp_sasl_auth_enable", "yes"))
        vals.append(("smtp_sasl_password_maps", _map_ref(options, SASL)))
        plaintext_ok = any(c.get("security") == "none" or c.get("allow_plaintext_auth") for c in with_auth)
        vals.append(("smtp_sasl_security_options", "noanonymous" if plaintext_ok else "noplaintext, noanonymous"))
        vals.append(("smtp_sasl_tls_security_options", "noanonymous"))
        mechs = (default.get("auth") or {}).get("mechanisms")
        if mechs:
            vals.append(("smtp_sasl_mechanism_filter", ", ".join(m.lower() for m in mechs)))
        if len(with_auth) > 1:
            vals.append(("smtp_sender_dependent_authentication", "yes"))
    if len(conns) > 1:
        vals.append(("sender_dependent_relayhost_maps", _map_ref(options, SENDER_RELAY)))
    vals.append(("smtp_tls_security_level", _level(default)))
    if default.get("security") == "tls":
        vals.append(("smtp_tls_wrappermode", "yes"))
    if tls.get("ca_file") and default.get("security") != "none":
        vals.append(("smtp_tls_CAfile", tls["ca_file"]))
    if default.get("security") != "none":
        vals.append(("smtp_tls_mandatory_protocols", _PROTOCOLS[tls.get("min_version", "1.2")]))
    if _needs_policy(conns):
        vals.append(("smtp_tls_policy_maps", _map_ref(options, TLS_POLICY)))
    vals.append(("smtp_connect_timeout", "%ds" % default.get("timeout", 30)))
    return vals


def _needs_policy(conns):
    return len(conns) > 1 or any((c.get("tls") or {}).get("server_name") for c in conns)


def _policy_line(conn):
    parts = [relay_of(conn), _level(conn)]
    tls = conn.get("tls") or {}
    if conn.get("security") != "none":
        parts.append("protocols=%s" % _PROTOCOLS[tls.get("min_version", "1.2")])
    if tls.get("server_name"):
        parts.append("servername=%s" % tls["server_name"])
        if _level(conn) == "secure":
            parts.append("match=%s" % tls["server_name"])
    return " ".join(parts)


def _sidecar(conns, default, previous_files):
    records = []
    for conn in conns:
        rec = _common.order_connector(_model.minimize(_model.redact(conn)))
        if rec.get("auth"):
            rec["auth"] = dict((k, v) for k, v in rec["auth"].items() if k != "password")
        records.append(rec)
    return _common.dumps_json({
        "managed_by": _common.MANAGED_MARK,
        "format": "postfix",
        "default": default["name"] if default else None,
        "files": sorted(previous_files),
        "connectors": records,
    }) + "\n"


def _edit_main(current, desired):
    wanted = dict(desired)
    out = []
    written = set()
    lines = (current or "").splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        match = _ENTRY.match(line)
        end = i + 1
        while end < len(lines) and lines[end][:1] in (" ", "\t") and lines[end].strip() \
                and not lines[end].lstrip().startswith("#"):
            end += 1
        if match and match.group("key") in MANAGED_KEYS:
            key = match.group("key")
            if key in wanted and key not in written:
                out.append("%s = %s" % (key, wanted[key]))
                written.add(key)
            i = end
            continue
        if not (_common.MANAGED_MARK in line and not desired):
            out.extend(lines[i:end] if match else [line])
        i = end if match else i + 1
    while out and not out[-1].strip():
        out.pop()
    new = ["%s = %s" % (k, v) for k, v in desired if k not in written]
    if new:
        if not any(_common.MANAGED_MARK in line for line in out):
            out.append("")
            out.extend(_common.header_lines())
        out.extend(new)
    return "\n".join(out) + "\n" if out else ""


def render(connectors, current=None, options=None):
    """{file name: text, or None for a file that should no longer exist}."""
    current = current or {}
    conns = [_common.canonical(c) for c in connectors]
    _common.check_names(conns)
    default = _pick_default(conns, options)
    desired = desired_main(conns, options)
    previous = set(_read_sidecar(current.get(SIDECAR)).get("files") or [])
    out = {MAIN_CF: _edit_main(current.get(MAIN_CF), desired)}
    with_auth = [c for c in conns if c.get("auth")]
    if with_auth:
        lines = _common.header_lines()
        for conn in with_auth:
            cred = "%s:%s" % (conn["auth"]["username"], conn["auth"]["password"])
            lines.append("%s %s" % (relay_of(conn), cred))
            if len(with_auth) > 1:
                for _purpose, mailbox in sorted((conn.get("senders") or {}).items()):
                    lines.append("%s %s" % (_common.address_of(mailbox), cred))
        out[SASL] = "\n".join(lines) + "\n"
    if len(conns) > 1:
        lines = _common.header_lines()
        for conn in conns:
            if conn is default:
                continue
            for address in sorted(set(_common.address_of(m) for m in conn["senders"].values())):
                lines.append("%s %s" % (address, relay_of(conn)))
        out[SENDER_RELAY] = "\n".join(lines) + "\n"
    if _needs_policy(conns):
        out[TLS_POLICY] = "\n".join(_common.header_lines() + [_policy_line(c) for c in conns]) + "\n"
    for name in MAP_FILES:
        if name not in out and name in previous:
            out[name] = None
    written = set(n for n in MAP_FILES if out.get(n) is not None)
    out[SIDECAR] = _sidecar(conns, default, written) if conns else None
    if not conns and SIDECAR not in current:
        del out[SIDECAR]
    return out


# --- reading back ---

def read_main(text):
    values = {}
    lines = (text or "").splitlines()
    i = 0
    while i < len(lines):
        match = _ENTRY.match(lines[i])
        i += 1
        if not match:
            continue
        value = match.group("val").strip()
        while i < len(lines) and lines[i][:1] in (" ", "\t") and lines[i].strip() \
                and not lines[i].lstrip().startswith("#"):
            value += " " + lines[i].strip()
            i += 1
        values[match.group("key")] = value
    return values


def read_map(text):
    entries = {}
    for line in (text or "").splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        parts = line.strip().split(None, 1)
        entries[parts[0]] = parts[1].strip() if len(parts) > 1 else ""
    return entries


def _read_sidecar(text):
    if not text:
        return {}
    try:
        doc = json.loads(text)
    except ValueError:
        raise _common.FormatError("%s: not valid JSON; remove it to let the next run rewrite it" % SIDECAR) from None
    return doc if isinstance(doc, dict) else {}


def _security_from(level, wrapper):
    if level in ("", "none"):
        return {"security": "none"}
    if wrapper:
        return {"security": "tls", "verify": level not in ("encrypt", "may")}
    if level == "may":
        return {"security": "starttls", "starttls": "opportunistic"}
    return {"security": "starttls", "starttls": "required", "verify": level != "encrypt"}


def _apply_security(pairs, sec):
    pairs.append((("security",), sec["security"]))
    if "starttls" in sec:
        pairs.append((("starttls",), sec["starttls"]))
    if "verify" in sec:
        pairs.append((("tls", "verify"), sec["verify"]))


def _native(files):
    """Per relay: the (path, value) pairs the Postfix files say, and the default relay."""
    main = read_main(files.get(MAIN_CF))
    sasl = read_map(files.get(SASL))
    policy = read_map(files.get(TLS_POLICY))
    found = {}
    default_relay = None
    host, port = _split_relay(main.get("relayhost", ""))
    if host:
        default_relay = "[%s]:%d" % (host, port)
        pairs = [(("host",), host), (("port",), port)]
        wrapper = main.get("smtp_tls_wrappermode", "no").lower() == "yes"
        _apply_security(pairs, _security_from(main.get("smtp_tls_security_level", "").lower(), wrapper))
        if main.get("smtp_tls_CAfile"):
            pairs.append((("tls", "ca_file"), main["smtp_tls_CAfile"]))
        if "TLSv1.3" in main.get("smtp_tls_mandatory_protocols", "") and "1.2" not in main.get(
                "smtp_tls_mandatory_protocols", ""):
            pairs.append((("tls", "min_version"), "1.3"))
        timeout = re.match(r"^([0-9]+)s?$", main.get("smtp_connect_timeout", "30s"))
        if timeout:
            pairs.append((("timeout",), int(timeout.group(1))))
        if main.get("smtp_sasl_mechanism_filter"):
            pairs.append((("auth", "mechanisms"), [m.strip().upper() for m in re.split(
                r"[\s,]+", main["smtp_sasl_mechanism_filter"]) if m.strip()]))
        found[default_relay] = pairs
    for relay, value in policy.items():
        rhost, rport = _split_relay(relay)
        if not rhost:
            continue
        key = "[%s]:%d" % (rhost, rport)
        attrs = value.split()
        pairs = found.setdefault(key, [(("host",), rhost), (("port",), rport)])
        if key != default_relay:
            wrapper = main.get("smtp_tls_wrappermode", "no").lower() == "yes"
            _apply_security(pairs, _security_from(attrs[0].lower() if attrs else "", wrapper))
            if main.get("smtp_tls_CAfile") and attrs and attrs[0].lower() != "none":
                pairs.append((("tls", "ca_file"), main["smtp_tls_CAfile"]))
        for attr in attrs[1:]:
            name, _sep, val = attr.partition("=")
            if name == "servername":
                pairs.append((("tls", "server_name"), val))
            elif name == "protocols" and key != default_relay:
                pairs.append((("tls", "min_version"), "1.3" if "1.2" not in val else "1.2"))
    if main.get("smtp_sasl_auth_enable", "no").lower() == "yes":
        for relay, pairs in found.items():
            cred = sasl.get(relay)
            if cred and ":" in cred:
                user, _sep, password = cred.partition(":")
                pairs.append((("auth", "username"), user))
                pairs.append((("auth", "password"), password))
    return found, default_relay


def parse(files, options=None):
    """Connectors from the Postfix files ({name: text}); main.cf alone is accepted."""
    if isinstance(files, str):
        files = {MAIN_CF: files}
    files = files or {}
    native, default_relay = _native(files)
    sidecar = _read_sidecar(files.get(SIDECAR))
    records = [r for r in sidecar.get("connectors") or [] if isinstance(r, dict) and r.get("name")]
    out = []
    if not records:
        if default_relay:
            pairs = [(("name",), (options or {}).get("default_name") or "relayhost")] + native[default_relay]
            out.append(_common.canonical(_common.unflatten(pairs)))
        return out
    for rec in records:
        conn = _common.canonical(rec)
        if rec["name"] == sidecar.get("default") and default_relay:
            relay = default_relay
        else:
            relay = relay_of(conn)
        pairs = native.get(relay)
        if pairs is None:
            if rec["name"] == sidecar.get("default"):
                continue  # relayhost was removed from main.cf: the connector is gone
            out.append(conn)
            continue
        flat = dict(_common.flatten(conn))
        if isinstance(flat.get(("auth", "username")), str) and not any(p[0] == "auth" for p, _v in pairs):
            for path in list(flat):
                if path[0] == "auth":
                    del flat[path]
        for path, value in pairs:
            if path == ("auth", "mechanisms") and relay != default_relay:
                continue
            if path == ("host",) and isinstance(rec.get("host"), str) and rec["host"].rstrip(".") == value:
                continue  # relayhost is written without the root dot the declaration may carry
            flat[path] = value
        out.append(_common.canonical(_common.unflatten(list(flat.items()))))
    return out


# --- the format's room: files, options and the steps after a write

def _attrs(path):
    try:
        return os.stat(path)
    except OSError:
        return None


class Postfix(_base.DirectoryFormat):
    name = "postfix"
    summary = "Postfix as a relay client: the relay keys of main.cf and the lookup tables they point at"
    file_names = FILES
    secret_files = SECRET_FILES
    main_file = MAIN_CF
    default_path = DEFAULT_DIR
    path_description = "the Postfix configuration directory"
    decided_from_files = False  # compile rebuilds stale lookup tables even when no file changed
    options = {
        "default_connector": _base.DEFAULT_CONNECTOR,
        "postfix_map_type": _base.Option(dict(type="str", default="hash", choices=list(MAP_TYPES))),
        "postmap": _base.Option(dict(type="bool", default=True)),
        "postfix_check": _base.Option(dict(type="bool", default=True)),
    }
    running_config_hint = "a string with main.cf, or a dict of file name -> text"

    def options_from(self, params, path):
        opts = super().options_from(params, path)
        opts["map_type"] = params.get("postfix_map_type") or "hash"
        opts["config_dir"] = path or DEFAULT_DIR
        return opts

    def write_order(self, key):
        # Tables before main.cf, so Postfix never sees a main.cf pointing at a missing table.
        return {MAIN_CF: 1, SIDECAR: 2}.get(key, 0)

    def after_remove(self, step, key, full):
        suffix = MAP_SUFFIX.get(step.options.get("map_type") or "hash")
        if suffix and key in MAP_FILES:
            try:
                os.unlink(full + suffix)
            except OSError as exc:
                if exc.errno != errno.ENOENT:
                    raise _base.ApplyError("%s: cannot remove (%s)" % (full + suffix, exc.strerror or exc)) from None

    def compile(self, step, files, changed):
        """postmap the tables whose compiled file is missing, stale or changed in this run."""
        map_type = step.options.get("map_type") or "hash"
        suffix = MAP_SUFFIX.get(map_type)
        if not suffix or not step.options.get("postmap", True):
            return
        postmap = step.host.which("postmap")
        if not postmap:
            step.warn("postmap not found: Postfix is not installed here, so the %s tables were written but not "
                      "compiled" % map_type)
            return
        for key in MAP_FILES:
            if files.get(key) is None:
                continue
            full = step.files[key]
            src = _attrs(full)
            compiled = _attrs(full + suffix)
            stale = compiled is None or src is None or compiled.st_mtime < src.st_mtime
            if not (stale or key in changed) or src is None:
                continue
            # -c: postmap reads this instance's main.cf (database defaults), not /etc/postfix's.
            rc, out, err = step.host.run([postmap, "-c", step.path, "%s:%s" % (map_type, full)])
            if rc != 0:
                raise _base.ApplyError("postmap %s:%s failed (rc=%d): %s" % (
                    map_type, full, rc, (err or out).strip()[-2000:]))
            try:
                os.chmod(full + suffix, src.st_mode & 0o7777)
            except OSError:
                pass
            step.result["changed"] = True
            step.result.setdefault("postmap", []).append(full)

    def check(self, step):
        """postfix -c <dir> check: a failure rolls the files back, complaints on stderr are warnings."""
        if not step.options.get("postfix_check", True):
            return
        postfix = step.host.which("postfix")
        if not postfix:
            return
        rc, out, err = step.host.run([postfix, "-c", step.path, "check"])
        if rc != 0 or (err or "").strip():
            problems = (err or out or "").strip()
            if rc != 0:
                raise _base.ApplyError("postfix -c %s check failed (rc=%d): %s" % (step.path, rc, problems[-2000:]))
            step.warn("postfix check: %s" % problems[-2000:])
        step.result["postfix_check"] = "passed"

    def reload(self, path, options):
        # Postfix reads main.cf and the compiled tables at start and on reload; an instance of its
        # own configuration directory is reloaded through that directory.
        if os.path.normpath(path) == DEFAULT_DIR:
            return _base.Reload("Postfix reads main.cf at start and on reload", services=["postfix"],
                                action=_base.Reload.RELOADED)
        return _base.Reload("Postfix reads main.cf at start and on reload",
                            commands=[["postfix", "-c", os.path.normpath(path), "reload"]])

    def reload_needed(self, changes):
        return any(c["action"] != "unchanged" and c["key"] != SIDECAR for c in changes)


FORMAT = Postfix()
