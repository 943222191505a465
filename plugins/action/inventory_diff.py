# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Action: compare the declared SMTP connectors of two inventories, on the controller."""

from __future__ import annotations

import os

from ansible.errors import AnsibleActionFail, AnsibleError
from ansible.inventory.manager import InventoryManager
from ansible.module_utils.common.text.converters import to_native
from ansible.parsing.dataloader import DataLoader
from ansible.plugins.action import ActionBase
from ansible.template import Templar
from ansible.vars.manager import VariableManager

from ansible_collections.mailops.smtp.plugins.module_utils import _model, _report

ARGUMENT_SPEC = {
    "left": {"type": "list", "elements": "path", "required": True},
    "right": {"type": "list", "elements": "path", "required": True},
    "variable": {"type": "str", "default": "smtp_connectors"},
    "match_by": {"type": "str", "choices": ["role", "host_name", "name"], "default": "role"},
    "ignore_fields": {"type": "list", "elements": "str", "default": []},
    "expected": {"type": "list", "elements": "dict", "options": {
        "fields": {"type": "list", "elements": "str", "required": True},
        "environment_names_only": {"type": "bool", "default": False},
        "reason": {"type": "str"},
    }},
    "environment_names": {"type": "list", "elements": "str"},
    "host_map": {"type": "dict", "default": {}},
}

ENVIRONMENT_VARIABLE = "mailops_environment"
"""The host variable that names a host's environment (its value is taken out of host names)."""


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False

    def _load(self, sources, variable, side):
        for source in sources:
            if not os.path.exists(source):
                raise AnsibleActionFail("%s: inventory source %s does not exist" % (side, source))
        loader = DataLoader()
        # Reuse the vault secrets given on the command line, so vaulted values can be compared.
        loader.set_vault_secrets(getattr(getattr(self._loader, "_vault", None), "secrets", None))
        try:
            inventory = InventoryManager(loader=loader, sources=list(sources))
            variables = VariableManager(loader=loader, inventory=inventory)
        except AnsibleError as exc:
            raise AnsibleActionFail("%s: cannot load inventory %s: %s" % (side, ", ".join(sources), to_native(exc))) from None
        hosts = {}
        for host in inventory.get_hosts():
            try:
                host_vars = variables.get_vars(host=host, include_hostvars=False)
                if variable not in host_vars:
                    continue
                templar = Templar(loader=loader, variables=host_vars)
                environment = host_vars.get(ENVIRONMENT_VARIABLE)
                if environment:
                    self._environments.add(str(templar.template(environment)))
                value = _model.plain_data(templar.template(host_vars[variable]))
            except AnsibleError as exc:
                raise AnsibleActionFail("%s: cannot read %s of host %s: %s"
                                        % (side, variable, host.name, to_native(exc))) from None
            if value is None:
                value = []
            if not isinstance(value, list):
                raise AnsibleActionFail("%s: %s of host %s must be a list of connectors, got %s"
                                        % (side, variable, host.name, type(value).__name__))
            hosts[host.name] = value
        return hosts

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        dummy, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        self._environments = set()
        left = self._load(args["left"], args["variable"], "left")
        right = self._load(args["right"], args["variable"], "right")
        expected = None
        if args["expected"] is not None:
            expected = [dict((k, v) for k, v in rule.items() if v is not None) for rule in args["expected"]]
        try:
            diff = _report.compare_inventories(left, right, ignore_fields=args["ignore_fields"],
                                               match_by=args["match_by"], expected=expected,
                                               environment_names=args["environment_names"] or sorted(self._environments),
                                               host_map=args["host_map"])
        except _report.DiffError as exc:
            raise AnsibleActionFail(to_native(exc)) from None
        result.update(diff)
        result["left_source"] = ", ".join(args["left"])
        result["right_source"] = ", ".join(args["right"])
        result["different"] = bool(diff["added"] or diff["removed"] or diff["differences"]
                                   or diff["unmatched_hosts"]["left"] or diff["unmatched_hosts"]["right"])
        result["unexpected"] = bool(diff["added"] or diff["removed"] or any(not d["expected"] for d in diff["differences"])
                                    or diff["unmatched_hosts"]["left"] or diff["unmatched_hosts"]["right"])
        result["changed"] = False
        return result
