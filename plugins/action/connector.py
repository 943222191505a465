# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Controller side of mailops.smtp.connector: validate config, render templates, run offline states."""

from __future__ import annotations

import os

from ansible.errors import AnsibleActionFail, AnsibleError
from ansible.module_utils.common.parameters import remove_values
from ansible.plugins.action import ActionBase
from ansible.utils.display import Display

from ansible_collections.mailops.smtp.plugins.module_utils import _apply, _formats, _model
from ansible_collections.mailops.smtp.plugins.module_utils._formats import _common
from ansible_collections.mailops.smtp.plugins.plugin_utils import _file_create, _file_read
from ansible_collections.mailops.smtp.plugins.plugin_utils._host_python import interpreter_of

try:
    from ansible.template import trust_as_template
    _LEGACY_TEMPLAR = False
except ImportError:  # ansible-core < 2.19 trusts template text as it is
    _LEGACY_TEMPLAR = True

    def trust_as_template(value):
        return value

try:
    from ansible_collections.mailops.smtp.plugins.module_utils import _validate
    from ansible_collections.mailops.smtp.plugins.module_utils._format_rules import validate_connectors
    from ansible_collections.mailops.smtp.plugins.module_utils._validate import HAS_JSONSCHEMA, format_findings
except ImportError:  # pragma: no cover - the collection always ships _validate
    HAS_JSONSCHEMA = False
    _validate = format_findings = validate_connectors = None

MODULE = "mailops.smtp.connector"
MSG_LIMIT = 20
display = Display()

# Ansible imports an action plugin in its main process, before it forks a worker for each host
# and task: what is loaded and compiled here is done once per run, not once per host.
_FORMATS_LOADED = tuple(_formats.FORMATS.values())
if _validate is not None:
    _validate.prepare()


def _strip_none(value):
    """Drop keys whose value is None (options the user did not set), recursively."""
    if isinstance(value, dict):
        return dict((k, _strip_none(v)) for k, v in value.items() if v is not None)
    if isinstance(value, list):
        return [_strip_none(v) for v in value]
    return value


def _merge_warnings(result, controller, module_result):
    """The controller's warnings, then the module's that say something else (it checks the format's rules again)."""
    merged = list(controller) + [w for w in module_result.get("warnings", []) if w not in controller]
    if merged:
        result["warnings"] = merged


class ActionModule(ActionBase):
    TRANSFERS_FILES = False

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super().run(tmp, task_vars)
        del tmp
        raw_config = self._task.args.get("config")
        secrets = _model.secret_values(raw_config if isinstance(raw_config, list) else [])
        try:
            return self._run(result, task_vars, secrets)
        except AnsibleActionFail as exc:
            result.update(failed=True, msg=_model.scrub(str(exc), secrets))
        except _apply.ApplyError as exc:
            result.update(failed=True, msg=str(exc))
        except AnsibleError as exc:
            result.update(failed=True, msg=_apply.mask(str(exc), secrets))
        except Exception as exc:  # pylint: disable=broad-exception-caught
            result.update(failed=True, msg=_apply.mask("internal error in %s (%s): %s; please report it"
                                                       % (MODULE, type(exc).__name__, exc), secrets))
        return result

    def _run(self, result, task_vars, secrets):
        raw_config = self._task.args.get("config")
        writing = self._task.args.get("state", "replaced") in ("replaced", "overridden", "rendered")
        first = None
        if isinstance(raw_config, list) and writing:
            # The rules first: Ansible's argument spec would report an unknown key or a wrong type
            # without the rule id and JSON pointer, and stop at the first one.
            fmt = self._task.args.get("format")
            first = (fmt, self._report(_model.plain_data(raw_config), fmt if fmt in _formats.FORMATS else None))
            findings = self._findings(first[1], secrets, blocking=True)
            if findings.get("failed"):
                result.update(findings)
                return result
        _spec, params = self.validate_argument_spec(argument_spec=_apply.argument_spec())
        params = _model.plain_data(params)
        config = [_strip_none(c) for c in params.get("config") or []]
        secrets = secrets + _model.secret_values(config)

        spec = _formats.get(params["format"])
        state = params["state"]
        clean = True
        if config:
            # Validate what the user wrote, not the argument spec's view of it (which fills in
            # defaults such as starttls for security none and would draw spurious warnings).
            report = first[1] if first and first[0] == spec.name else None
            if report is None:
                report = self._report(_model.plain_data(self._task.args.get("config")), spec.name)
            result.update(self._findings(report, secrets, blocking=state in _apply.RENDER_STATES))
            if result.get("failed"):
                return result
            clean = not report["errors"]

        module_args = dict(self._task.args)
        for name in _formats.controller_options() + (_apply.CONTROLLER_CHECK,):
            module_args.pop(name, None)
        if spec.jinja_option and state in _apply.RENDER_STATES:
            content, diff_content = self._render_jinja(spec, params, config, task_vars, secrets)
            module_args["content"] = content
            module_args["diff_content"] = diff_content
            params = dict(params, content=content, diff_content=diff_content)

        if state in _apply.OFFLINE_STATES:
            params = dict(params, config=config)
            warnings = result.get("warnings", [])
            offline = _apply.run(params, host=None)
            result.update(offline)
            _merge_warnings(result, warnings, offline)
            return result

        # The format options are judged here, and the module gets only those of its format.
        option_warnings = _formats.check_options(spec.name, params)
        if option_warnings:
            result["warnings"] = result.get("warnings", []) + option_warnings
        for name in _formats.option_specs():
            if name not in spec.options:
                module_args.pop(name, None)
        if clean:
            # Nothing to refuse was found: the module need not check the same arguments again.
            digest = _apply.controller_digest(module_args)
            if digest:
                module_args[_apply.CONTROLLER_CHECK] = digest
            # The module would judge nothing again (the digest): what it would change follows from the files.
            unchanged = self._unchanged(spec, params, task_vars, secrets) if digest else None
            if unchanged is not None:
                warnings = result.get("warnings", [])
                result.update(unchanged)
                _merge_warnings(result, warnings, unchanged)
                return result
        module_result = self._execute_module(module_name=MODULE, module_args=module_args, task_vars=task_vars)
        warnings = result.get("warnings", [])
        result.update(module_result)
        _merge_warnings(result, warnings, module_result)
        if result.get("msg"):
            result["msg"] = _apply.mask(result["msg"], secrets)
        return result

    def _unchanged(self, spec, params, task_vars, secrets):
        """The module's result for a writing run that changes nothing, decided from one read of the
        files on the host (_file_read), or None: then the module runs, as it always did.

        Only where the format's decision needs nothing from the host but the files
        (decided_from_files), on a POSIX shell with a known Python, not delegated, not async.
        """
        path = params.get("path") or spec.default_path
        if (params["state"] not in ("replaced", "overridden") or not spec.decided_from_files or not path
                or not os.path.isabs(path) or self._task.delegate_to or self._task.async_val
                or getattr(self._connection._shell, "SHELL_FAMILY", None) != "sh"):  # pylint: disable=protected-access
            return None
        interpreter = interpreter_of(task_vars, self._templar.template)
        if interpreter is None:
            return None
        path = os.path.normpath(path)
        files = spec.files(path)
        paths = sorted(set(files.values()))
        try:
            out = self._low_level_execute_command(_file_read.command(interpreter, paths, params.get("owner"),
                                                                     params.get("group"), path))
            if out.get("rc") != 0:
                raise _file_read.Unreadable("the reader failed")
            texts, stats, ids, info = _file_read.parse(out.get("stdout", ""), paths)
            config = [_common.canonical(c) for c in params.get("config") or []]
            result = {"changed": False, "path": path}
            changes = _apply.decide(spec, params, path, config, spec.options_from(params, path),
                                    dict((key, texts[full]) for key, full in files.items()), stats.get, ids, result,
                                    diff_mode=bool(self._task.diff))[0]
            done = self._settled(spec, params, path, interpreter, changes, result, info)
        except Exception as exc:  # pylint: disable=broad-exception-caught
            # Whatever went wrong (an unclean read, a file the format cannot parse, the connection),
            # the module decides, and reports it in its own words.
            display.vvv("%s: the module decides (%s)" % (MODULE, type(exc).__name__), host=self._play_context.remote_addr)
            return None
        if not done:
            return None
        return remove_values(result, set(secrets))

    def _settled(self, spec, params, path, interpreter, changes, result, info):
        """Whether the run is done without the module: nothing to change, check mode, or a first apply
        that one more command carried out (_file_create). False: the module runs.

        info: the facts ansible-core adds to a module's result about its path (mode, owner, size...),
        as the read found them; a first apply adds them as the created files have them.
        """
        host = self._play_context.remote_addr
        if not result["changed"]:
            display.vvv("%s: nothing to change in %s, as one read of the files showed: the module did not run"
                        % (MODULE, path), host=host)
            result.update(info)
            return True
        if self._task.check_mode:
            display.vvv("%s: check mode, what would change in %s follows from one read of the files: the module "
                        "did not run" % (MODULE, path), host=host)
            result.update(info)
            return True
        # Only new files, written as the module writes them: no validate command to run on them, and
        # no become (its password prompt and the files' contents would share standard input).
        if (any(c["action"] not in ("create", "unchanged") for c in changes) or params.get("validate")
                or self._play_context.become):
            return False
        out = self._low_level_execute_command(
            _file_create.command(interpreter),
            in_data=_file_create.request(spec.lock_directory(path), params.get("lock_timeout", 30), changes, path))
        facts, why = _file_create.created(out.get("stdout", "")) if out.get("rc") == 0 else (None, "the program failed")
        if facts is None:
            display.vvv("%s: the module writes %s (%s)" % (MODULE, path, why), host=host)
            return False
        display.vvv("%s: created %s after one read of the files showed none: the module did not run"
                    % (MODULE, path), host=host)
        result.update(facts)
        return True

    @staticmethod
    def _report(config, fmt):
        """validate_connectors' report of config for format fmt, or None without jsonschema."""
        if not HAS_JSONSCHEMA or validate_connectors is None:
            return None
        return validate_connectors(config, fmt=fmt)

    @staticmethod
    def _findings(report, secrets, blocking):
        """Controller-side validation: a dict to merge into the result.

        States that write (or render) settings fail on errors; states that only read or remove
        (gathered, parsed, deleted) report them as warnings, so a bad declaration can still be
        compared with a host or cleaned up.
        """
        if report is None:
            return {"failed": True, "msg": "%s needs the Python library jsonschema on the controller to validate "
                                           "config: pip install 'jsonschema>=4.18'" % MODULE}
        out = {}
        if report["warnings"]:
            out["warnings"] = [_apply.mask(line, secrets)
                               for line in format_findings({"warnings": report["warnings"]}, with_level=False)]
        if report["errors"] and not blocking:
            out.setdefault("warnings", []).extend(
                _apply.mask(line, secrets) for line in format_findings({"errors": report["errors"]}, with_level=True))
        elif report["errors"]:
            lines = format_findings(report, limit=MSG_LIMIT)
            out.update(failed=True, validation_errors=report["errors"],
                       msg=_apply.mask("config is not valid, nothing was applied: %d error(s): %s"
                                       % (len(report["errors"]), " | ".join(lines)), secrets))
        return out

    def _render_jinja(self, spec, params, config, task_vars, secrets):
        """The format's Jinja2 template rendered twice: with the secrets, and with them masked for the diff."""
        option = spec.jinja_option
        source = params.get(option)
        if not source:
            if params.get("content") is not None:
                return params["content"], params.get("diff_content")
            raise AnsibleActionFail("%s: format %s needs a Jinja2 template (or content)" % (option, spec.name))
        try:
            path = self._find_needle("templates", source)
            text = self._loader.get_text_file_contents(path) if hasattr(self._loader, "get_text_file_contents") \
                else self._loader._get_file_contents(path)[0].decode("utf-8")
        except AnsibleError as exc:
            raise AnsibleActionFail("%s: %s cannot be read: %s" % (option, source, exc)) from None
        normalized = [_common.canonical(c) for c in config]

        def render(connectors):
            variables = dict(task_vars)
            variables["connectors"] = connectors
            variables["connector"] = connectors[0] if connectors else {}
            if _LEGACY_TEMPLAR:
                templar = self._templar.copy_with_new_env()
                templar.available_variables = variables
            else:
                templar = self._templar.copy_with_new_env(available_variables=variables)
            try:
                return templar.template(trust_as_template(text), escape_backslashes=False)
            except AnsibleError as exc:
                raise AnsibleActionFail("%s %s: rendering failed: %s" % (option, source, _apply.mask(str(exc), secrets))) from None

        content = render(normalized)
        diff_content = render(_model.redact(normalized))
        return str(content), _apply.mask(str(diff_content), secrets)
