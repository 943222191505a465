# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Apply connectors to files: plan -> redacted diff -> locked, atomic write -> validate.

Private to the collection: may change without notice. Standard library plus ansible-core's
module_utils only: this runs on target hosts (mailops.smtp.connector), and the offline
states (rendered, parsed) run from the same code on the controller.

A run on a host imports only what it uses: the format of its task, and the validation
(_validate, _format_rules and every format) only when the action plugin has not vouched for
the arguments (CONTROLLER_CHECK).
"""

from __future__ import annotations

import copy
import errno
import fcntl
import grp
import os
import pwd
import re
import shutil
import stat
import tempfile
import time

from ansible_collections.mailops.smtp.plugins.module_utils import _formats, _model
from ansible_collections.mailops.smtp.plugins.module_utils._formats import _base, _common

STATES = ("replaced", "overridden", "deleted", "gathered", "rendered", "parsed")
WRITE_STATES = ("replaced", "overridden", "deleted")
OFFLINE_STATES = ("rendered", "parsed")
RENDER_STATES = ("replaced", "overridden", "rendered")
"""States that need the new file content (a controller-rendered format renders it for these)."""
SECRET_MODE = 0o600
PLAIN_MODE = 0o644

ApplyError = _base.ApplyError

CONTROLLER_CHECK = "controller_check"
"""The option by which the action plugin vouches for the arguments it checked (their digest)."""


def argument_spec(fmt=None):
    """The module's argument spec, shared by the module and the action plugin (offline states).

    The common options, plus the options the formats declare (_formats.option_specs()); with
    fmt, only that format's options (a run the controller checked: the action plugin passes no
    other format's options).
    """
    spec = dict(
        config=_model.connector_argument_spec(required=False),
        format=dict(type="str", required=True, choices=sorted(_formats.NAMES)),
        path=dict(type="path"),
        state=dict(type="str", default="replaced", choices=list(STATES)),
        running_config=dict(type="raw"),
        backup=dict(type="bool", default=False),
        mode=dict(type="raw"),
        owner=dict(type="str"),
        group=dict(type="str"),
        validate=dict(type="str"),
        lock_timeout=dict(type="int", default=30),
    )
    spec[CONTROLLER_CHECK] = dict(type="str", no_log=True)
    spec.update(_formats.option_specs(fmt))
    return spec


def controller_digest(arguments):
    """The digest the action plugin sends as CONTROLLER_CHECK for the module arguments it checked."""
    return _model.arguments_digest(arguments, skip=(CONTROLLER_CHECK,))


def controller_checked(given):
    """Whether the action plugin checked exactly these module arguments (as the module received them).

    Then the schema, the rules, the format's capabilities and the format options were judged on
    the controller, and the module need not judge them again (nor import what judges them).
    """
    digest = given.get(CONTROLLER_CHECK)
    return (isinstance(digest, str) and given.get("format") in _formats.NAMES
            and digest == controller_digest(given))


def connector_module(blocking):
    """mailops.smtp.connector's AnsibleModule, and whether the controller checked its arguments.

    Unchecked arguments (no action plugin in front, or one that found errors it only warned
    about) pass _validate's door first, exactly as validate judges them; blocking(arguments) as
    in _validate.checked_module.
    """
    # pylint: disable=import-outside-toplevel
    given = _model.given_arguments()
    if controller_checked(given):
        from ansible.module_utils.basic import AnsibleModule
        return AnsibleModule(argument_spec=argument_spec(given["format"]), supports_check_mode=True), True
    from ansible_collections.mailops.smtp.plugins.module_utils._validate import checked_module
    return checked_module(argument_spec(), "config", supports_check_mode=True, blocking=blocking), False


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


def secret_variants(secret):
    """The ways a format may write one secret (escaped, quoted), for masking text."""
    return _formats.secret_variants(secret)


def mask(text, secrets):
    """Text with every secret, in every encoding a format uses, replaced by the redaction marker."""
    if text is None:
        return None
    variants = []
    for secret in secrets:
        if isinstance(secret, str) and secret:
            variants.extend(secret_variants(secret))
    return _model.scrub(text, variants)


def public(conn):
    """A connector without the private '_'-prefixed annotations a format's parse_files may add."""
    return dict((k, v) for k, v in conn.items() if not str(k).startswith("_"))


def report_secrets(declared, current, spec=None):
    """Secret-compare every connector in current against declared, by name.

    Secret fields become 'changed'/'unchanged' when the declared list has a connector of
    the same name, and are dropped otherwise; nothing secret is ever returned. spec (the
    Format) compares the secrets it records in its own way (for example keyed digests).
    """
    by_name = dict((c.get("name"), c) for c in (declared or []) if isinstance(c, dict))
    out = []
    for parsed in current:
        conn = copy.deepcopy(public(parsed))
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
            elif spec is not None:
                node[path[-1]] = spec.secret_state(want, actual, parsed)
            else:
                node[path[-1]] = _model.secret_state(want, actual)
        out.append(conn)
    return out


def capability_warnings(spec, config, state):
    """The capability matrix, checked again on the target: lines to warn; ApplyError when refused.

    The action plugin checks the same on the controller; this keeps a direct call of the
    module (no action plugin in front) from writing what the program cannot enforce.
    """
    # pylint: disable=import-outside-toplevel
    from ansible_collections.mailops.smtp.plugins.module_utils import _format_rules, _rules

    if state not in RENDER_STATES:
        return []
    findings = _format_rules.format_rules(config, spec.name)
    errors = [f for f in findings if f["severity"] == _rules.ERROR]
    if errors:
        raise ApplyError("config cannot be written as format %s, nothing was applied: %s" % (
            spec.name, " | ".join(_rules.finding_line(f, "ERROR") for f in errors)))
    return [_rules.finding_line(f) for f in findings]


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


def _temp_prefix(path):
    return "." + os.path.basename(path) + "."


def remove_stale_temps(paths):
    """Remove the temp files a killed run left next to paths; returns their names.

    Call it only under the directory lock: then no other run is writing one of them.
    """
    removed = []
    for path in paths:
        directory = os.path.dirname(path) or "."
        pattern = re.compile(r"^" + re.escape(_temp_prefix(path)) + r"[A-Za-z0-9_]{8}\.tmp$")
        try:
            names = os.listdir(directory)
        except OSError:
            continue
        for name in sorted(names):
            if pattern.match(name):
                full = os.path.join(directory, name)
                remove_file(full)
                removed.append(full)
    return removed


def resolve_link(path):
    """The file a symlink points to (followed through every level), or path itself.

    A symlinked target is followed: the file the program reads through the link is replaced
    atomically and the link stays. The link's target directory must exist.
    """
    return os.path.realpath(path) if os.path.islink(path) else path


def atomic_write(path, text, mode, uid=-1, gid=-1, validate=None, run_command=None):
    """Write text to a temp file in path's directory, validate it, then rename it over path.

    Nothing is left behind on failure: the temp file is removed and path is untouched. A
    symlink at path is followed (resolve_link).
    """
    path = resolve_link(path)
    directory = os.path.dirname(path) or "."
    try:
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=_temp_prefix(path), suffix=".tmp")
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


# ---------------------------------------------------------------- a format's files

def read_files(spec, path):
    """{file key: text or None} of every file the format owns at path; errors name the path."""
    if spec.directory and not os.path.isdir(path):
        raise ApplyError("%s: not a directory; path is %s for format %s" % (path, spec.path_description, spec.name))
    return dict((key, read_text(full)) for key, full in spec.files(path).items())


def redacted_files(spec, connectors, current, options, desired, secrets):
    """The files as the diff shows them: secrets masked in every encoding."""
    masked_current = dict((k, mask(v, secrets)) for k, v in current.items())
    try:
        redacted = spec.redacted_files(_model.redact(connectors), masked_current, options, desired)
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
    spec = _formats.get(params["format"])
    state = params["state"]
    config = [_common.canonical(c) for c in params.get("config") or []]
    secrets = _model.secret_values(config)
    options = spec.options_from(params, params.get("path") or spec.default_path)
    result = {"changed": False}
    warnings = _formats.check_options(spec.name, params) + capability_warnings(spec, config, state)
    if warnings:
        result["warnings"] = warnings
    if state == "rendered":
        out = spec.rendered(_model.redact(config), options)
        if isinstance(out, dict):
            out = dict((k, mask(v, secrets)) for k, v in out.items() if v is not None)
        else:
            out = mask(out, secrets)
        result["rendered"] = out
        return result
    running = params.get("running_config")
    if running is None:
        raise ApplyError("running_config: state parsed needs the text to parse (%s for format %s)"
                         % (spec.running_config_hint, spec.name))
    result["parsed"] = report_secrets(config, spec.parsed(running, options), spec)
    return result


def apply(params, host, check_mode=False, diff_mode=False, checked=False):
    """replaced / overridden / deleted / gathered on the host. Returns the result dict.

    checked: the controller has judged the format options and capabilities (controller_checked).
    """
    spec = _formats.get(params["format"])
    state = params["state"]
    path = params.get("path") or spec.default_path
    if not path:
        raise ApplyError("path: required for format %s with state %s (%s)" % (spec.name, state, spec.path_description))
    path = os.path.abspath(path)
    config = [_common.canonical(c) for c in params.get("config") or []]
    if state in ("replaced", "overridden") and not config:
        raise ApplyError("config: state %s needs at least one connector" % state)
    warnings = [] if checked else _formats.check_options(spec.name, params) + capability_warnings(spec, config, state)
    options = spec.options_from(params, path)
    result = {"changed": False, "path": path}
    if warnings:
        result["warnings"] = warnings
    if state == "gathered":
        current = read_files(spec, path)
        result["gathered"] = report_secrets(config, spec.parse_files(current, options), spec)
        result.update(spec.inspect(current, options))
        return result

    with DirLock(spec.lock_directory(resolve_link(path)), params.get("lock_timeout", 30)):
        stale = [] if check_mode else remove_stale_temps(resolve_link(full) for full in spec.files(path).values())
        if stale:
            result.setdefault("warnings", []).append(
                "removed %d temporary file(s) left by an interrupted run: %s" % (len(stale), ", ".join(stale)))
        current = read_files(spec, path)
        ids = _ids(params.get("owner"), params.get("group"))
        changes, desired, secrets = decide(spec, params, path, config, options, current, _current_mode, ids,
                                           result, diff_mode)
        step = _base.Step(host, path, spec.files(path), options, result)
        if check_mode:
            return result
        if not result["changed"]:
            spec.compile(step, desired, set())
            return result
        _execute(spec, step, changes, desired, params, secrets)
    return result


def decide(spec, params, path, config, options, current, stat_of, ids, result, diff_mode=False):
    """What a writing state (replaced, overridden, deleted) does to the files: (changes, desired, secrets).

    Pure: it reads nothing itself. current: {file key: text or None} as read_files gives it;
    stat_of(full path): (mode, uid, gid) or None; ids: the (uid, gid) of the owner and group
    options (-1: not set). Fills result with changed, files, connectors, diff (diff_mode),
    mode_notes, reload_needed and reload. The module calls it under the directory lock; the
    action plugin calls it with what one read of the host gave, to tell a run that changes
    nothing without starting the module.
    """
    state = params["state"]
    try:
        current_conns = [public(c) for c in spec.parse_files(current, options)]
    except _common.FormatError as exc:
        raise ApplyError("%s: cannot be read as format %s: %s" % (path, spec.name, exc)) from None
    wanted = merge(current_conns, config, "overridden" if spec.replaces_whole_file and state == "replaced" else state)
    try:
        desired = spec.render_files(wanted, current, options)
    except _common.FormatError as exc:
        if state == "replaced" and len(wanted) > len(config) and current_conns and spec.single_connector(options):
            raise ApplyError("%s; %s holds connector %r, and replaced keeps connectors that are not named: use "
                             "state overridden to replace it" % (exc, path, current_conns[0].get("name"))) from None
        raise
    secrets = _model.secret_values(config) + _model.secret_values(current_conns)
    changes = _plan(spec, path, current, desired, wanted, params, options, stat_of, ids)
    result["files"] = [dict(path=c["path"], action=c["action"]) for c in changes]
    result["changed"] = any(c["action"] != "unchanged" for c in changes)
    result["connectors"] = [c["name"] for c in wanted]
    if diff_mode:
        redacted = redacted_files(spec, wanted, current, options, desired, secrets)
        result["diff"] = [
            {"before_header": c["path"], "after_header": c["path"],
             "before": mask(current.get(c["key"]) or "", secrets),
             "after": redacted.get(c["key"]) or "" if c["action"] != "remove" else ""}
            for c in changes if c["action"] in ("create", "update", "remove")]
    notes = [c["note"] for c in changes if c.get("note")]
    if notes:
        result["mode_notes"] = notes
    reload_needed = spec.reload_needed(changes)
    if reload_needed is not None:
        result["reload_needed"] = reload_needed
    result["reload"] = spec.reload(path, options).result(
        result["changed"] if reload_needed is None else reload_needed)
    return changes, desired, secrets


def _plan(spec, path, current, desired, wanted, params, options, stat_of, ids):
    mode = parse_mode(params.get("mode"))
    uid, gid = ids
    files = spec.files(path)
    directory = path if spec.directory else (os.path.dirname(path) or ".")
    changes = []
    for key, text in desired.items():
        full = files.get(key) or os.path.join(directory, key)
        before = current.get(key)
        secret = spec.holds_secret(key, wanted, options)
        change = {"key": key, "path": full, "text": text, "secret": secret}
        if text is None:
            change["action"] = "remove" if before is not None else "unchanged"
            changes.append(change)
            continue
        existing = stat_of(full)
        secret_mode, secret_uid, secret_gid = spec.secret_attributes(key) if secret else (SECRET_MODE, -1, -1)
        if mode is not None:
            want_mode = mode
        elif secret:
            want_mode = secret_mode
            if existing is None or existing[0] != want_mode:
                change["note"] = "%s: mode %04o because the file holds a secret" % (full, want_mode)
        else:
            want_mode = existing[0] if existing else PLAIN_MODE
        if secret and mode is not None and mode & 0o077:
            change["note"] = "%s: holds a secret but mode %04o lets others read it" % (full, mode)
        file_uid = uid if uid != -1 else secret_uid
        file_gid = gid if gid != -1 else secret_gid
        want_uid = file_uid if file_uid != -1 else (existing[1] if existing else -1)
        want_gid = file_gid if file_gid != -1 else (existing[2] if existing else -1)
        change.update(mode=want_mode, uid=want_uid, gid=want_gid)
        if before is None:
            change["action"] = "create"
        elif before != text:
            change["action"] = "update"
        elif existing and (existing[0] != want_mode or (file_uid != -1 and existing[1] != file_uid)
                           or (file_gid != -1 and existing[2] != file_gid)):
            change["action"] = "attributes"
        else:
            change["action"] = "unchanged"
        changes.append(change)
    changes.sort(key=lambda c: spec.write_order(c["key"]))
    return changes


def _execute(spec, step, changes, desired, params, secrets):
    """Write, remove and re-mode the planned files, then the format's compile and check steps.

    Any ApplyError restores every file this run touched to what it was.
    """
    backups = []
    done = []
    validate = params.get("validate")
    validated = spec.main_key(step.path)
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
                spec.after_remove(step, change["key"], full)
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
            atomic_write(full, change["text"], change["mode"], change["uid"], change["gid"],
                         validate if change["key"] == validated else None, step.host.run)
            done.append((full, previous, prev_attrs))
        spec.compile(step, desired, set(c["key"] for c in changes if c["action"] in ("create", "update")))
        spec.check(step)
    except ApplyError as exc:
        _rollback(done)
        if done:
            _recompile(spec, step, changes)
        raise ApplyError(mask(str(exc), secrets) + (" (changes rolled back)" if done else "")) from None
    if backups:
        step.result["backup_files"] = backups
        step.result["backup_file"] = backups[0]


def _recompile(spec, step, changes):
    """After a rollback, rebuild what the program reads from the restored files (best effort)."""
    restored = dict((key, read_text(full)) for key, full in step.files.items())
    try:
        spec.compile(_base.Step(step.host, step.path, step.files, step.options, {}), restored,
                     set(c["key"] for c in changes if c["action"] != "unchanged"))
    except (ApplyError, OSError):
        pass


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


def run(params, host, check_mode=False, diff_mode=False, checked=False):
    """The whole module: offline states or host states; raises ApplyError with a secret-free message."""
    secrets = _model.secret_values(params.get("config") or [])
    try:
        if params["state"] in OFFLINE_STATES:
            return offline(params)
        return apply(params, host, check_mode=check_mode, diff_mode=diff_mode, checked=checked)
    except _common.FormatError as exc:
        raise ApplyError(mask("format %s: %s" % (params.get("format"), exc), secrets)) from None
    except ApplyError as exc:
        raise ApplyError(mask(str(exc), secrets)) from None
    except OSError as exc:
        raise ApplyError(mask("%s: %s" % (getattr(exc, "filename", None) or params.get("path"),
                                          exc.strerror or exc), secrets)) from None


def run_module(module, checked=False):
    """Entry point of mailops.smtp.connector: returns the result, or fails the module with a clean message."""
    try:
        result = run(module.params, Host(module), check_mode=module.check_mode, diff_mode=module._diff, checked=checked)
    except ApplyError as exc:
        module.fail_json(msg=str(exc))
    except Exception as exc:  # pylint: disable=broad-exception-caught
        # A bug must not print a traceback (which could quote file content): report it plainly.
        module.fail_json(msg=mask("internal error in mailops.smtp.connector (%s): %s; please report it"
                                  % (type(exc).__name__, exc), _model.secret_values(module.params.get("config") or [])))
    for warning in result.pop("warnings", []):
        module.warn(warning)
    return result
