# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# The work is done by the action plugin plugins/action/inventory_diff.py on the controller.

from __future__ import annotations

DOCUMENTATION = r'''
---
module: inventory_diff
short_description: Compare the declared SMTP connectors of two inventories field by field
version_added: 0.1.0
description:
  - Loads two inventories on the controller (for example staging and production), reads the declared connectors
    of every host in each (templated, with the vault secrets given on the command line), and lists connectors only
    on the left (removed), only on the right (added), and every field that differs between matched connectors.
  - Secret fields are compared in constant time and reported only as changed; their values never leave the plugin.
  - Hosts are lined up by what they are (O(match_by=role)) - C(app-staging) with C(app-production) - and
    hosts without a partner are listed apart as unmatched.
  - Differences the policy O(expected) expects (by default credentials, and host names, senders and web hooks that
    differ only by the environment's name) are marked C(expected) and shown apart from the unexpected ones (a
    throttle of 5 against 50, another CA file). O(ignore_fields) leaves fields out altogether.
  - Used by the playbook C(mailops.smtp.compare_environments); pass its result to M(mailops.smtp.audit_report) to
    write a report.
author:
  - mailops.smtp maintainers (@mailops)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.conn
  - ansible.builtin.action_common_attributes.flow
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
    details: Reading inventories changes nothing, so it runs the same way in check mode.
  connection:
    support: none
  delegation:
    support: none
    details: It always runs on the controller.
  diff_mode:
    support: none
  platform:
    platforms: all
options:
  left:
    description:
      - Inventory sources of the left side (the reference, for example staging), as given to C(-i).
        Relative paths are relative to the current directory.
    type: list
    elements: path
    required: true
  right:
    description: Inventory sources of the right side (for example production).
    type: list
    elements: path
    required: true
  variable:
    description: Host variable that holds the declared connectors.
    type: str
    default: smtp_connectors
  match_by:
    description:
      - How connectors of the two sides are paired.
      - V(role) pairs hosts whose names are the same once the environment names (O(environment_names)) are taken
        out of them (C(app-staging) and C(app-production) are both C(app)), then connectors of the same name on
        paired hosts. O(host_map) pairs hosts whose names do not line up.
      - V(host_name) pairs a connector with the one of the same name on the host of the same inventory name.
      - With V(role) and V(host_name), a host without a partner is listed in RV(unmatched_hosts) (its connectors
        are not reported as added or removed).
      - V(name) pairs connectors by name alone. When a name is on several hosts, the hosts are paired in sorted
        order.
    type: str
    choices: [role, host_name, name]
    default: role
  environment_names:
    description:
      - Environment names taken out of host names (to pair hosts) and out of values (for rules with
        C(environment_names_only)). A name is taken out only where it stands as a word of a dotted or
        dashed name (C(smtp-staging.example.org), C(noreply@staging.example.org), C(app-staging)).
      - Default is the values of the host variable C(mailops_environment) in the two inventories, else
        C(production), C(prod), C(prd), C(preprod), C(staging), C(stage), C(stg), C(development), C(dev), C(qa),
        C(uat) and C(test).
    type: list
    elements: str
  host_map:
    description: Pairs of hosts given by hand (left host name as key, right host name as value), for names that do not line up.
    type: dict
    default: {}
  expected:
    description:
      - The expected-differences policy, declared once. A difference that a rule matches is returned with
        C(expected=true) and the rule's reason, and is shown apart in the report; it is not drift.
      - Default (when not given) - credentials (C(auth.username), C(auth.password), C(auth.*)) are expected to
        differ; C(host), C(senders), C(senders.*), C(reply_to) and C(webhook_url) are expected to differ only by the
        environment's name. An empty list expects nothing.
    type: list
    elements: dict
    suboptions:
      fields:
        description: Dotted field paths (shell-style wildcards allowed, a parent path covers what is below it).
        type: list
        elements: str
        required: true
      environment_names_only:
        description:
          - Expect the difference only when the two values are equal once the environment names are taken out of
            them (C(smtp-staging.example.org) against C(smtp.example.org)). Never true for secret fields.
        type: bool
        default: false
      reason:
        description: Why the difference is expected, shown in the report.
        type: str
  ignore_fields:
    description:
      - Dotted field paths whose differences are expected and left out, for example C(host), C(auth.username),
        C(senders) (a parent path ignores everything below it). Shell-style wildcards are allowed (C(senders.*)).
    type: list
    elements: str
    default: []
notes:
  - Only the variable named by O(variable) is templated, so only the vaulted values it references are decrypted.
seealso:
  - module: mailops.smtp.audit_report
  - plugin: mailops.smtp.connector_diff
    plugin_type: filter
'''

EXAMPLES = r'''
- name: Compare staging with production; hosts are lined up by role, expected differences marked
  mailops.smtp.inventory_diff:
    left: inventories/staging
    right: inventories/production
  register: staging_vs_production

- name: Fail on anything the policy does not expect
  ansible.builtin.assert:
    that: not staging_vs_production.unexpected
    fail_msg: "{{ staging_vs_production.differences | rejectattr('expected') | map(attribute='field') | join(', ') }}"

- name: Declare the policy once (test recipients may differ too) and pair a renamed host by hand
  mailops.smtp.inventory_diff:
    left: inventories/staging
    right: inventories/production
    host_map:
      campus-staging: campus-new-production
    expected:
      - fields: [auth]
        reason: credentials are each environment's own
      - fields: [host, senders.*, webhook_url]
        environment_names_only: true
        reason: the environment's own names
      - fields: [test.to]
        reason: production tests also reach the on-call team
'''

RETURN = r'''
different:
  description: True when a connector was added or removed, a field differs or a host is unmatched.
  returned: always
  type: bool
unexpected:
  description:
    - True when a connector was added or removed, a host is unmatched, or a field differs that the policy
      O(expected) does not expect.
  returned: always
  type: bool
unmatched_hosts:
  description:
    - Hosts that declare connectors but have no partner in the other inventory, per side, with their number
      of connectors (always empty with O(match_by=name)).
  returned: always
  type: dict
  sample: {"left": [{"host": "campus-staging", "connectors": 1}], "right": []}
expected:
  description: The expected-differences policy used.
  returned: always
  type: list
  elements: dict
environment_names:
  description: The environment names taken out of host names and values.
  returned: always
  type: list
  elements: str
added:
  description: Connectors only on the right side.
  returned: always
  type: list
  elements: dict
  sample: [{"host": "app-production", "connector": "bulk"}]
removed:
  description: Connectors only on the left side.
  returned: always
  type: list
  elements: dict
  sample: [{"host": "app-staging", "connector": "sandbox"}]
differences:
  description:
    - One entry per differing field of matched connectors, with C(connector), C(field) (dotted path), C(left),
      C(right), C(status) (C(changed), C(added) or C(removed)), C(secret), C(left_host), C(right_host),
      C(expected) (the policy expects it) and C(expected_because) (the rule's reason).
    - For secret fields C(left) and C(right) are null.
  returned: always
  type: list
  elements: dict
  sample: [{"connector": "relay", "field": "delivery.throttle_per_second", "left": 5, "right": 50,
            "status": "changed", "secret": false, "left_host": "app-staging", "right_host": "app-production",
            "expected": false, "expected_because": null}]
pairs:
  description: Matched connectors with their number of differences.
  returned: always
  type: list
  elements: dict
left_hosts:
  description: Hosts of the left inventory that declare connectors.
  returned: always
  type: int
right_hosts:
  description: Hosts of the right inventory that declare connectors.
  returned: always
  type: int
left_connectors:
  description: Connectors declared in the left inventory.
  returned: always
  type: int
right_connectors:
  description: Connectors declared in the right inventory.
  returned: always
  type: int
left_source:
  description: The left inventory sources, comma-separated.
  returned: always
  type: str
right_source:
  description: The right inventory sources, comma-separated.
  returned: always
  type: str
match_by:
  description: The matching used.
  returned: always
  type: str
ignore_fields:
  description: The ignored fields.
  returned: always
  type: list
  elements: str
'''
