# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Filter: field-by-field differences between declared connectors and another list of them."""

from __future__ import annotations

DOCUMENTATION = r'''
name: connector_diff
short_description: Field-by-field differences between two lists of SMTP connectors
version_added: 0.1.0
author: mailops.smtp maintainers (@mailops)
description:
  - Compares declared SMTP connectors (the input) with another list, typically the
    C(gathered) result of M(mailops.smtp.connector), and returns one entry per difference.
  - Both sides are normalized first (defaults made explicit), so a field left at its default
    on one side and written out on the other is not a difference.
  - Connectors are matched by C(name). Nested fields are named by dotted paths
    (C(tls.verify), C(senders.portal), C(delivery.max_errors)); lists are compared whole.
  - Secret fields (C(auth.password)) never carry values in the output. Their drift is reported
    only as an entry with C(status=changed) and C(secret=true), with C(declared) and C(actual) set to null.
  - Used by the C(mailops.smtp.audit) playbook through M(mailops.smtp.audit_report); usable on its own.
positional: actual
options:
  _input:
    description: The declared connectors (for example C(smtp_connectors)). A single connector dict is taken as a list of one.
    type: list
    elements: dict
    required: true
  actual:
    description:
      - The connectors to compare with, for example the C(gathered) list returned by
        M(mailops.smtp.connector) with O(mailops.smtp.connector#module:state=gathered),
        or another environment's C(smtp_connectors).
    type: list
    elements: dict
    required: true
  ignore_fields:
    description:
      - Dotted field paths whose differences are expected and left out, for example C(host),
        C(auth.username) or C(senders) (a parent path ignores everything below it). Shell-style
        wildcards are allowed (C(senders.*), C(tls.*)).
    type: list
    elements: str
    default: []
  secret_states:
    description:
      - When true, a secret field of O(actual) that holds the word C(changed) or C(unchanged) is
        taken as the state of the secret relative to the declared value, as returned by
        C(gathered). A secret left out of O(actual) while its siblings are present counts as
        not readable and is not reported.
      - Set it to false when O(actual) holds real values (comparing two inventories); the secrets
        are then compared in constant time, and still only the state is returned.
    type: bool
    default: true
'''

EXAMPLES = r'''
- name: Read what the host really has
  mailops.smtp.connector:
    state: gathered
    config: "{{ smtp_connectors }}"
    format: json
    path: /etc/myapp/smtp.json
  register: current

- name: Show the drift, field by field (secrets only as changed)
  ansible.builtin.debug:
    msg: "{{ smtp_connectors | mailops.smtp.connector_diff(current.gathered) }}"

- name: Fail when any field other than the description drifted
  ansible.builtin.assert:
    that:
      - smtp_connectors | mailops.smtp.connector_diff(current.gathered, ignore_fields=['description']) | length == 0
    fail_msg: "SMTP settings on {{ inventory_hostname }} differ from the inventory"

- name: Compare two declared lists (real secret values on both sides)
  ansible.builtin.set_fact:
    staging_vs_production: >-
      {{ staging_connectors | mailops.smtp.connector_diff(production_connectors,
         ignore_fields=['host', 'auth.username'], secret_states=false) }}
'''

RETURN = r'''
_value:
  description:
    - One entry per difference, in declared order, then connectors only found in O(actual).
    - An empty list means no drift.
  type: list
  elements: dict
  contains:
    connector:
      description: Name of the connector.
      type: str
    field:
      description: Dotted path of the field, or null when the whole connector is missing or unexpected.
      type: str
    declared:
      description: The declared value; null for secrets, for whole connectors and for unexpected fields.
      type: raw
    actual:
      description: The value in O(actual); null for secrets, for whole connectors and for missing fields.
      type: raw
    status:
      description: >-
        V(changed) (both sides have the field, with different values), V(missing) (declared, absent in O(actual))
        or V(unexpected) (in O(actual), not declared).
      type: str
      choices: [changed, missing, unexpected]
    secret:
      description: True for a secret field, whose values are never returned.
      type: bool
'''

from ansible.errors import AnsibleFilterError

from ansible_collections.mailops.smtp.plugins.module_utils._report import DiffError, connector_diff


def _connector_diff(declared, actual, ignore_fields=None, secret_states=True):
    if ignore_fields is None:
        ignore_fields = []
    if isinstance(ignore_fields, str):
        ignore_fields = [ignore_fields]
    if not isinstance(ignore_fields, (list, tuple)) or not all(isinstance(f, str) for f in ignore_fields):
        raise AnsibleFilterError("connector_diff: ignore_fields must be a list of dotted field paths, "
                                 "for example ['host', 'auth.username']")
    if not isinstance(secret_states, bool):
        raise AnsibleFilterError("connector_diff: secret_states must be true or false")
    try:
        return connector_diff(declared, actual, ignore_fields=ignore_fields, secret_states=secret_states)
    except DiffError as exc:
        raise AnsibleFilterError("connector_diff: %s" % exc) from None


class FilterModule:
    """Connector diff filter."""

    def filters(self):
        return {"connector_diff": _connector_diff}
