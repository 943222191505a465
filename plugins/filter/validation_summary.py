# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
---
name: validation_summary
short_description: Summarize mailops.smtp.validate results of many hosts, with JUnit XML
version_added: 0.1.0
description:
  - Takes the registered results of M(mailops.smtp.validate) for several hosts and returns the counts, one line per
    problem naming host, connector, field and rule, and a JUnit XML document with one testcase per host and connector.
  - A host whose validation did not run (for example because a variable was undefined) counts as an error.
  - Used by the playbook C(mailops.smtp.validate_environment); usable on its own.
author:
  - mailops.smtp maintainers (@mailops)
options:
  _input:
    description: A mapping of host name to the registered result of M(mailops.smtp.validate) for that host.
    type: dict
    required: true
  suite_name:
    description: Name of the JUnit test suite.
    type: str
    default: mailops.smtp.validate
'''

EXAMPLES = r'''
- name: Summarize the validation of every host of the play
  ansible.builtin.debug:
    msg: "{{ (results_by_host | mailops.smtp.validation_summary).lines }}"
  vars:
    results_by_host: "{{ dict(ansible_play_hosts_all | zip(ansible_play_hosts_all | map('extract', hostvars, 'smtp_validation'))) }}"
  run_once: true
'''

RETURN = r'''
_value:
  description: The summary.
  type: dict
  contains:
    hosts:
      description: Number of hosts.
      type: int
    connectors:
      description: Number of connectors over all hosts.
      type: int
    errors:
      description: Number of errors over all hosts (a host whose validation did not run counts as one).
      type: int
    warnings:
      description: Number of warnings over all hosts.
      type: int
    lines:
      description: One line per problem, C(ERROR|WARNING RULE HOST CONNECTOR POINTER MESSAGE), then a summary line.
      type: list
      elements: str
    junit:
      description: JUnit XML text, one testcase per host and connector (a host without connectors is one skipped case).
      type: str
'''

from ansible.errors import AnsibleFilterError

from ansible_collections.mailops.smtp.plugins.module_utils._junit import junit_xml


def _problem_line(level, host, item):
    return "%s %s %s %s %s: %s" % (level, item.get("rule"), host, item.get("connector"), item.get("path") or "/",
                                   item.get("message"))


def _position(path):
    """List position a JSON pointer starts with (/3/port -> 3), None for the list itself."""
    head = str(path or "").split("/")[1:2]
    return int(head[0]) if head and head[0].isdigit() else None


def validation_summary(results, suite_name="mailops.smtp.validate"):
    if not isinstance(results, dict):
        raise AnsibleFilterError("validation_summary expects a mapping of host name to a mailops.smtp.validate result")
    totals = {"hosts": 0, "connectors": 0, "errors": 0, "warnings": 0}
    lines, cases = [], []
    for host in sorted(results):
        res = results[host] if isinstance(results[host], dict) else {}
        totals["hosts"] += 1
        if "findings" not in res:
            why = res.get("msg") or "validation did not run for this host"
            totals["errors"] += 1
            lines.append("ERROR - %s - /: validation did not run: %s" % (host, why))
            cases.append({"classname": host, "name": "(validation)", "failures": ["validation did not run: %s" % why]})
            continue
        names = list(res.get("connector_names") or [])
        findings = res.get("findings") or []
        totals["connectors"] += len(names)
        # Findings belong to the connector at the list position their JSON pointer starts with,
        # so two connectors with the same (duplicate) name still get their own testcase.
        by_index = {}
        for item in findings:
            level = "ERROR" if item.get("severity") == "error" else "WARNING"
            totals["errors" if level == "ERROR" else "warnings"] += 1
            lines.append(_problem_line(level, host, item))
            by_index.setdefault(_position(item.get("path")), []).append((level, item))
        for index, name in enumerate(names):
            items = by_index.get(index, [])
            label = name if names.count(name) == 1 else "%s (#%d)" % (name, index)
            failures = ["%s %s %s: %s" % (i.get("rule"), name, i.get("path") or "/", i.get("message"))
                        for lvl, i in items if lvl == "ERROR"]
            output = "\n".join("WARNING %s %s: %s" % (i.get("rule"), i.get("path") or "/", i.get("message"))
                               for lvl, i in items if lvl == "WARNING")
            cases.append({"classname": host, "name": label, "failures": failures, "output": output})
        if by_index.get(None):
            cases.append({"classname": host, "name": "(connector list)",
                          "failures": ["%s %s: %s" % (i.get("rule"), i.get("path") or "/", i.get("message"))
                                       for _lvl, i in by_index[None]]})
        if not names and not findings:
            cases.append({"classname": host, "name": "(no connectors)", "failures": [],
                          "skipped": "the host declares no smtp_connectors"})
    lines.append("hosts: %(hosts)d, connectors: %(connectors)d, errors: %(errors)d, warnings: %(warnings)d" % totals)
    out = dict(totals)
    out["lines"] = lines
    out["junit"] = junit_xml(suite_name, cases)
    return out


class FilterModule:
    def filters(self):
        return {"validation_summary": validation_summary}
