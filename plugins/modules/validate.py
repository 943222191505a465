# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# The work is done by the action plugin plugins/action/validate.py on the controller.

from __future__ import annotations

DOCUMENTATION = r'''
---
module: validate
short_description: Validate declared SMTP connectors against the schema and the semantic rules
version_added: 0.1.0
description:
  - Checks a list of SMTP connectors (the C(smtp_connectors) model of this collection) against the JSON schema
    C(schemas/connector.schema.json) and the semantic rules documented in the collection's C(docs/rules.md).
  - Reports B(all) problems in one run, each with a stable rule id (C(SMTP001) ...), the connector name, a JSON
    pointer to the field, and a message saying what is wrong and what would be valid.
  - Runs entirely on the controller. It never connects to the target host and needs no Python packages there;
    the controller needs the C(jsonschema) library.
  - Values of secret fields (such as C(auth.password)) and of unknown fields are never repeated in any message.
author:
  - mailops.smtp maintainers (@mailops)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.conn
  - ansible.builtin.action_common_attributes.flow
  - mailops.smtp.connector.optional
attributes:
  action:
    support: full
  async:
    support: none
  become:
    support: none
  bypass_host_loop:
    support: none
  check_mode:
    support: full
    details: Validation changes nothing, so it runs the same way in check mode.
  connection:
    support: none
  delegation:
    support: none
    details: It always runs on the controller; delegation has no effect.
  diff_mode:
    support: none
  platform:
    platforms: all
options:
  details:
    description:
      - Which findings the result carries, structured.
      - V(all) returns every error and warning in RV(findings) and every connector's name in RV(connector_names).
      - V(errors) returns only the errors in RV(findings) (the same items as RV(errors)) and leaves out
        RV(connector_names). The warnings are still found and counted in RV(summary); the first 20 are shown as
        C([WARNING]) lines and, with O(fail_on=warning), listed in the failure message.
      - At thousands of connectors the warnings and names are most of the result, and Ansible copies, checks and, for
        a failed task, prints the whole result. Use V(errors) for a CI gate over a large list, and V(all) to collect
        every finding for a report.
      - Only with O(connectors). With O(hosts), RV(by_host) always holds every finding and connector name (the input
        of the filter P(mailops.smtp.validation_summary#filter)).
    type: str
    choices: [all, errors]
    default: all
  forbidden_sender_domains:
    description:
      - Domains that C(senders.default) must not use (exact domain or any subdomain), for example the domain of the
        software vendor, so that recipients do not take mail for the vendor's.
      - A forbidden domain in another sender purpose is reported as a warning.
    type: list
    elements: str
    default: []
  fail_on:
    description:
      - C(error) fails the task when any error is found; C(warning) fails it on errors or warnings; C(never) only
        reports (use it to collect results, for example for a report across hosts).
    type: str
    choices: [error, warning, never]
    default: error
  format:
    description:
      - Also check the connectors against what the program reading this file format of M(mailops.smtp.connector)
        can enforce (the capability matrix in the collection's C(docs/formats.md)), as M(mailops.smtp.connector)
        does before it writes.
      - A connector asking for something the program cannot enforce is an error (C(SMTP120)) unless the connector
        lists the capability in C(accept_weaker); then it is a warning (C(SMTP121)), on every run. A program that
        enforces more than declared is a warning (C(SMTP122)); a list the format cannot hold is an error (C(SMTP123)).
      - Without it, only the schema and the format-independent rules apply, and C(accept_weaker) has no effect.
    type: str
    choices: [env, ini, javamail, json, msmtp, postfix, template, yaml]
  hosts:
    description:
      - Validate the connectors of each of these inventory hosts instead of O(connectors), in this one task on the
        controller; use it with C(run_once), for example with C(ansible_play_hosts_all). Give either O(connectors)
        or O(hosts).
      - Each host's C(smtp_connectors) (none when undefined) is templated in that host's own variables and checked
        with that host's C(smtp_forbidden_sender_domains) added to O(forbidden_sender_domains).
      - A host whose variables cannot be templated (an undefined variable, for one) is reported in RV(by_host) as
        not validated, which counts as an error for O(fail_on); the other hosts are still validated.
      - This is how the playbook C(mailops.smtp.validate_environment) validates a whole inventory.
    type: list
    elements: str
    version_added: 0.2.0
notes:
  - The problems are listed in the failure message, one per C(|)-separated part, so they are readable without C(-v);
    the first 20 are listed there and all of them are returned in RV(errors) and RV(findings) (the warnings there only
    with O(details=all)).
  - To validate the C(smtp_connectors) of every host of an inventory, use the playbook
    C(mailops.smtp.validate_environment).
seealso:
  - module: mailops.smtp.connector
  - module: mailops.smtp.probe
'''

EXAMPLES = r'''
- name: Validate the connectors declared for this host
  mailops.smtp.validate:
    connectors: "{{ smtp_connectors }}"

- name: Validate them also for the program that will read them (CI, per format)
  mailops.smtp.validate:
    connectors: "{{ smtp_connectors }}"
    format: msmtp

- name: Forbid the vendor's domain in From addresses and fail on warnings too
  mailops.smtp.validate:
    connectors: "{{ smtp_connectors }}"
    forbidden_sender_domains:
      - infinitecampus.com
    fail_on: warning

- name: Gate a list of thousands of connectors in CI (errors structured, warnings counted)
  mailops.smtp.validate:
    connectors: "{{ smtp_connectors }}"
    details: errors

- name: Collect findings without failing, for a report
  mailops.smtp.validate:
    connectors:
      - name: district-relay
        host: smtp.example.org
        port: 587
        security: starttls
        auth:
          username: mailer@example.org
          password: "{{ vault_smtp_password }}"
        senders:
          default: '"Example District" <noreply@example.org>'
    fail_on: never
  register: smtp_validation

- name: Show what is wrong
  ansible.builtin.debug:
    msg: "{{ smtp_validation.findings | map(attribute='message') | list }}"
'''

RETURN = r'''
valid:
  description: True when no error was found (warnings do not make a connector list invalid).
  returned: always
  type: bool
  sample: false
errors:
  description: Every error found.
  returned: when O(connectors) is given
  type: list
  elements: dict
  contains:
    rule:
      description: Stable rule id, documented in docs/rules.md.
      type: str
      sample: SMTP101
    severity:
      description: C(error).
      type: str
      sample: error
    connector:
      description: Name of the connector, or C(#N) (its position) when it has no usable name.
      type: str
      sample: district-relay
    path:
      description: JSON pointer (RFC 6901) to the field in the C(connectors) list.
      type: str
      sample: /0/port
    message:
      description: What is wrong and what would be valid.
      type: str
      sample: "port 465 speaks implicit TLS, but security is starttls: ..."
warnings:
  description:
    - "The warnings as lines of text C(RULE CONNECTOR POINTER: MESSAGE), which Ansible also prints as C([WARNING])
      lines: the first 20, then a line counting the rest. Every warning, structured, is in RV(findings)."
  returned: when there are warnings
  type: list
  elements: str
  sample: ["SMTP103 district-relay /0/tls/verify: tls.verify is false: any certificate is accepted, ..."]
findings:
  description:
    - Every problem, errors first, each with the keys of RV(errors) and C(severity) C(error) or C(warning).
    - With O(details=errors), the errors only.
  returned: when O(connectors) is given
  type: list
  elements: dict
connector_names:
  description: Name of each connector in input order (C(#N) for one without a usable name).
  returned: when O(connectors) is given and O(details=all)
  type: list
  elements: str
  sample: ["district-relay", "fax"]
summary:
  description:
    - Counts of connectors, errors and warnings.
    - With O(hosts), also the number of hosts and of hosts that could not be validated (C(not_validated)).
  returned: always
  type: dict
  sample: {"connectors": 2, "errors": 1, "warnings": 1}
by_host:
  description:
    - With O(hosts), the result of each host, by host name, in the order of O(hosts) (the input of the filter
      P(mailops.smtp.validation_summary#filter)).
    - Each is a mapping with RV(valid), RV(findings), RV(connector_names), RV(summary) and RV(msg) of that host's
      connectors, or, for a host that could not be validated, C(failed) true and C(msg) saying why.
    - With O(hosts), RV(errors), RV(findings) and RV(connector_names) are not returned at the top level, and
      RV(warnings) lines start with the host name.
  returned: when O(hosts) is given
  type: dict
  sample: {"app-1": {"valid": true, "findings": [], "connector_names": ["relay"], "msg": "1 connector(s) valid: 0 error(s), 0 warning(s)",
           "summary": {"connectors": 1, "errors": 0, "warnings": 0}}}
  version_added: 0.2.0
msg:
  description: One-line summary; on failure it lists the problems.
  returned: always
  type: str
'''
