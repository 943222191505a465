# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""File formats of mailops.smtp.connector: one module per format, one registry.

Private to the collection: may change without notice. Standard library only.

The contract: a format is one room
----------------------------------
Everything specific to a file format lives in its module here. _apply.py (plan, diff, lock,
atomic write, rollback), the connector action plugin and module call formats only through
the interface below and never name one; a test checks that.

A format module defines:
  render(connectors, current=None, options=None)   pure: new text ({file key: text or None}
  parse(current, options=None)                     for a directory format), and back to canonical
                                                   connectors; FormatError names the field.
  FORMAT = <subclass of _base.Format>()            the room, with these members:

  name                  the value of the module's format option
  summary               one line for the docs
  directory             True: path is a directory holding files(); False: path is the main file
  default_path          path when the task gives none (None: path is required)
  path_description      how errors name path ("the Postfix configuration directory")
  options               {option name: _base.Option} the format takes beyond the common options;
                        an Option is declared once and shared by every format that takes it
                        (_base.KEYMAP, _base.DEFAULT_CONNECTOR); the module's argument spec is the
                        common options plus option_specs() from here
  capabilities          {capability: True | _base.Lacks(instead, effect)} for every name in
                        _base.CAPABILITY_NAMES: what the program can enforce; Lacks says what it
                        really does instead and whether that is WEAKER (rejected unless the
                        connector's accept_weaker lists it), STRICTER (a warning) or REFUSED
  replaces_whole_file   True: the declaration is the whole file (replaced acts as overridden)
  jinja_option          option naming a Jinja2 template the action plugin renders into the
                        options content and diff_content (None: rendered on the target)
  running_config_hint   what state parsed expects, for its error message

  options_from(params, path)                       -> the options dict render/parse receive
  single_connector(options)                        -> the file holds one connector only
  files(path)                                      -> {file key: absolute path} it owns
  lock_directory(path)                             -> the directory locked during a run
  main_key(path)                                   -> the file the validate command checks
  holds_secret(key, connectors, options)           -> mode 0600 by default
  secret_attributes(key)                           -> (mode, uid, gid) of a secret file when the task
                                                      sets none (the program's reading user or group)
  write_order(key)                                 -> files are written in ascending order
  render_files(connectors, current, options)       -> {key: text or None (remove)}
  redacted_files(connectors, current, options, desired) -> the same for the diff (connectors
                                                      redacted, current masked; _apply masks again)
  parse_files(current, options)                    -> connectors ('_'-prefixed keys are private
                                                      annotations, dropped before output)
  secret_state(declared, actual, parsed)           -> 'changed' | 'unchanged'
  secret_encodings(secret)                         -> the ways the format may write a secret
  inspect(current, options)                        -> extra return values of state gathered
  rendered(connectors, options) / parsed(running, options)   the offline states
  after_remove(step, key, full)  compile(step, files, changed)  check(step)
                                 host steps after a write (step is a _base.Step: host, path,
                                 files, options, result, warn()); an ApplyError rolls every
                                 written file back
  reload_needed(changes)                           -> True/False, or None (no such return value)
  reload(path, options)                            -> _base.Reload: commands, then a service action the
                                                      program needs after a change (the return value
                                                      reload; default reload_steps: restart the app)

_base.Format gives the defaults for a single-file format whose module has render/parse (the
methods render and parse call them); most formats set only name, summary, options,
capabilities and secret_encodings.

To add a format: write the module with render/parse and FORMAT, add its name to NAMES and its
import to _import() below, add its name to the format choices in plugins/modules/connector.py
(DOCUMENTATION), and document its field mapping in docs/formats.md (the capability table there
is generated).

A module run imports only the format of its task (see _import); the registry's other lookups
(option_specs() without a format, check_options, secret_variants) import every format.
"""

from __future__ import annotations

import collections.abc

from ansible_collections.mailops.smtp.plugins.module_utils._formats._base import CAPABILITIES, CAPABILITY_NAMES, ApplyError, Lacks
from ansible_collections.mailops.smtp.plugins.module_utils._formats._common import FormatError

NAMES = ("postfix", "javamail", "msmtp", "env", "json", "yaml", "ini", "template", "exim4", "nullmailer", "dma",
         "opensmtpd", "django", "grafana", "gitea", "gitlab", "nextcloud", "redmine", "mastodon")
"""Every format name, in registry order; the module of each is imported when it is first used."""


def _import(name):
    """The module of format name, imported now.

    One static import per format, inside this function: AnsiballZ ships every module_util an
    import statement names (it reads the whole syntax tree), so the module payload holds every
    format, while a run pays for compiling and importing only the format its task uses.
    """
    # pylint: disable=import-outside-toplevel,too-many-branches,too-many-return-statements
    if name == "postfix":
        from ansible_collections.mailops.smtp.plugins.module_utils._formats import postfix
        return postfix
    if name == "javamail":
        from ansible_collections.mailops.smtp.plugins.module_utils._formats import javamail
        return javamail
    if name == "msmtp":
        from ansible_collections.mailops.smtp.plugins.module_utils._formats import msmtp
        return msmtp
    if name == "env":
        from ansible_collections.mailops.smtp.plugins.module_utils._formats import env
        return env
    if name == "json":
        from ansible_collections.mailops.smtp.plugins.module_utils._formats import jsonfile
        return jsonfile
    if name == "yaml":
        from ansible_collections.mailops.smtp.plugins.module_utils._formats import yamlfile
        return yamlfile
    if name == "ini":
        from ansible_collections.mailops.smtp.plugins.module_utils._formats import inifile
        return inifile
    if name == "template":
        from ansible_collections.mailops.smtp.plugins.module_utils._formats import template
        return template
    if name == "exim4":
        from ansible_collections.mailops.smtp.plugins.module_utils._formats import exim4
        return exim4
    if name == "nullmailer":
        from ansible_collections.mailops.smtp.plugins.module_utils._formats import nullmailer
        return nullmailer
    if name == "dma":
        from ansible_collections.mailops.smtp.plugins.module_utils._formats import dma
        return dma
    if name == "opensmtpd":
        from ansible_collections.mailops.smtp.plugins.module_utils._formats import opensmtpd
        return opensmtpd
    if name == "django":
        from ansible_collections.mailops.smtp.plugins.module_utils._formats import django
        return django
    if name == "grafana":
        from ansible_collections.mailops.smtp.plugins.module_utils._formats import grafana
        return grafana
    if name == "gitea":
        from ansible_collections.mailops.smtp.plugins.module_utils._formats import gitea
        return gitea
    if name == "gitlab":
        from ansible_collections.mailops.smtp.plugins.module_utils._formats import gitlab
        return gitlab
    if name == "nextcloud":
        from ansible_collections.mailops.smtp.plugins.module_utils._formats import nextcloud
        return nextcloud
    if name == "redmine":
        from ansible_collections.mailops.smtp.plugins.module_utils._formats import redmine
        return redmine
    if name == "mastodon":
        from ansible_collections.mailops.smtp.plugins.module_utils._formats import mastodon
        return mastodon
    raise KeyError(name)


def module_of(name):
    """The Python module that implements format name (KeyError for an unknown name)."""
    if name not in NAMES:
        raise KeyError(name)
    return _import(name)


class _Registry(collections.abc.Mapping):
    """{format name: Format}; a format's module is imported on the first lookup of its name.

    Names and membership need no import; iterating over values or items imports every format
    (the controller's docs, tests and checks across formats do that, a module run does not).
    """

    def __init__(self):
        self._loaded = {}

    def __getitem__(self, name):
        if not isinstance(name, str) or name not in NAMES:
            raise KeyError(name)
        if name not in self._loaded:
            fmt = _import(name).FORMAT
            if fmt.name != name:
                raise AssertionError("format module for %s declares the name %s" % (name, fmt.name))
            self._loaded[name] = fmt
        return self._loaded[name]

    def __contains__(self, name):
        return isinstance(name, str) and name in NAMES

    def __iter__(self):
        return iter(NAMES)

    def __len__(self):
        return len(NAMES)


FORMATS = _Registry()
"""{format name: Format}, the registry."""

__all__ = ["FORMATS", "NAMES", "CAPABILITIES", "CAPABILITY_NAMES", "ApplyError", "FormatError", "Lacks",
           "get", "module_of", "render", "parse", "option_specs", "controller_options", "check_options",
           "secret_variants"]


def get(fmt):
    """The Format registered under a name."""
    try:
        return FORMATS[fmt]
    except KeyError:
        raise ApplyError("format: %r is not one of %s" % (fmt, ", ".join(sorted(FORMATS)))) from None


def render(fmt, connectors, current=None, options=None):
    return get(fmt).render(connectors, current, options)


def parse(fmt, current, options=None):
    return get(fmt).parse(current, options)


def _declared_options():
    """{option name: (Option, [format names that take it])}; one Option object per name."""
    out = {}
    for name, fmt in sorted(FORMATS.items()):
        for opt_name, option in fmt.options.items():
            known, takers = out.setdefault(opt_name, (option, []))
            if known is not option and known.spec != option.spec:
                raise AssertionError("option %s is declared differently by formats %s and %s"
                                     % (opt_name, takers[0], name))
            takers.append(name)
    return out


def option_specs(fmt=None):
    """The argument specs of the format options, for the module's argument spec.

    Every format's options merged, or with fmt only that format's (a run the controller has
    checked imports no other format).
    """
    if fmt is not None:
        return dict((name, dict(option.spec)) for name, option in get(fmt).options.items())
    return dict((name, dict(option.spec)) for name, (option, _takers) in _declared_options().items())


def controller_options():
    """Options the action plugin consumes on the controller (never passed to the module)."""
    return tuple(sorted(name for name, (option, _t) in _declared_options().items() if option.controller))


def check_options(fmt, params):
    """Warnings for format options set for a format that does not take them; ApplyError when refused."""
    warnings = []
    for name, (option, takers) in sorted(_declared_options().items()):
        value = params.get(name)
        if fmt in takers or option.controller or value is None or value == option.spec.get("default"):
            continue
        text = "%s: only for format%s %s, not %s" % (name, "s" if len(takers) > 1 else "", ", ".join(takers), fmt)
        if option.refuse_elsewhere:
            raise ApplyError(text)
        warnings.append(text + "; ignored")
    return warnings


def secret_variants(secret):
    """Every way any format may write one secret, for masking text."""
    out = set()
    for fmt in FORMATS.values():
        out.update(fmt.secret_encodings(secret))
    return [v for v in out if v]
