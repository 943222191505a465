# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Filter: replace every secret value of SMTP connectors by a marker."""

from __future__ import annotations

DOCUMENTATION = r'''
name: redact
short_description: Hide the secret fields of SMTP connectors
version_added: 0.1.0
author: mailops.smtp maintainers (@mailops)
description:
  - Returns a copy of the input with the value of every secret field (C(auth.password) and any
    field marked secret in the connector schema) replaced by a marker, so connectors can be
    printed, logged, written to reports or handed to other tools.
  - Takes one connector, a list of connectors, or any nested data (dicts and lists) that holds
    connectors under a C(smtp_connectors) or C(connectors) key or in lists of dicts with C(name)
    and C(host). Everything else is returned unchanged. The input is not modified.
  - A secret that is absent stays absent; an empty or templated secret is replaced as well.
options:
  _input:
    description: A connector, a list of connectors, or data holding connectors.
    type: raw
    required: true
  marker:
    description: Text put in place of each secret value.
    type: str
    default: "********"
'''

EXAMPLES = r'''
- name: Print the declared connectors without their passwords
  ansible.builtin.debug:
    msg: "{{ smtp_connectors | mailops.smtp.redact }}"

- name: Save the connectors of every host for a ticket, secrets hidden
  ansible.builtin.copy:
    content: "{{ hostvars | dict2items | map(attribute='value.smtp_connectors', default=[]) | mailops.smtp.redact | to_nice_yaml }}"
    dest: /tmp/connectors.yml
    mode: "0644"
  delegate_to: localhost
  run_once: true

- name: Use another marker
  ansible.builtin.debug:
    msg: "{{ smtp_connectors | mailops.smtp.redact(marker='<hidden>') }}"
'''

RETURN = r'''
_value:
  description: The input with every secret value replaced by O(marker).
  type: raw
'''

from ansible.errors import AnsibleFilterError

from ansible_collections.mailops.smtp.plugins.module_utils._model import REDACTED, redact

# Keys under which connectors live in inventories and module returns.
_CONNECTOR_KEYS = frozenset(["smtp_connectors", "connectors", "config", "gathered", "parsed"])


def _looks_like_connector(value):
    return isinstance(value, dict) and "name" in value and "host" in value


def _walk(value, marker, depth=0):
    if depth > 64:
        raise AnsibleFilterError("redact: the data is nested more than 64 levels deep")
    if _looks_like_connector(value):
        return redact(value, marker)
    if isinstance(value, dict):
        out = {}
        for key, sub in value.items():
            if key in _CONNECTOR_KEYS and isinstance(sub, list):
                out[key] = [redact(c, marker) if isinstance(c, dict) else _walk(c, marker, depth + 1) for c in sub]
            else:
                out[key] = _walk(sub, marker, depth + 1)
        return out
    if isinstance(value, (list, tuple)):
        return [_walk(v, marker, depth + 1) for v in value]
    return value


def _redact(data, marker=REDACTED):
    if not isinstance(marker, str):
        raise AnsibleFilterError("redact: marker must be a string, for example '********'")
    return _walk(data, marker)


class FilterModule:
    """Secret redaction filter."""

    def filters(self):
        return {"redact": _redact}
