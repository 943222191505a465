# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Validate declared SMTP connectors on the controller (no target host, no target Python)."""

from __future__ import annotations

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.plugins.action import ActionBase

from ansible_collections.mailops.smtp.plugins.module_utils._formats import FORMATS
from ansible_collections.mailops.smtp.plugins.module_utils._model import connector_label
from ansible_collections.mailops.smtp.plugins.module_utils._validate import (
    HAS_JSONSCHEMA,
    format_findings,
    validate_connectors,
)

# 'connectors' is not in the spec: its shape is checked by the validator itself, which reports
# a wrong shape with its JSON pointer together with every other problem (and Ansible's spec
# validator would spend most of the task walking a large list it cannot judge anyway).
OPTIONS_SPEC = {
    "forbidden_sender_domains": {"type": "list", "elements": "str", "default": []},
    "fail_on": {"type": "str", "default": "error", "choices": ["error", "warning", "never"]},
    "format": {"type": "str", "choices": sorted(FORMATS)},
}

# How many problems the one-line failure message lists before "... and N more".
MSG_LIMIT = 20


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        result["changed"] = False
        task_args = dict(self._task.args)
        if "connectors" not in task_args:
            result.update(failed=True, msg="missing required argument: connectors (the list of connectors to validate)")
            return result
        connectors_arg = task_args.pop("connectors")
        checked = ArgumentSpecValidator(OPTIONS_SPEC).validate(task_args)
        if checked.error_messages:
            result.update(failed=True, msg="; ".join(checked.error_messages))
            return result
        args = checked.validated_parameters
        args["connectors"] = connectors_arg
        if not HAS_JSONSCHEMA:
            result.update(failed=True, msg="mailops.smtp.validate needs the Python library jsonschema on the "
                          "controller: pip install 'jsonschema>=4.18' (or pip install -r requirements.txt of the collection)")
            return result
        report = validate_connectors(args["connectors"], args["forbidden_sender_domains"], args.get("format"))
        connectors = args["connectors"] if isinstance(args["connectors"], list) else []
        count = len(connectors)
        result.update(
            valid=report["valid"],
            errors=report["errors"],
            # Ansible turns every item under 'warnings' into a string and prints it as a
            # [WARNING] line, so warnings are returned as readable lines there, and every
            # problem, structured and with its severity, under 'findings'.
            warnings=format_findings({"warnings": report["warnings"]}, limit=MSG_LIMIT, with_level=False),
            findings=report["errors"] + report["warnings"],
            connector_names=[connector_label(c, i) for i, c in enumerate(connectors)],
            summary={"connectors": count, "errors": len(report["errors"]), "warnings": len(report["warnings"])},
        )
        fail = (args["fail_on"] == "error" and report["errors"]) or \
            (args["fail_on"] == "warning" and (report["errors"] or report["warnings"]))
        if fail:
            lines = format_findings(report, limit=MSG_LIMIT)
            result["failed"] = True
            result["msg"] = "%d connector(s): %d error(s), %d warning(s): %s" % (
                count, len(report["errors"]), len(report["warnings"]), " | ".join(lines))
        else:
            result["msg"] = "%d connector(s) valid: %d error(s), %d warning(s)" % (
                count, len(report["errors"]), len(report["warnings"]))
        return result
