# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The interface every file format implements: class Format, its options and capabilities.

The contract is described in the docstring of the package (_formats/__init__.py) and in
docs/architecture.md. A format module defines a subclass of Format (or FileFormat) and an
instance of it named FORMAT; the registry in _formats/__init__.py lists the modules.

Private to the collection: may change without notice. Standard library only.
"""

from __future__ import annotations

import os
import sys

from ansible_collections.mailops.smtp.plugins.module_utils import _model


class ApplyError(Exception):
    """A failure to report to the user; the message names the path or field and is secret-free."""


# ---------------------------------------------------------------- capabilities

CAPABILITIES = (
    ("implicit_tls", "TLS from the first byte (`security: tls`, port 465)"),
    ("starttls_required", "refuses to send in clear text when the server offers no STARTTLS "
                          "(`security: starttls`, `starttls: required`)"),
    ("starttls_opportunistic", "STARTTLS when offered, clear text otherwise (`starttls: opportunistic`)"),
    ("verify_on", "verifies the server certificate and name where TLS is mandatory (`tls.verify: true`, the default)"),
    ("verify_off", "encrypts without verifying the certificate (`tls.verify: false`)"),
    ("ca_file", "trusts a private CA file (`tls.ca_file`)"),
    ("min_tls_version", "refuses TLS versions below `tls.min_version`"),
    ("auth_mechanisms", "restricts AUTH to the declared `auth.mechanisms`"),
    ("envelope_sender", "sends with the declared sender address as envelope sender (MAIL FROM), "
                        "apart from the header From (`senders.default`)"),
    ("multiple_connectors", "holds several connectors in one file"),
)
"""Every capability a format declares, in table order, with what it means."""

CAPABILITY_NAMES = tuple(name for name, _text in CAPABILITIES)

CONNECTOR_CAPABILITIES = tuple(name for name in CAPABILITY_NAMES if name != "multiple_connectors")
"""The capabilities one connector asks for: the names accept_weaker may list."""


def demands(conn):
    """[(capability, field path)]: what one connector asks the program to enforce.

    Give it the normalized connector (_model.normalize: defaults explicit), so a default asks
    as much as a written value and the path always names the field that carries it.
    Certificate verification is asked for only where TLS is mandatory: with opportunistic
    STARTTLS, whoever can fake a certificate can also strip STARTTLS, so no program verifies there.
    """
    if not isinstance(conn, dict):
        return []
    out = []
    security = conn.get("security", "starttls")
    tls = conn.get("tls") if isinstance(conn.get("tls"), dict) else {}
    auth = conn.get("auth") if isinstance(conn.get("auth"), dict) else {}
    senders = conn.get("senders") if isinstance(conn.get("senders"), dict) else {}
    mandatory = security == "tls"
    if security == "tls":
        out.append(("implicit_tls", ("security",)))
    elif security == "starttls":
        if conn.get("starttls", "required") == "opportunistic":
            out.append(("starttls_opportunistic", ("starttls",)))
        else:
            out.append(("starttls_required", ("starttls",)))
            mandatory = True
    if security in ("starttls", "tls"):
        if tls.get("verify", True) is False:
            out.append(("verify_off", ("tls", "verify")))
        elif mandatory:
            out.append(("verify_on", ("tls", "verify")))
        if tls.get("ca_file"):
            out.append(("ca_file", ("tls", "ca_file")))
        if tls.get("min_version", "1.2") != "1.2":
            # TLS 1.2 is the floor of every TLS stack the formats' programs run on (Python 3.10+,
            # Go 1.18+, OpenSSL 3 as Debian 12 configures it), so only a higher minimum is asked for.
            out.append(("min_tls_version", ("tls", "min_version")))
    if auth.get("mechanisms"):
        out.append(("auth_mechanisms", ("auth", "mechanisms")))
    if senders.get("default"):
        out.append(("envelope_sender", ("senders", "default")))
    return out


class Lacks:
    """A capability the program does not have, and what it really does instead.

    effect says what that means for a connector that asks for it:
      WEAKER    the program enforces less than declared (a security downgrade): the connector is
                rejected unless it lists the capability in accept_weaker; accepted, it is a warning.
      STRICTER  the program enforces more than declared: always a warning, never a rejection.
      REFUSED   the format cannot write it at all: always rejected, accept_weaker does not apply.
    """

    WEAKER = "weaker"
    STRICTER = "stricter"
    REFUSED = "refused"

    def __init__(self, instead, effect=WEAKER):
        if effect not in (self.WEAKER, self.STRICTER, self.REFUSED):
            raise ValueError("effect must be weaker, stricter or refused")
        self.instead = instead
        self.effect = effect

    def __repr__(self):
        return "Lacks(%r, %r)" % (self.instead, self.effect)


EVERYTHING = dict((name, True) for name in CAPABILITY_NAMES)
"""The capabilities of a generic data format: the application that reads it decides."""


# ---------------------------------------------------------------- options

class Option:
    """A module option that only some formats take.

    spec is its Ansible argument spec. Each format that takes the option declares it with the
    same Option (share the instance); the registry merges them into the module's argument spec.
    Set to a value other than its default for a format that does not take it, the option is a
    warning ("ignored"), or an error when refuse_elsewhere is true (a value that would change
    what is written, so ignoring it would write something else than asked).
    controller: the action plugin consumes it on the controller; the module never gets it.
    """

    def __init__(self, spec, refuse_elsewhere=False, controller=False):
        self.spec = spec
        self.refuse_elsewhere = refuse_elsewhere
        self.controller = controller


KEYMAP = Option(dict(type="dict", no_log=False), refuse_elsewhere=True)
DEFAULT_CONNECTOR = Option(dict(type="str"))


# ---------------------------------------------------------------- the steps' view of the host

class Step:
    """What a format's host steps (compile, check, after_remove) may use.

    host: run(argv) -> (rc, out, err) and which(name) -> path or None.
    path: the managed path (a file, or the directory of a directory format).
    files: {file key: absolute path} of the format's files.
    options: the format's options (Format.options_from).
    result: the module result; steps add their documented return values to it.
    """

    def __init__(self, host, path, files, options, result):
        self.host = host
        self.path = path
        self.files = files
        self.options = options
        self.result = result

    def warn(self, message):
        self.result.setdefault("warnings", []).append(message)


# ---------------------------------------------------------------- what makes the program read the files

class Reload:
    """What the program needs after its files changed before it uses them, and why.

    commands: argument lists (no shell) run in order on the host, such as the step that builds the
    program's real configuration (update-exim4.conf) or the program's own reload command.
    services: the service names the program usually runs as; the service manager then applies
    action ('reloaded' or 'restarted') to them. A deployment that names its own service replaces
    them. An empty services with an action means: restart whatever runs the application.
    A Reload with no commands and no action means the program reads its files each time it
    sends, so nothing is ever needed.
    """

    RELOADED = "reloaded"
    RESTARTED = "restarted"

    def __init__(self, why, commands=(), services=(), action=None):
        if action not in (None, self.RELOADED, self.RESTARTED):
            raise ValueError("action must be None, reloaded or restarted")
        self.why = why
        self.commands = tuple(tuple(c) for c in commands)
        self.services = tuple(services)
        self.action = action

    def acts(self):
        """Whether anything is ever needed after a change."""
        return bool(self.commands) or self.action is not None

    def result(self, needed):
        """The module's reload return value."""
        return dict(needed=bool(needed and self.acts()), commands=[list(c) for c in self.commands],
                    services=list(self.services), action=self.action, why=self.why)

    def __repr__(self):
        return "Reload(%r, commands=%r, services=%r, action=%r)" % (self.why, self.commands, self.services, self.action)


APPLICATION_RESTART = Reload("the application reads the file when it starts: restart it (name its service)",
                             action=Reload.RESTARTED)
"""The reload of a generic data format: the application the user wires reads it at start."""


# ---------------------------------------------------------------- the interface

class Format:
    """One file format: everything about it that the apply path needs. See the package docstring."""

    name = None
    """The value of the module's format option."""
    summary = ""
    """One line for the docs: what reads this file."""
    directory = False
    """True: path names a directory holding the format's files; False: path is the one main file."""
    default_path = None
    """The path used when the task gives none (None: path is required)."""
    path_description = "the file to manage"
    options = {}
    """{option name: Option} this format takes besides the common ones."""
    capabilities = EVERYTHING
    """{capability name: True | Lacks(...)} for every name in CAPABILITY_NAMES."""
    replaces_whole_file = False
    """True: the declared connectors are the whole file, so replaced acts as overridden."""
    decided_from_files = True
    """True: whether a writing run changes anything follows from the files' text, mode and owner
    alone: no host step runs when nothing changed (compile) and no system account is looked up
    (secret_attributes). The action plugin may then read the files and skip the module when
    nothing would change. False for a format that needs the host for either."""
    jinja_option = None
    """Name of the option that names a Jinja2 template the action plugin renders into the options
    content (real secrets) and diff_content (secrets masked); None for formats rendered here."""
    running_config_hint = "the file's text as a string"

    # ---- pure text <-> connectors (no I/O); the module-level render/parse of the format module

    def render(self, connectors, current=None, options=None):
        """The new text (or {file key: text or None} for a directory format).

        By default the module-level render() of the module that defines the class.
        """
        return sys.modules[type(self).__module__].render(connectors, current, options)

    def parse(self, current, options=None):
        """The connectors a text (or {file key: text}) holds, canonical, in file order.

        By default the module-level parse() of the module that defines the class.
        """
        return sys.modules[type(self).__module__].parse(current, options)

    def secret_encodings(self, secret):
        """The ways this format may write one secret (escaped, quoted), so output can be masked."""
        return (secret,)

    # ---- options

    def options_from(self, params, path):
        """The options render/parse receive, from the module parameters."""
        opts = dict((name, params.get(name)) for name in self.options)
        opts["path"] = path
        config = params.get("config") or []
        if len(config) == 1 and isinstance(config[0], dict):
            opts["default_name"] = config[0].get("name")
        return opts

    def single_connector(self, options):
        """Whether the file holds one connector only (with these options)."""
        return self.capabilities.get("multiple_connectors") is not True or bool(options.get("keymap"))

    # ---- files

    def files(self, path):
        """{file key: absolute path} of every file the format owns at path."""
        return {os.path.basename(path): path}

    def lock_directory(self, path):
        """The directory locked while the format's files are read and written."""
        return path if self.directory else (os.path.dirname(path) or ".")

    def main_key(self, path):
        """The key of the file that the validate option's command checks."""
        return os.path.basename(path)

    def holds_secret(self, key, connectors, options):
        """Whether the file key holds a secret (then it defaults to mode 0600)."""
        if not any(c.get("auth") for c in connectors):
            return False
        keymap = options.get("keymap")
        if keymap:
            return any(str(f) == "auth.password" for f in keymap)
        return True

    def secret_attributes(self, key):
        """(mode, uid, gid) of a file that holds a secret when the task sets no mode, owner or group.

        A program that reads its secrets as another user than root names that user or group here;
        -1 keeps the file's owner or group (root for a new file).
        """
        return 0o600, -1, -1

    def write_order(self, key):
        """Files are written in ascending order (the rest of a change keeps render order)."""
        return 0

    def render_files(self, connectors, current, options):
        """{file key: new text, or None to remove} for the connector list; current: {key: text or None}."""
        main = os.path.basename(options["path"])
        return {main: self.render(connectors, current.get(main), options)}

    def redacted_files(self, connectors, current, options, desired):
        """The files as the diff shows them: connectors are redacted and current is masked."""
        return self.render_files(connectors, current, options)

    def parse_files(self, current, options):
        """The connectors the files hold; current: {file key: text or None}.

        Keys that start with '_' are private annotations for secret_state; they are dropped
        before anything is returned or written.
        """
        return self.parse(current.get(os.path.basename(options["path"])), options)

    def secret_state(self, declared, actual, parsed):
        """'changed' or 'unchanged': a declared secret against the one read back (parsed: its connector)."""
        return _model.secret_state(declared, actual)

    def inspect(self, current, options):
        """Extra return values of state gathered (for example content drift)."""
        return {}

    # ---- offline states

    def rendered(self, connectors, options):
        """What state rendered shows: the text, or {file key: text} (connectors are redacted)."""
        return self.render(connectors, None, options)

    def parsed(self, running, options):
        """The connectors of running_config (state parsed)."""
        if not isinstance(running, str):
            raise ApplyError("running_config: expected %s for format %s" % (self.running_config_hint, self.name))
        return self.parse(running, options)

    # ---- host steps after a write (raise ApplyError to roll every written file back)

    def after_remove(self, step, key, full):
        """Remove what the program derived from a removed file (for example a compiled table)."""

    def compile(self, step, files, changed):
        """Build what the program reads instead of the text (for example postmap).

        Runs after a write and after a run that changed nothing (to rebuild stale output), never in
        check mode. files: {key: text or None} desired; changed: the keys written in this run.
        """

    def check(self, step):
        """Ask the program whether the written configuration is valid (after a write only)."""

    reload_steps = APPLICATION_RESTART
    """The Reload the program needs after a change (see reload())."""

    def reload(self, path, options):
        """The Reload for the files at path (a format whose steps depend on the path overrides it)."""
        return self.reload_steps

    def reload_needed(self, changes):
        """True/False for the reload_needed return value, or None when the format has none.

        changes: [{"key", "path", "action"}] with action create, update, attributes, remove, unchanged.
        """
        return None


class DirectoryFormat(Format):
    """A format whose path is a directory of named files (postfix, exim4, dma).

    file_names: the files it manages, in the directory; secret_files: those that hold secrets;
    main_file: the one that turns the configuration on. render/parse of the format module take and
    return {file name: text}; parsed also takes the main file's text alone.
    """

    directory = True
    file_names = ()
    secret_files = ()
    main_file = None
    running_config_hint = "the main file's text, or a dict of file name -> text"

    def files(self, path):
        return dict((name, os.path.join(path, name)) for name in self.file_names)

    def main_key(self, path):
        return self.main_file

    def holds_secret(self, key, connectors, options):
        return key in self.secret_files

    def render_files(self, connectors, current, options):
        return self.render(connectors, current, options)

    def parse_files(self, current, options):
        return self.parse(dict((k, v) for k, v in current.items() if v is not None), options)

    def rendered(self, connectors, options):
        return self.render(connectors, {}, options)

    def parsed(self, running, options):
        if not isinstance(running, (str, dict)):
            raise ApplyError("running_config: expected %s for format %s" % (self.running_config_hint, self.name))
        return self.parse(running, options)
