# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Validate declared SMTP connectors on the controller (no target host, no target Python)."""

from __future__ import annotations

from ansible.errors import AnsibleError
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.plugins.action import ActionBase

from ansible_collections.mailops.smtp.plugins.module_utils._format_rules import list_findings, validate_connectors
from ansible_collections.mailops.smtp.plugins.module_utils._formats import FORMATS
from ansible_collections.mailops.smtp.plugins.module_utils._model import connector_label
from ansible_collections.mailops.smtp.plugins.module_utils._validate import (
    HAS_JSONSCHEMA,
    connector_findings,
    format_findings,
)
from ansible_collections.mailops.smtp.plugins.plugin_utils import _native_args, _parallel

# 'connectors' is not in the spec: its shape is checked by the validator itself, which reports
# a wrong shape with its JSON pointer together with every other problem (and Ansible's spec
# validator would spend most of the task walking a large list it cannot judge anyway).
OPTIONS_SPEC = {
    "details": {"type": "str", "default": "all", "choices": ["all", "errors"]},
    "forbidden_sender_domains": {"type": "list", "elements": "str", "default": []},
    "fail_on": {"type": "str", "default": "error", "choices": ["error", "warning", "never"]},
    "format": {"type": "str", "choices": sorted(FORMATS)},
    "hosts": {"type": "list", "elements": "str"},
}

# How many problems the one-line failure message lists before "... and N more".
MSG_LIMIT = 20
# With more hosts (connectors) than this, they are shared out over the controller's CPUs (one child
# process each); below, forking costs more than it saves.
PARALLEL_FROM = 200
PARALLEL_CONNECTORS_FROM = 2000
# The variables each host of `hosts` declares (as for the playbook mailops.smtp.validate_environment).
CONNECTORS_VAR = "smtp_connectors"
FORBIDDEN_VAR = "smtp_forbidden_sender_domains"


def _fails(fail_on, errors, warnings):
    return (fail_on == "error" and errors) or (fail_on == "warning" and (errors or warnings))


def _host_lines(by_host, level):
    """'HOST RULE CONNECTOR POINTER: MESSAGE' lines of one severity over all hosts, in host order."""
    lines = []
    for host, res in by_host.items():
        for item in res.get("findings", ()):
            if item["severity"] == level:
                lines.append("%s %s %s %s: %s" % (host, item["rule"], item["connector"], item["path"] or "/",
                                                  item["message"]))
    return lines


def _limited(lines, label):
    if len(lines) > MSG_LIMIT:
        return lines[:MSG_LIMIT] + ["... and %d more %s" % (len(lines) - MSG_LIMIT, label)]
    return lines


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False

    @classmethod
    def finalize_task_arg(cls, name, value, templar, context):
        # ansible-core >= 2.19: the connectors are resolved straight to plain data (see
        # _native_args); older versions template every argument before the plugin runs.
        if name == "connectors":
            return _native_args.resolve(value, templar, name)
        return super().finalize_task_arg(name, value, templar, context)

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        result["changed"] = False
        task_args = _native_args.take_arguments(self._task)
        has_connectors = "connectors" in task_args
        connectors_arg = task_args.pop("connectors", None)
        checked = ArgumentSpecValidator(OPTIONS_SPEC).validate(task_args)
        if checked.error_messages:
            result.update(failed=True, msg="; ".join(checked.error_messages))
            return result
        args = checked.validated_parameters
        if has_connectors == (args.get("hosts") is not None):
            result.update(failed=True, msg="give either connectors (the list of connectors to validate) or hosts "
                          "(inventory hosts whose %s to validate), not both" % CONNECTORS_VAR if has_connectors else
                          "missing required argument: connectors (the list of connectors to validate), "
                          "or hosts (inventory hosts whose %s to validate)" % CONNECTORS_VAR)
            return result
        if args["details"] != "all" and not has_connectors:
            result.update(failed=True, msg="details=%s applies to connectors only: with hosts, by_host keeps every "
                          "finding and connector name, which the filter mailops.smtp.validation_summary reports "
                          "(use details=all, the default)" % args["details"])
            return result
        if not HAS_JSONSCHEMA:
            result.update(failed=True, msg="mailops.smtp.validate needs the Python library jsonschema on the "
                          "controller: pip install 'jsonschema>=4.18' (or pip install -r requirements.txt of the collection)")
            return result
        with _parallel.collector_paused():
            if has_connectors:
                result.update(self._report(connectors_arg, args["forbidden_sender_domains"], args))
            else:
                result.update(self._hosts_report(args, (task_vars or {}).get("hostvars")))
        return result

    @staticmethod
    def _validate(connectors, forbidden, fmt):
        """validate_connectors, the connectors of a long list checked in parts, one per CPU."""
        count = _parallel.cpus()
        if not isinstance(connectors, list) or len(connectors) < PARALLEL_CONNECTORS_FROM or count < 2:
            return validate_connectors(connectors, forbidden, fmt)
        size = -(-len(connectors) // count)
        parts = _parallel.map_shares(lambda share: connector_findings(connectors, share, forbidden),
                                     [range(start, min(start + size, len(connectors)))
                                      for start in range(0, len(connectors), size)])
        return list_findings(connectors, [finding for part in parts for finding in part], fmt)

    def _report(self, connectors_arg, forbidden, args):
        report = self._validate(connectors_arg, forbidden, args.get("format"))
        connectors = connectors_arg if isinstance(connectors_arg, list) else []
        count = len(connectors)
        out = dict(
            valid=report["valid"],
            errors=report["errors"],
            # Ansible turns every item under 'warnings' into a string and prints it as a
            # [WARNING] line, so warnings are returned as readable lines there, and every
            # problem, structured and with its severity, under 'findings'.
            warnings=format_findings({"warnings": report["warnings"]}, limit=MSG_LIMIT, with_level=False),
            summary={"connectors": count, "errors": len(report["errors"]), "warnings": len(report["warnings"])},
        )
        if args["details"] == "errors":
            # A gate over thousands of connectors: Ansible copies, checks and (for a failed task)
            # prints every item of the result, so only the errors are returned structured.
            out["findings"] = report["errors"]
        else:
            out["findings"] = report["errors"] + report["warnings"]
            out["connector_names"] = [connector_label(c, i) for i, c in enumerate(connectors)]
        if _fails(args["fail_on"], report["errors"], report["warnings"]):
            lines = format_findings(report, limit=MSG_LIMIT)
            out["failed"] = True
            out["msg"] = "%d connector(s): %d error(s), %d warning(s): %s" % (
                count, len(report["errors"]), len(report["warnings"]), " | ".join(lines))
        else:
            out["msg"] = "%d connector(s) valid: %d error(s), %d warning(s)" % (
                count, len(report["errors"]), len(report["warnings"]))
        return out

    def _host_declaration(self, hostvars, host):
        """(connectors, forbidden sender domains) that `host` declares, templated in its own variables."""
        raw = hostvars.raw_get(host) if hostvars is not None and host in hostvars else None
        if not isinstance(raw, dict):
            raise AnsibleError("%s is not a host of the inventory" % host)
        try:
            templar = self._templar.copy_with_new_env(available_variables=raw)
        except TypeError:  # ansible-core < 2.19
            templar = self._templar.copy_with_new_env()
            templar.available_variables = raw
        connectors = _native_args.resolve_variable(CONNECTORS_VAR, templar, [])
        forbidden = _native_args.resolve_variable(FORBIDDEN_VAR, templar, [])
        return connectors, forbidden

    def _validate_hosts(self, hosts, args, hostvars):
        """{host: result} for these hosts, in their order."""
        by_host = {}
        for host in hosts:
            try:
                connectors, forbidden = self._host_declaration(hostvars, host)
                if not isinstance(forbidden, list) or not all(isinstance(d, str) for d in forbidden):
                    raise AnsibleError("%s must be a list of domain names" % FORBIDDEN_VAR)
            except AnsibleError as exc:
                by_host[host] = {"failed": True, "msg": "%s: %s" % (CONNECTORS_VAR, exc)}
                continue
            report = self._report(connectors, list(forbidden) + list(args["forbidden_sender_domains"]),
                                  dict(args, fail_on="never"))
            by_host[host] = dict((k, report[k]) for k in ("valid", "findings", "connector_names", "summary", "msg"))
        return by_host

    def _validate_hosts_parallel(self, hosts, args, hostvars):
        """_validate_hosts with the hosts shared out over the controller's CPUs."""
        count = _parallel.cpus()
        if count < 2 or len(hosts) < PARALLEL_FROM:
            return self._validate_hosts(hosts, args, hostvars)
        done = {}
        for part in _parallel.map_shares(lambda share: self._validate_hosts(share, args, hostvars),
                                         [hosts[index::count] for index in range(count)]):
            done.update(part)
        return dict((host, done[host]) for host in hosts)

    def _hosts_report(self, args, hostvars):
        by_host = self._validate_hosts_parallel(list(args["hosts"]), args, hostvars)
        totals = {"hosts": len(by_host), "connectors": 0, "errors": 0, "warnings": 0, "not_validated": 0}
        for res in by_host.values():
            if res.get("failed"):
                totals["not_validated"] += 1
                continue
            for key in ("connectors", "errors", "warnings"):
                totals[key] += res["summary"][key]
        errors, warnings = _host_lines(by_host, "error"), _host_lines(by_host, "warning")
        out = dict(by_host=by_host, summary=totals, valid=not errors and not totals["not_validated"],
                   warnings=_limited(warnings, "warning(s)"))
        text = "%(hosts)d host(s), %(connectors)d connector(s): %(errors)d error(s), %(warnings)d warning(s)" % totals
        if totals["not_validated"]:
            text += ", %d host(s) not validated" % totals["not_validated"]
            errors = ["%s: %s" % (host, res["msg"]) for host, res in by_host.items() if res.get("failed")] + errors
        if _fails(args["fail_on"], errors, warnings):
            problems = _limited(errors + (warnings if args["fail_on"] == "warning" else []), "problem(s)")
            out.update(failed=True, msg="%s: %s" % (text, " | ".join(problems)))
        else:
            out["msg"] = text
        return out
