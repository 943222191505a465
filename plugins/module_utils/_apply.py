# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Apply connectors to files: plan -> redacted diff -> locked, atomic write -> validate.

Private to the collection: may change without notice. Standard library plus ansible-core's
module_utils only: this runs on target hosts (mailops.smtp.connector), and the offline
states (rendered, parsed) run from the same code on the controller.
"""

from __future__ import annotations

import copy
import errno
import fcntl
import grp
import json
import os
import pwd
import shutil
import stat
import tempfile
import time

from ansible_collections.mailops.smtp.plugins.module_utils import _formats, _model
from ansible_collections.mailops.smtp.plugins.module_utils._formats import _common
from ansible_collections.mailops.smtp.plugins.module_utils._formats import javamail as _javamail
from ansible_collections.mailops.smtp.plugins.module_utils._formats import msmtp as _msmtp
from ansible_collections.mailops.smtp.plugins.module_utils._formats import postfix as _postfix
from ansible_collections.mailops.smtp.plugins.module_utils._formats import template as _template

STATES = ("replaced", "overridden", "deleted", "gathered", "rendered", "parsed")
WRITE_STATES = ("replaced", "overridden", "deleted")
OFFLINE_STATES = ("rendered", "parsed")
POSTFIX_MAP_TYPES = ("hash", "btree", "lmdb", "cdb", "texthash")
_MAP_SUFFIX = {"hash": ".db", "btree": ".db", "lmdb": ".lmdb", "cdb": ".cdb"}
DEFAULT_POSTFIX_DIR = "/etc/postfix"
SECRET_MODE = 0o600
PLAIN_MODE = 0o644


class ApplyError(Exception):
    """A failure to report to the user; the message names the path or field and is secret-free."""


def argument_spec():
    """The module's argument spec, shared by the module and the action plugin (offline states)."""
    return dict(
        config=_model.connector_argument_spec(required=False),
        format=dict(type="str", required=True, choices=sorted(_formats.FORMATS)),
        path=dict(type="path"),
        state=dict(type="str", default="replaced", choices=list(STATES)),
        template=dict(type="str"),
        content=dict(type="str", no_log=True),
        diff_content=dict(type="str"),
        keymap=dict(type="dict", no_log=False),
        running_config=dict(type="raw"),
        default_connector=dict(type="str"),
        backup=dict(type="bool", default=False),
        mode=dict(type="raw"),
        owner=dict(type="str"),
        group=dict(type="str"),
        validate=dict(type="str"),
        postfix_map_type=dict(type="str", default="hash", choices=list(POSTFIX_MAP_TYPES)),
        postmap=dict(type="bool", default=True),
        postfix_check=dict(type="bool", default=True),
        lock_timeout=dict(type="int", default=30),
    )


# ---------------------------------------------------------------- pure planning

def merge(current, declared, state):
    """The connector list a file should hold after applying state (resource-module semantics)."""
    declared = declared or []
    if state == "overridden":
        return list(declared)
    by_name = dict((c.get("name"), c) for c in declared)
    if state == "deleted":
        if not declared:
            return []
        return [c for c in current if c.get("name") not in by_name]
    out = []
    seen = set()
    for conn in current:
        name = conn.get("name")
        if name in by_name:
            out.append(by_name[name])
            seen.add(name)
        else:
            out.append(conn)
    out.extend(c for c in declared if c.get("name") not in seen)
    return out


def _format_options(params, path=None):
    opts = {
        "keymap": params.get("keymap"),
        "default_connector": params.get("default_connector"),
        "map_type": params.get("postfix_map_type") or "hash",
        "config_dir": path or params.get("path") or DEFAULT_POSTFIX_DIR,
    }
    config = params.get("config") or []
    if len(config) == 1 and isinstance(config[0], dict):
        opts["default_name"] = config[0].get("name")
    return opts


def secret_variants(secret):
    """The ways a format may write one secret (escaped, quoted), for masking text."""
    out = set([secret])
    out.add(_common.dquote(secret)[1:-1])
    out.add(_msmtp._quote(secret).strip('"'))
    out.add(_javamail._escape(secret, False))
    out.add(json.dumps(secret)[1:-1])
    out.add(json.dumps(secret, ensure_ascii=False)[1:-1])
    return [v for v in out if v]


def mask(text, secrets):
    """Text with every secret, in every encoding a format uses, replaced by the redaction marker."""
    if text is None:
        return None
    variants = []
    for secret in secrets:
        if isinstance(secret, str) and secret:
            variants.extend(secret_variants(secret))
    return _model.scrub(text, variants)


def report_secrets(declared, current):
    """Secret-compare every connector in current against declared, by name.

    Secret fields become 'changed'/'unchanged' when the declared list has a connector of
    the same name, and are dropped otherwise; nothing secret is ever returned.
    """
    by_name = dict((c.get("name"), c) for c in (declared or []) if isinstance(c, dict))
    out = []
    for conn in current:
        conn = copy.deepcopy(conn)
        ref = by_name.get(conn.get("name"))
        for path in _model.SECRET_PATHS:
            node = conn
            for key in path[:-1]:
                node = node.get(key) if isinstance(node, dict) else None
            if not isinstance(node, dict) or path[-1] not in node:
                continue
            actual = node[path[-1]]
            want = ref
            for key in path:
                want = want.get(key) if isinstance(want, dict) else None
            if ref is None or want is None:
                del node[path[-1]]
            elif isinstance(actual, str) and actual.startswith(_template.DIGEST_PREFIX):
                node[path[-1]] = (_model.SECRET_UNCHANGED if _template.secret_matches(want, actual, ref.get("_key"))
                                  else _model.SECRET_CHANGED)
            else:
                node[path[-1]] = _model.secret_state(want, actual)
        out.append(conn)
    return out


# ---------------------------------------------------------------- file access

def read_text(path):
    """The text of a file, or None when it does not exist; errors name the path."""
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError as exc:
        if exc.errno == errno.ENOENT:
            return None
        if exc.errno == errno.EISDIR:
            raise ApplyError("%s: is a directory; path must name a file for this format" % path) from None
        raise ApplyError("%s: cannot be read (%s)" % (path, exc.strerror or exc)) from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise ApplyError("%s: is not UTF-8 text" % path) from None


class DirLock:
    """An exclusive flock on a directory: two runs on the same directory cannot interleave."""

    def __init__(self, directory, timeout):
        self.directory = directory
        self.timeout = timeout
        self.fd = None

    def __enter__(self):
        try:
            self.fd = os.open(self.directory, os.O_RDONLY)
        except OSError as exc:
            if exc.errno == errno.ENOENT:
                raise ApplyError("%s: directory does not exist; create it first (ansible.builtin.file "
                                 "state=directory)" % self.directory) from None
            raise ApplyError("%s: cannot be opened (%s)" % (self.directory, exc.strerror)) from None
        deadline = time.time() + max(0, self.timeout)
        while True:
            try:
                fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return self
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                    os.close(self.fd)
                    raise ApplyError("%s: cannot be locked (%s)" % (self.directory, exc.strerror)) from None
                if time.time() >= deadline:
                    os.close(self.fd)
                    raise ApplyError("%s: another run still holds the lock after %d s (lock_timeout)"
                                     % (self.directory, self.timeout)) from None
                time.sleep(0.05)

    def __exit__(self, *exc_info):
        if self.fd is not None:
            fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)
            self.fd = None


def parse_mode(mode):
    if mode is None:
        return None
    if isinstance(mode, int):
        return mode
    text = str(mode).strip()
    try:
        return int(text, 8)
    except ValueError:
        raise ApplyError("mode: %r is not an octal file mode such as '0600' (symbolic modes are not "
                         "supported)" % text) from None


def _ids(owner, group):
    uid = gid = -1
    if owner:
        try:
            uid = pwd.getpwnam(owner).pw_uid if not owner.isdigit() else int(owner)
        except KeyError:
            raise ApplyError("owner: no such user %r" % owner) from None
    if group:
        try:
            gid = grp.getgrnam(group).gr_gid if not group.isdigit() else int(group)
        except KeyError:
            raise ApplyError("group: no such group %r" % group) from None
    return uid, gid


def backup_file(path):
    """Copy path next to itself as '<path>.<pid>.<timestamp>~' and return the copy's name."""
    dest = "%s.%d.%s~" % (path, os.getpid(), time.strftime("%Y-%m-%d@%H:%M:%S"))
    try:
        shutil.copy2(path, dest)
    except OSError as exc:
        raise ApplyError("%s: backup failed (%s)" % (path, getattr(exc, "strerror", None) or exc)) from None
    return dest


def atomic_write(path, text, mode, uid=-1, gid=-1, validate=None, run_command=None):
    """Write text to a temp file in path's directory, validate it, then rename it over path.

    Nothing is left behind on failure: the temp file is removed and path is untouched.
    """
    directory = os.path.dirname(path) or "."
    try:
        fd, tmp = tempfile.mkstemp(dir=directory, prefix="." + os.path.basename(path) + ".", suffix=".tmp")
    except OSError as exc:
        raise ApplyError("%s: cannot write in %s (%s)" % (path, directory, exc.strerror or exc)) from None
    try:
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(text.encode("utf-8"))
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(tmp, mode)
            if uid != -1 or gid != -1:
                os.chown(tmp, uid, gid)
        except OSError as exc:
            raise ApplyError("%s: cannot write (%s)" % (path, exc.strerror or exc)) from None
        if validate:
            if "%s" not in validate:
                raise ApplyError("validate: the command must contain %%s for the new file, got %r" % validate)
            rc, out, err = run_command(validate.replace("%s", tmp))
            if rc != 0:
                raise ApplyError("%s: validation command failed (rc=%d): %s" % (
                    path, rc, (err or out or "").strip()[-2000:]))
        try:
            os.rename(tmp, path)
        except OSError as exc:
            raise ApplyError("%s: cannot replace (%s)" % (path, exc.strerror or exc)) from None
        tmp = None
        try:
            dir_fd = os.open(directory, os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)
        except OSError:
            pass
    finally:
        if tmp and os.path.exists(tmp):
            os.unlink(tmp)


def remove_file(path):
    try:
        os.unlink(path)
    except OSError as exc:
        if exc.errno != errno.ENOENT:
            raise ApplyError("%s: cannot remove (%s)" % (path, exc.strerror or exc)) from None


# ---------------------------------------------------------------- layout per format

class Layout:
    """Where a format's files live: {file key: absolute path}, and which hold secrets."""

    def __init__(self, fmt, path):
        self.fmt = fmt
        self.path = path
        if fmt == "postfix":
            self.directory = path
            self.files = dict((name, os.path.join(path, name)) for name in _postfix.FILES)
            self.main = _postfix.MAIN_CF
        else:
            self.directory = os.path.dirname(path) or "."
            self.main = os.path.basename(path)
            self.files = {self.main: path}
            if fmt == "template":
                self.files[self.main + _template.SIDECAR_SUFFIX] = path + _template.SIDECAR_SUFFIX

    def read(self):
        if self.fmt == "postfix" and not os.path.isdir(self.directory):
            raise ApplyError("%s: not a directory; path is the Postfix configuration directory for format "
                             "postfix" % self.directory)
        return dict((key, read_text(full)) for key, full in self.files.items())

    def parse(self, current, options):
        if self.fmt == "postfix":
            return _postfix.parse(dict((k, v) for k, v in current.items() if v is not None), options)
        if self.fmt == "template":
            doc = _template.read_sidecar(current.get(self.main + _template.SIDECAR_SUFFIX))
            conns = _template.parse(current.get(self.main + _template.SIDECAR_SUFFIX), options)
            for conn in conns:
                conn["_key"] = doc.get("key")
            return conns
        return _formats.parse(self.fmt, current.get(self.main), options)


def _holds_secret(fmt, key, connectors, keymap):
    if fmt == "postfix":
        return key in _postfix.SECRET_FILES
    if fmt == "template":
        return True
    if not any(c.get("auth") for c in connectors):
        return False
    if keymap:
        return any(str(f) == "auth.password" for f in keymap)
    return True


def desired_files(fmt, connectors, current, params, path):
    """{file key: new text or None (remove)} for the connector list."""
    options = _format_options(params, path)
    if fmt == "postfix":
        return _postfix.render(connectors, current, options)
    if fmt == "template":
        main = os.path.basename(path)
        side = main + _template.SIDECAR_SUFFIX
        if not connectors:
            return {main: None, side: None}
        content = params.get("content")
        if content is None:
            raise ApplyError("content: format template needs the rendered template; give template (the action "
                             "plugin renders it on the controller) or content")
        doc = _template.read_sidecar(current.get(side))
        key = doc.get("key") or os.urandom(16).hex()
        return {main: content, side: _template.sidecar(connectors, content, key)}
    main = os.path.basename(path)
    return {main: _formats.render(fmt, connectors, current.get(main), options)}


def _redacted_files(fmt, connectors, current, params, path, desired, secrets):
    """The same files with every secret masked, for the diff."""
    if fmt == "template":
        main = os.path.basename(path)
        out = dict((k, mask(v, secrets)) for k, v in desired.items())
        if params.get("diff_content") is not None and main in desired and desired[main] is not None:
            out[main] = mask(params["diff_content"], secrets)
        return out
    masked_current = dict((k, mask(v, secrets)) for k, v in current.items())
    try:
        redacted = desired_files(fmt, _model.redact(connectors), masked_current, params, path)
    except (_common.FormatError, ApplyError):
        redacted = desired
    return dict((k, mask(v, secrets)) for k, v in redacted.items())


# ---------------------------------------------------------------- the module's work

class Host:
    """The target-side seam: commands and binaries. Tests substitute their own."""

    def __init__(self, module):
        self.module = module

    def run(self, cmd):
        return self.module.run_command(cmd, use_unsafe_shell=False)

    def which(self, name, extra=("/usr/sbin", "/usr/local/sbin", "/sbin")):
        return self.module.get_bin_path(name, required=False, opt_dirs=list(extra))


def _current_mode(path):
    try:
        st = os.stat(path)
    except OSError:
        return None
    return stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid


def offline(params):
    """rendered / parsed: no host access. Returns the result dict."""
    fmt = params["format"]
    state = params["state"]
    config = [_common.canonical(c) for c in params.get("config") or []]
    secrets = _model.secret_values(config)
    options = _format_options(params, params.get("path") or (DEFAULT_POSTFIX_DIR if fmt == "postfix" else None))
    if state == "rendered":
        if fmt == "template":
            text = params.get("diff_content")
            return {"changed": False, "rendered": mask(text, secrets)}
        out = _formats.render(fmt, _model.redact(config), {} if fmt == "postfix" else None, options)
        if isinstance(out, dict):
            out = dict((k, mask(v, secrets)) for k, v in out.items() if v is not None)
        else:
            out = mask(out, secrets)
        return {"changed": False, "rendered": out}
    running = params.get("running_config")
    if running is None:
        raise ApplyError("running_config: state parsed needs the text to parse (a string, or for format postfix "
                         "a string with main.cf or a dict of file name -> text)")
    if fmt == "template":
        parsed = _template.parse(running if isinstance(running, str) else "", options)
    elif fmt == "postfix":
        if not isinstance(running, (str, dict)):
            raise ApplyError("running_config: expected a string or a dict of file name -> text")
        parsed = _postfix.parse(running, options)
    else:
        if not isinstance(running, str):
            raise ApplyError("running_config: expected the file's text as a string for format %s" % fmt)
        parsed = _formats.parse(fmt, running, options)
    return {"changed": False, "parsed": report_secrets(config, parsed)}


def apply(params, host, check_mode=False, diff_mode=False):
    """replaced / overridden / deleted / gathered on the host. Returns the result dict."""
    fmt = params["format"]
    state = params["state"]
    path = params.get("path") or (DEFAULT_POSTFIX_DIR if fmt == "postfix" else None)
    if not path:
        raise ApplyError("path: required for format %s with state %s (the file to manage)" % (fmt, state))
    path = os.path.abspath(path)
    if params.get("keymap") and fmt not in _formats.KEYMAP_FORMATS:
        raise ApplyError("keymap: only for formats %s, not %s" % (", ".join(_formats.KEYMAP_FORMATS), fmt))
    config = [_common.canonical(c) for c in params.get("config") or []]
    if state in ("replaced", "overridden") and not config:
        raise ApplyError("config: state %s needs at least one connector" % state)
    options = _format_options(params, path)
    layout = Layout(fmt, path)
    result = {"changed": False, "path": path}
    if state == "gathered":
        current = layout.read()
        conns = layout.parse(current, options)
        result["gathered"] = [dict((k, v) for k, v in c.items() if k != "_key") for c in report_secrets(
            [dict(c, _key=k.get("_key")) for c, k in _pair_keys(config, conns)], conns)]
        if fmt == "template":
            _template_drift(layout, current, result)
        return result

    with DirLock(layout.directory, params.get("lock_timeout", 30)):
        current = layout.read()
        try:
            current_conns = layout.parse(current, options)
        except _common.FormatError as exc:
            raise ApplyError("%s: cannot be read as format %s: %s" % (path, fmt, exc)) from None
        for conn in current_conns:
            conn.pop("_key", None)
        wanted = merge(current_conns, config, state)
        if fmt == "template" and state in ("replaced", "overridden"):
            wanted = config
        try:
            desired = desired_files(fmt, wanted, current, params, path)
        except _common.FormatError as exc:
            if state == "replaced" and len(wanted) > len(config) and current_conns and \
                    (fmt == "javamail" or params.get("keymap")):
                raise ApplyError("%s; %s holds connector %r, and replaced keeps connectors that are not named: use "
                                 "state overridden to replace it" % (exc, path, current_conns[0].get("name"))) from None
            raise
        secrets = _model.secret_values(config) + _model.secret_values(current_conns)
        changes = _plan(fmt, layout, current, desired, wanted, params)
        result["files"] = [dict(path=c["path"], action=c["action"]) for c in changes]
        result["changed"] = any(c["action"] != "unchanged" for c in changes)
        result["connectors"] = [c["name"] for c in wanted]
        if diff_mode:
            redacted = _redacted_files(fmt, wanted, current, params, path, desired, secrets)
            result["diff"] = [
                {"before_header": c["path"], "after_header": c["path"],
                 "before": mask(current.get(c["key"]) or "", secrets),
                 "after": redacted.get(c["key"]) or "" if c["action"] != "remove" else ""}
                for c in changes if c["action"] in ("create", "update", "remove")]
        notes = [c["note"] for c in changes if c.get("note")]
        if notes:
            result["mode_notes"] = notes
        if fmt == "postfix":
            result["reload_needed"] = any(c["action"] != "unchanged" and c["key"] != _postfix.SIDECAR
                                          for c in changes)
        if check_mode or not result["changed"]:
            if fmt == "postfix" and not check_mode:
                _postmap_all(layout, desired, params, host, result, set())
            return result
        _execute(fmt, layout, changes, params, host, result, secrets)
    return result


def _pair_keys(config, conns):
    keys = dict((c.get("name"), c.get("_key")) for c in conns)
    return [(c, {"_key": keys.get(c.get("name"))}) for c in config]


def _template_drift(layout, current, result):
    side = current.get(layout.main + _template.SIDECAR_SUFFIX)
    doc = _template.read_sidecar(side)
    content = current.get(layout.main)
    if doc and content is not None and doc.get("key"):
        digest = _template.DIGEST_PREFIX + _model.keyed_digest(content, doc["key"])
        result["content_drift"] = _model.secret_state(digest, doc.get("content_digest")) == _model.SECRET_CHANGED
    elif doc:
        result["content_drift"] = True


def _plan(fmt, layout, current, desired, wanted, params):
    mode = parse_mode(params.get("mode"))
    uid, gid = _ids(params.get("owner"), params.get("group"))
    changes = []
    for key, text in desired.items():
        full = layout.files.get(key) or os.path.join(layout.directory, key)
        before = current.get(key)
        secret = _holds_secret(fmt, key, wanted, params.get("keymap"))
        if fmt == "template" and key.endswith(_template.SIDECAR_SUFFIX):
            secret = True
        change = {"key": key, "path": full, "text": text, "secret": secret}
        if text is None:
            change["action"] = "remove" if before is not None else "unchanged"
            changes.append(change)
            continue
        existing = _current_mode(full)
        if mode is not None:
            want_mode = mode
        elif secret:
            want_mode = SECRET_MODE
            if existing is None or existing[0] != SECRET_MODE:
                change["note"] = "%s: mode 0600 because the file holds a secret" % full
        else:
            want_mode = existing[0] if existing else PLAIN_MODE
        if secret and mode is not None and mode & 0o077:
            change["note"] = "%s: holds a secret but mode %04o lets others read it" % (full, mode)
        want_uid = uid if uid != -1 else (existing[1] if existing else -1)
        want_gid = gid if gid != -1 else (existing[2] if existing else -1)
        change.update(mode=want_mode, uid=want_uid, gid=want_gid)
        if before is None:
            change["action"] = "create"
        elif before != text:
            change["action"] = "update"
        elif existing and (existing[0] != want_mode or (uid != -1 and existing[1] != uid)
                           or (gid != -1 and existing[2] != gid)):
            change["action"] = "attributes"
        else:
            change["action"] = "unchanged"
        changes.append(change)
    # Write lookup tables before main.cf, so Postfix never sees a main.cf pointing at a missing table.
    order = {_postfix.MAIN_CF: 1, _postfix.SIDECAR: 2}
    changes.sort(key=lambda c: order.get(c["key"], 0) if fmt == "postfix" else 0)
    return changes


def _execute(fmt, layout, changes, params, host, result, secrets):
    backups = []
    done = []
    validate = params.get("validate")
    try:
        for change in changes:
            action = change["action"]
            full = change["path"]
            if action == "unchanged":
                continue
            if params.get("backup") and action in ("update", "remove", "attributes") and os.path.exists(full):
                backups.append(backup_file(full))
            if action == "remove":
                previous = read_text(full)
                attrs = _current_mode(full)
                remove_file(full)
                done.append((full, previous, attrs))
                if fmt == "postfix":
                    _remove_map_db(full, params)
                continue
            if action == "attributes":
                try:
                    os.chmod(full, change["mode"])
                    if change["uid"] != -1 or change["gid"] != -1:
                        os.chown(full, change["uid"], change["gid"])
                except OSError as exc:
                    raise ApplyError("%s: cannot change mode or owner (%s)" % (full, exc.strerror)) from None
                continue
            previous = read_text(full)
            prev_attrs = _current_mode(full)
            use_validate = validate if (fmt != "postfix" or change["key"] == _postfix.MAIN_CF) else None
            atomic_write(full, change["text"], change["mode"], change["uid"], change["gid"],
                         use_validate, host.run)
            done.append((full, previous, prev_attrs))
        if fmt == "postfix":
            changed_maps = set(c["key"] for c in changes if c["action"] in ("create", "update"))
            _postmap_all(layout, dict((c["key"], c["text"]) for c in changes), params, host, result, changed_maps)
            _postfix_check(layout, params, host, result)
    except ApplyError as exc:
        _rollback(done)
        raise ApplyError(mask(str(exc), secrets) + (" (changes rolled back)" if done else "")) from None
    if backups:
        result["backup_files"] = backups
        result["backup_file"] = backups[0]


def _rollback(done):
    for full, previous, attrs in reversed(done):
        try:
            if previous is None:
                remove_file(full)
            else:
                atomic_write(full, previous, attrs[0] if attrs else SECRET_MODE,
                             attrs[1] if attrs else -1, attrs[2] if attrs else -1)
        except ApplyError:
            pass


def _remove_map_db(full, params):
    suffix = _MAP_SUFFIX.get(params.get("postfix_map_type") or "hash")
    if suffix and os.path.basename(full) in _postfix.MAP_FILES:
        remove_file(full + suffix)


def _postmap_all(layout, desired, params, host, result, changed):
    """Compile the hash-type lookup tables with postmap when Postfix is installed."""
    map_type = params.get("postfix_map_type") or "hash"
    suffix = _MAP_SUFFIX.get(map_type)
    if not suffix or not params.get("postmap", True):
        return
    postmap = host.which("postmap")
    if not postmap:
        result.setdefault("warnings", []).append(
            "postmap not found: Postfix is not installed here, so the %s tables were written but not compiled"
            % map_type)
        return
    for key in _postfix.MAP_FILES:
        if desired.get(key) is None:
            continue
        full = layout.files[key]
        src = _current_mode(full)
        try:
            db_mtime = os.stat(full + suffix).st_mtime
            stale = db_mtime < os.stat(full).st_mtime
        except OSError:
            stale = True
        if not (stale or key in changed) or src is None:
            continue
        # -c: postmap reads the main.cf of the directory it compiles for (the one just written),
        # not the system's, which may be another instance's or not exist at all.
        rc, out, err = host.run([postmap, "-c", layout.directory, "%s:%s" % (map_type, full)])
        if rc != 0:
            raise ApplyError("postmap %s:%s failed (rc=%d): %s" % (map_type, full, rc, (err or out).strip()[-2000:]))
        try:
            os.chmod(full + suffix, src[0])
        except OSError:
            pass
        result["changed"] = True
        result.setdefault("postmap", []).append(full)


def _postfix_check(layout, params, host, result):
    if not params.get("postfix_check", True):
        return
    postfix = host.which("postfix")
    if not postfix:
        return
    rc, out, err = host.run([postfix, "-c", layout.directory, "check"])
    if rc != 0 or (err or "").strip():
        problems = (err or out or "").strip()
        if rc != 0:
            raise ApplyError("postfix -c %s check failed (rc=%d): %s" % (layout.directory, rc, problems[-2000:]))
        result.setdefault("warnings", []).append("postfix check: %s" % problems[-2000:])
    result["postfix_check"] = "passed"


def run(params, host, check_mode=False, diff_mode=False):
    """The whole module: offline states or host states; raises ApplyError with a secret-free message."""
    secrets = _model.secret_values(params.get("config") or [])
    try:
        if params["state"] in OFFLINE_STATES:
            return offline(params)
        return apply(params, host, check_mode=check_mode, diff_mode=diff_mode)
    except _common.FormatError as exc:
        raise ApplyError(mask("format %s: %s" % (params.get("format"), exc), secrets)) from None
    except ApplyError as exc:
        raise ApplyError(mask(str(exc), secrets)) from None
    except OSError as exc:
        raise ApplyError(mask("%s: %s" % (getattr(exc, "filename", None) or params.get("path"),
                                          exc.strerror or exc), secrets)) from None


def run_module(module):
    """Entry point of mailops.smtp.connector: returns the result, or fails the module with a clean message."""
    try:
        result = run(module.params, Host(module), check_mode=module.check_mode, diff_mode=module._diff)
    except ApplyError as exc:
        module.fail_json(msg=str(exc))
    except Exception as exc:  # pylint: disable=broad-exception-caught
        # A bug must not print a traceback (which could quote file content): report it plainly.
        module.fail_json(msg=mask("internal error in mailops.smtp.connector (%s): %s; please report it"
                                  % (type(exc).__name__, exc), _model.secret_values(module.params.get("config") or [])))
    for warning in result.pop("warnings", []):
        module.warn(warning)
    return result
