# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""_native_args.resolve gives what Ansible's templating gives, as plain data, with a real templar."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleError
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar

from ansible_collections.mailops.smtp.plugins.module_utils._model import plain_data
from ansible_collections.mailops.smtp.plugins.plugin_utils import _native_args

try:
    from ansible.template import trust_as_template
except ImportError:  # ansible-core < 2.19 trusts every template
    def trust_as_template(value):
        return value

PLAIN = (dict, list, str, int, float, bool, type(None))


def _templar(variables):
    return Templar(loader=DataLoader(), variables=variables)


def _assert_plain(value):
    assert type(value) in PLAIN  # pylint: disable=unidiomatic-typecheck
    if isinstance(value, dict):
        for key, item in value.items():
            _assert_plain(key)
            _assert_plain(item)
    elif isinstance(value, list):
        for item in value:
            _assert_plain(item)


def _connectors():
    return [
        {"name": "relay", "host": "smtp.example.org", "port": 587, "timeout": 2.5,
         "auth": {"username": "app@example.org", "password": trust_as_template("{{ vault_pw }}")},
         "test": {"to": ["a@example.org"]}, "allow_plaintext_auth": False, "tls": None},
        {"name": trust_as_template("{{ prefix }}-portal"), "host": "mx.example.org"},
    ]


@pytest.mark.parametrize("arg", ["{{ smtp_connectors }}", "{{smtp_connectors}}", " {{ smtp_connectors | default([]) }} "])
def test_a_variable_is_resolved_with_its_templates_rendered(arg):
    templar = _templar({"smtp_connectors": _connectors(), "vault_pw": "s3cret", "prefix": "district"})
    got = _native_args.resolve(trust_as_template(arg), templar)
    assert got == [
        {"name": "relay", "host": "smtp.example.org", "port": 587, "timeout": 2.5,
         "auth": {"username": "app@example.org", "password": "s3cret"},
         "test": {"to": ["a@example.org"]}, "allow_plaintext_auth": False, "tls": None},
        {"name": "district-portal", "host": "mx.example.org"},
    ]
    _assert_plain(got)


def test_same_result_as_the_templating_engine():
    variables = {"smtp_connectors": _connectors(), "vault_pw": "s3cret", "prefix": "district"}
    arg = trust_as_template("{{ smtp_connectors }}")
    assert _native_args.resolve(arg, _templar(variables)) == plain_data(_templar(variables).template(arg))


def test_an_expression_goes_through_the_engine():
    templar = _templar({"a": [{"name": "x"}], "b": [{"name": "y"}]})
    assert _native_args.resolve(trust_as_template("{{ a + b }}"), templar) == [{"name": "x"}, {"name": "y"}]


def test_a_variable_holding_a_template_is_rendered():
    templar = _templar({"smtp_connectors": trust_as_template("{{ base }}"), "base": [{"name": "x", "port": 25}]})
    assert _native_args.resolve(trust_as_template("{{ smtp_connectors }}"), templar) == [{"name": "x", "port": 25}]


def test_a_literal_list_is_walked():
    templar = _templar({"pw": "s3cret"})
    got = _native_args.resolve([{"name": "x", "auth": {"password": trust_as_template("{{ pw }}")}}], templar)
    assert got == [{"name": "x", "auth": {"password": "s3cret"}}]


def test_defaults_for_an_undefined_or_empty_variable():
    templar = _templar({"empty": []})
    assert _native_args.resolve(trust_as_template("{{ missing | default([]) }}"), templar) == []
    assert _native_args.resolve(trust_as_template("{{ empty | default({}, true) }}"), templar) == {}


def test_an_undefined_variable_is_the_engine_error():
    templar = _templar({})
    with pytest.raises(AnsibleError, match="missing"):
        value = _native_args.resolve(trust_as_template("{{ missing }}"), templar)
        # ansible-core >= 2.19 returns a marker that raises when used
        str(value)


def test_a_string_that_is_no_template_is_kept():
    templar = _templar({})
    assert _native_args.resolve("not a {template", templar) == "not a {template"


@pytest.mark.parametrize("text, expected", [
    ("{{ user }}@{{ domain }}", "app@example.org"),
    ("{{ port }}", 587),
    ("port {{ port }}", "port 587"),
    ("{{ user | upper }}@{{ domain }}", "APP@example.org"),
    ("{{ indirect }}", "app@example.org"),
    ("{% if true %}yes{% endif %}", "yes"),
])
def test_strings_render_as_the_engine_renders_them(text, expected):
    variables = {"user": "app", "domain": trust_as_template("example.org"), "port": 587,
                 "indirect": trust_as_template("{{ user }}@{{ domain }}")}
    templar = _templar(variables)
    got = _native_args.resolve_variable("value", _templar(dict(variables, value=trust_as_template(text))), None)
    assert got == expected
    assert got == plain_data(templar.template(trust_as_template(text)))


def test_an_untrusted_string_is_not_rendered():
    templar = _templar({"value": "{{ user }}", "user": "app"})
    assert _native_args.resolve_variable("value", templar, None) == plain_data(templar.template(templar.available_variables["value"]))


class _Task:  # the one attribute take_arguments reads and writes
    def __init__(self, args):
        self.args = args


@pytest.fixture
def taken():
    _native_args._TAKEN.clear()  # pylint: disable=protected-access
    yield
    _native_args._TAKEN.clear()  # pylint: disable=protected-access


def test_the_task_keeps_a_resolved_argument_as_written(taken):  # pylint: disable=redefined-outer-name,unused-argument
    written = trust_as_template("{{ smtp_connectors }}")
    templar = _templar({"smtp_connectors": _connectors(), "vault_pw": "s3cret", "prefix": "district"})
    resolved = _native_args.resolve(written, templar, "connectors")
    task = _Task({"connectors": resolved, "concurrency": 5})
    args = _native_args.take_arguments(task)
    assert args == {"connectors": resolved, "concurrency": 5}
    # What ansible-core sends back to the callbacks: the argument as the play wrote it, no password.
    assert task.args == {"connectors": written, "concurrency": 5}
    assert "s3cret" not in repr(task.args)
    # A retried attempt runs the plugin again on the same task: it gets the resolved value again.
    assert _native_args.take_arguments(task) == args
    assert task.args["connectors"] is written


def test_only_arguments_resolved_with_a_name_are_put_back(taken):  # pylint: disable=redefined-outer-name,unused-argument
    templar = _templar({"domains": ["example.org"], "smtp_connectors": []})
    domains = _native_args.resolve(trust_as_template("{{ domains }}"), templar)
    _native_args.resolve(trust_as_template("{{ smtp_connectors }}"), templar, "connectors")
    task = _Task({"domains": domains})
    assert _native_args.take_arguments(task) == {"domains": ["example.org"]}
    assert task.args == {"domains": ["example.org"]}
    # An argument the plugin did not resolve itself (another value under the same name) stays.
    task = _Task({"connectors": [{"name": "other"}]})
    assert _native_args.take_arguments(task) == {"connectors": [{"name": "other"}]}
    assert task.args == {"connectors": [{"name": "other"}]}
