# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""When a check module runs in the worker process instead of as a module, and what its run there returns.

The decision is pure logic over the task's settings (a stand-in action carries them). The run is
real: a module's main() reads its arguments through AnsibleModule and prints its result, as in
its own process. The integration target check_in_process compares both ways on real servers.
"""

from __future__ import annotations

import json
import sys
import types

import pytest
from ansible.errors import AnsibleError
from ansible.module_utils.basic import AnsibleModule

from ansible_collections.mailops.smtp.plugins.plugin_utils import _in_process
from ansible_collections.mailops.smtp.plugins.plugin_utils._host_python import is_controller_python


class Action:
    """What reason_not reads of an action plugin."""

    MODULE = "mailops.smtp.probe"

    def __init__(self, transport="local", become=False, async_val=0, environment="", delegate_to=None,
                 templates=None):
        self._connection = types.SimpleNamespace(transport=transport)
        self._play_context = types.SimpleNamespace(become=become)
        self._task = types.SimpleNamespace(async_val=async_val, delegate_to=delegate_to)
        self._environment = environment
        self._templar = types.SimpleNamespace(template=self._template)
        self._templates = templates or {}

    def _template(self, value):
        if value not in self._templates:
            raise AnsibleError("undefined: %s" % value)
        return self._templates[value]

    def _compute_environment_string(self):
        if isinstance(self._environment, Exception):
            raise self._environment
        return self._environment


HERE = {"ansible_python_interpreter": sys.executable}


def test_a_local_task_on_the_controllers_python_runs_in_process():
    assert _in_process.reason_not(Action(), dict(HERE)) is None


@pytest.mark.parametrize("action, task_vars, reason", [
    (Action(), dict(HERE, mailops_smtp_in_process=False), "mailops_smtp_in_process is false"),
    (Action(), dict(HERE, mailops_smtp_in_process="no"), "mailops_smtp_in_process is false"),
    (Action(templates={"{{ off }}": False}), dict(HERE, mailops_smtp_in_process="{{ off }}"),
     "mailops_smtp_in_process is false"),
    (Action(), dict(HERE, mailops_smtp_in_process="sometimes"), "mailops_smtp_in_process is not a boolean"),
    (Action(), dict(HERE, mailops_smtp_in_process="{{ undefined }}"), "mailops_smtp_in_process is not a boolean"),
    (Action(transport="ssh"), dict(HERE), "the connection is not local"),
    (Action(become=True), dict(HERE), "become is set"),
    (Action(async_val=30), dict(HERE), "the task is async"),
    (Action(environment="HTTPS_PROXY=http://proxy:3128"), dict(HERE), "the task sets an environment"),
    (Action(environment=AnsibleError("bad")), dict(HERE), "the task's environment is not valid"),
    (Action(), {}, "the host's Python is not the controller's"),
    (Action(), {"ansible_python_interpreter": "auto_silent"}, "the host's Python is not the controller's"),
    (Action(), {"ansible_python_interpreter": "/usr/bin/python3-elsewhere"}, "the host's Python is not the controller's"),
    (Action(), {"ansible_python_interpreter": "python3"}, "the host's Python is not the controller's"),
    (Action(), {"ansible_python_interpreter": "/usr/bin/env python3"}, "the host's Python is not the controller's"),
    (Action(delegate_to="relay1"), dict(HERE), "the delegated host's variables are not known"),
    (Action(delegate_to="relay1"), dict(HERE, ansible_delegated_vars={"relay1": {}}),
     "the host's Python is not the controller's"),
])
def test_a_task_that_would_not_run_as_this_python_here_runs_as_a_module(action, task_vars, reason):
    assert _in_process.reason_not(action, task_vars) == reason


def test_the_delegated_hosts_python_decides_not_the_hosts():
    task_vars = {"ansible_python_interpreter": "/usr/bin/python3-elsewhere",
                 "ansible_delegated_vars": {"localhost": {"ansible_python_interpreter": sys.executable}}}
    assert _in_process.reason_not(Action(delegate_to="localhost"), task_vars) is None


def test_an_interpreter_given_as_a_template_is_rendered():
    action = Action(templates={"{{ ansible_playbook_python }}": sys.executable})
    assert _in_process.reason_not(action, {"ansible_python_interpreter": "{{ ansible_playbook_python }}"}) is None


def test_a_module_whose_code_does_not_load_runs_as_a_module():
    action = Action()
    action.MODULE = "mailops.smtp.no_such_module"
    assert _in_process.reason_not(action, dict(HERE)) == "the module's code does not load on the controller"


def test_a_link_to_this_python_is_not_this_python():
    """A virtual environment's python is a link to the system's, whose packages differ: only the same
    path counts."""
    assert is_controller_python(sys.executable)
    assert is_controller_python(sys.executable.replace("/bin/", "/bin/./"))
    assert not is_controller_python("/usr/bin/python3" if sys.executable != "/usr/bin/python3" else "/usr/bin/python")
    assert not is_controller_python(None)


def test_the_import_name_of_a_collection_module():
    assert _in_process.python_module_name("mailops.smtp.tls_check") == \
        "ansible_collections.mailops.smtp.plugins.modules.tls_check"


# ---------------------------------------------------------------- the module's own run


def _arguments(**params):
    params.update(_ansible_check_mode=False, _ansible_no_log=False, _ansible_module_name="mailops.smtp.example")
    return _in_process._encoded(params).encode("utf-8")


def _module(main):
    return types.SimpleNamespace(main=main)


def _printed(output):
    return json.loads(output.strip().splitlines()[-1])


def _echo():
    module = AnsibleModule(argument_spec={"count": {"type": "int"}, "password": {"type": "str", "no_log": True}},
                           supports_check_mode=True)
    module.warn("a warning")
    module.exit_json(changed=False, count=module.params["count"], said="the password is %s" % module.params["password"])


def test_the_module_reads_its_arguments_and_prints_its_result_with_secrets_masked():
    output, _errors, code = _in_process._run_main(_module(_echo), _arguments(count="3", password="Sentinel-In-Process-1"))
    result = _printed(output)
    assert code == 0
    assert result["count"] == 3
    assert "Sentinel-In-Process-1" not in output
    assert result["said"] == "the password is ********"
    assert "a warning" in json.dumps(result.get("warnings"))


def test_a_wrong_argument_fails_with_ansible_cores_own_message():
    output, _errors, code = _in_process._run_main(_module(_echo), _arguments(count="many", password="x1"))
    result = _printed(output)
    assert code == 1 and result["failed"] is True
    assert "count" in result["msg"] and "int" in result["msg"]


def test_each_run_starts_from_its_own_arguments_and_no_earlier_warning():
    _in_process._run_main(_module(_echo), _arguments(count=1, password="x2"))
    output, _errors, _code = _in_process._run_main(_module(_echo), _arguments(count=2, password="x3"))
    result = _printed(output)
    assert result["count"] == 2
    assert json.dumps(result.get("warnings")).count("a warning") == 1


def test_a_module_that_raises_reports_a_module_failure_not_a_traceback_of_the_worker():
    def broken():
        raise RuntimeError("engine exploded")

    output, _errors, code = _in_process._run_main(_module(broken), _arguments())
    result = _printed(output)
    assert code == 1 and result["failed"] is True
    assert result["msg"] == "MODULE FAILURE: RuntimeError: engine exploded"


def test_a_module_that_returns_without_exiting_fails():
    output, _errors, code = _in_process._run_main(_module(lambda: None), _arguments())
    assert code == 1 and _printed(output)["msg"] == "New-style module did not handle its own exit."


def test_what_the_module_writes_to_standard_error_is_kept_with_its_result_not_shown():
    def noisy():
        sys.stderr.write("a library complains\n")
        _echo()

    output, errors, code = _in_process._run_main(_module(noisy), _arguments(count=4, password="x4"))
    assert code == 0 and _printed(output)["count"] == 4
    assert errors == "a library complains\n"
