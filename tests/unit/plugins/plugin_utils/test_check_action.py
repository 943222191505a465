# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The check modules' action plugin: how often it prints a progress line, and how it takes the connectors."""

from __future__ import annotations

import importlib

import pytest
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar

from ansible_collections.mailops.smtp.plugins.plugin_utils._check_action import progress_interval

try:
    from ansible.template import trust_as_template
except ImportError:  # ansible-core < 2.19 trusts every template
    def trust_as_template(value):
        return value


@pytest.mark.parametrize("args, expected", [
    ({}, 10), ({"progress_interval": 1}, 1), ({"progress_interval": "5"}, 5), ({"progress_interval": 0}, 0),
    ({"progress_interval": -3}, 0), ({"progress_interval": "soon"}, 0), ({"progress_interval": 2.5}, 0),
])
def test_progress_interval_from_the_task_arguments(args, expected):
    assert progress_interval(args) == expected


@pytest.mark.parametrize("module", ["probe", "tls_check", "test_send", "delivery_check", "dns_check"])
def test_the_connectors_argument_is_resolved_to_plain_data(module):
    """ansible-core >= 2.19 hands each task argument to finalize_task_arg: the check actions resolve
    `connectors` and `domains` themselves (fast at thousands of connectors), rendering the templates
    inside, and leave every other argument to ansible-core."""
    action = importlib.import_module("ansible_collections.mailops.smtp.plugins.action." + module).ActionModule
    conns = [{"name": "relay", "host": trust_as_template("{{ relay }}"), "port": 587}]
    templar = Templar(loader=DataLoader(), variables={"smtp_connectors": conns, "relay": "smtp.example.org"})
    for option in ("connectors", "domains"):
        found = action.finalize_task_arg(option, trust_as_template("{{ smtp_connectors }}"), templar, None)
        assert found == [{"name": "relay", "host": "smtp.example.org", "port": 587}]
        assert type(found[0]["host"]) is str  # pylint: disable=unidiomatic-typecheck
