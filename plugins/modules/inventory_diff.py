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
  - Expected differences (host names, usernames, sender domains) are left out with O(ignore_fields), so what remains
    is exactly what an auditor needs to review.
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
      - C(host_name) pairs a connector with the one of the same name on the host of the same inventory name.
      - C(name) pairs connectors by name alone, for inventories whose host names differ (C(app-staging),
        C(app-production)). When a name is on several hosts, the hosts are paired in sorted order.
    type: str
    choices: [host_name, name]
    default: host_name
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
- name: Compare staging with production, expecting host names and sender domains to differ
  mailops.smtp.inventory_diff:
    left: inventories/staging
    right: inventories/production
    match_by: name
    ignore_fields:
      - host
      - auth.username
      - senders
  register: staging_vs_production

- name: Fail on anything else
  ansible.builtin.assert:
    that: not staging_vs_production.different
    fail_msg: "{{ staging_vs_production.differences | map(attribute='field') | join(', ') }}"
'''

RETURN = r'''
different:
  description: True when a connector was added or removed or a field differs.
  returned: always
  type: bool
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
      C(right), C(status) (C(changed), C(added) or C(removed)), C(secret), C(left_host) and C(right_host).
    - For secret fields C(left) and C(right) are null.
  returned: always
  type: list
  elements: dict
  sample: [{"connector": "relay", "field": "delivery.throttle_per_second", "left": 5, "right": 50,
            "status": "changed", "secret": false, "left_host": "app-staging", "right_host": "app-production"}]
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
