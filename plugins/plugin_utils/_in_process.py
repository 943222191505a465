# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Run a check module in the worker process when the module would run there anyway.

Private to the collection: may change without notice.

A check task whose module runs on the controller (a local connection, the controller's own
Python, no become, no environment, not async) would start that same Python in a new process:
ansible-core builds the module's AnsiballZ payload (an AST pass over every file the module imports),
the new process compiles those files again from the zip, and imports ansible's module_utils. At a
few hundred connectors that is a third of a probe's time beyond the checks themselves.

This runs the module's own main() in the worker instead, through the same protocol:
- the arguments are what ansible-core would send (its _update_module_args adds the same internal
  keys), encoded as ansible-core encodes them, and read by the module's AnsibleModule;
- the module prints its result and exits as it always does; the printed JSON goes through the
  action's own _parse_returned_data and internal-key cleanup, as a module's output does.
So the result, its warnings, the invocation and no_log masking are the module's, on every supported
ansible-core. What it does not do is said in docs/checks.md (its journal entry comes from the
worker's process, and nothing is written under remote_tmp).

Whenever the module would not run as the controller's Python in the controller's environment, or
the task's variable mailops_smtp_in_process is false, the module runs as usual.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import json
import traceback

from ansible import constants as C
from ansible.errors import AnsibleError
from ansible.module_utils import basic
from ansible.module_utils.common import warnings as module_warnings
from ansible.module_utils.parsing.convert_bool import boolean

try:  # ansible-core >= 2.19: serialization profiles, and module_utils that know where they run
    from ansible.module_utils import _internal as module_utils_internal
    from ansible.module_utils.common.json import Direction, get_module_encoder
    PROFILE = "legacy"
    ENCODING = {"cls": get_module_encoder(PROFILE, Direction.CONTROLLER_TO_MODULE)}
except ImportError:  # ansible-core 2.18
    from ansible.module_utils.common.json import AnsibleJSONEncoder
    module_utils_internal = None
    PROFILE = None
    ENCODING = {"cls": AnsibleJSONEncoder, "vault_to_text": True}
# ENCODING: how ansible-core encodes a module's arguments (executor/module_common.py) for the profile
# our modules declare (none, so "legacy").

try:
    from ansible.vars.clean import remove_internal_keys
except ImportError:  # ansible-core >= 2.21: the parsed result cleans itself (UnifiedTaskResult)
    remove_internal_keys = None

from ansible_collections.mailops.smtp.plugins.plugin_utils._host_python import interpreter_of, is_controller_python

SWITCH = "mailops_smtp_in_process"
"""The variable that turns this off for a host or a task (default: on)."""


def python_module_name(fqcn):
    """The import name of a collection module: mailops.smtp.probe -> ansible_collections.mailops.smtp.plugins.modules.probe."""
    namespace, collection, name = fqcn.split(".")
    return "ansible_collections.%s.%s.plugins.modules.%s" % (namespace, collection, name)


def preload(fqcn):
    """Import the module's code, so that workers forked afterwards find it (and what it imports) loaded."""
    try:
        return importlib.import_module(python_module_name(fqcn))
    except Exception:  # pylint: disable=broad-exception-caught  # the module then runs as usual, and says why
        return None


def reason_not(action, task_vars):
    """Why the module must run as a module for this task (a short phrase), or None when it can run here."""
    task_vars = task_vars or {}
    switch = task_vars.get(SWITCH, True)
    try:
        if isinstance(switch, str) and "{" in switch:
            switch = action._templar.template(switch)
        if not boolean(switch, strict=True):
            return "%s is false" % SWITCH
    except (TypeError, AnsibleError):
        return "%s is not a boolean" % SWITCH
    if action._connection.transport != "local":
        return "the connection is not local"
    if action._play_context.become:
        return "become is set"
    if action._task.async_val:
        return "the task is async"
    if C.DEFAULT_KEEP_REMOTE_FILES:
        return "keep_remote_files is set"
    try:
        if action._compute_environment_string():
            return "the task sets an environment"
    except AnsibleError:
        return "the task's environment is not valid"
    use_vars = task_vars
    if action._task.delegate_to:
        use_vars = (task_vars.get("ansible_delegated_vars") or {}).get(action._task.delegate_to)
        if not isinstance(use_vars, dict):
            return "the delegated host's variables are not known"
    if not is_controller_python(interpreter_of(use_vars, action._templar.template)):
        return "the host's Python is not the controller's"
    module = preload(action.MODULE)
    if module is None or not callable(getattr(module, "main", None)):
        return "the module's code does not load on the controller"
    return None


def _encoded(arguments):
    return json.dumps({"ANSIBLE_MODULE_ARGS": arguments}, **ENCODING)


def encode_arguments(action, module_args, task_vars):
    """The arguments as ansible-core would send them to the module (bytes), or None when they cannot be sent."""
    arguments = dict(module_args)
    action._update_module_args(action.MODULE, arguments, task_vars)
    try:
        return _encoded(arguments).encode("utf-8", "surrogateescape")
    except (TypeError, ValueError, AnsibleError):
        return None  # the module route raises ansible-core's own error for these


def _reset_module_state(encoded):
    basic._ANSIBLE_ARGS = encoded
    if PROFILE is not None:
        basic._ANSIBLE_PROFILE = PROFILE
    if hasattr(basic, "_PARSED_MODULE_ARGS"):
        basic._PARSED_MODULE_ARGS = None
    # Warnings and deprecations a module collects are process-wide lists (or dicts): start empty.
    module_warnings._global_warnings.clear()
    module_warnings._global_deprecations.clear()


@contextlib.contextmanager
def _as_a_module():
    """ansible-core >= 2.19: module_utils act as in a module's process while main() runs. On the
    controller, AnsibleModule.warn() shows a warning at once instead of returning it with the result,
    and the JSON profiles are the controller's."""
    if module_utils_internal is None or not hasattr(module_utils_internal, "is_controller"):
        yield
        return
    before = module_utils_internal.is_controller
    module_utils_internal.is_controller = False
    try:
        yield
    finally:
        module_utils_internal.is_controller = before


def _run_main(module, encoded):
    """The module's standard output, standard error and exit code, as its own process would have produced them."""
    _reset_module_state(encoded)
    output, errors = io.StringIO(), io.StringIO()
    code = 0
    with contextlib.redirect_stdout(output), contextlib.redirect_stderr(errors), _as_a_module():
        try:
            module.main()
            print(json.dumps({"failed": True, "msg": "New-style module did not handle its own exit."}))
            code = 1
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        except Exception as exc:  # pylint: disable=broad-exception-caught  # a module failure, as ansible-core reports one
            print(json.dumps({"failed": True, "msg": "MODULE FAILURE: %s: %s" % (type(exc).__name__, exc),
                              "exception": traceback.format_exc()}))
            code = 1
    return output.getvalue(), errors.getvalue(), code


def execute(action, encoded):
    """Run the module's main() here and return its result as _execute_module returns a module's."""
    stdout, stderr, code = _run_main(preload(action.MODULE), encoded)
    low_level = {"rc": code, "stdout": stdout, "stdout_lines": stdout.splitlines(), "stderr": stderr,
                 "stderr_lines": stderr.splitlines()}
    if PROFILE is None:
        data = action._parse_returned_data(low_level)
    else:
        data = action._parse_returned_data(low_level, PROFILE)
    if hasattr(data, "as_result_dict"):  # ansible-core >= 2.21: a UnifiedTaskResult
        data.remove_internal_keys()
        return data.as_result_dict(for_round_trip=True)
    data.pop("_ansible_suppress_tmpdir_delete", None)
    remove_internal_keys(data)
    return data
