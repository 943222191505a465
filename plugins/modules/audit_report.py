# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# The work is done by the action plugin plugins/action/audit_report.py on the controller.

from __future__ import annotations

DOCUMENTATION = r'''
---
module: audit_report
short_description: Write an SMTP connector audit or environment comparison report (JSON, Markdown, HTML, JUnit)
version_added: 0.1.0
description:
  - Builds a report from what each host really has (the C(gathered) result of M(mailops.smtp.connector))
    compared with its declared connectors, or from the result of M(mailops.smtp.inventory_diff), and writes it
    on the controller as JSON (for machines), Markdown (for a ticket or pull request) and a self-contained HTML page
    (inline styles, no scripts, no external assets) with a summary at the top, the generation time, the inventory
    source and a table of hosts, connectors and fields with drift highlighted. A JUnit XML file is optional.
  - Secret fields appear only as C(changed) or C(unchanged), never with their value.
  - Every file is written atomically (a temporary file in the same directory, then a rename).
  - Used by the playbooks C(mailops.smtp.audit) (which collects the results of all hosts and writes one report)
    and C(mailops.smtp.compare_environments).
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
    details: In check mode the report is built and returned, but no file is written.
  connection:
    support: none
  delegation:
    support: none
    details: It always runs on the controller; use O(ignore:run_once=true) so the report is written once.
  diff_mode:
    support: none
  platform:
    platforms: all
options:
  results:
    description:
      - Audit input, one entry per inventory host. Each value is a dict with C(declared) (the host's declared
        connectors, best passed through the P(mailops.smtp.redact#filter) filter), C(gathered) (the C(gathered)
        list returned by M(mailops.smtp.connector)), and optionally C(error) (why the host could not be read),
        C(content_drift) (the C(content_drift) result of the V(template) format, true when the file was edited since it was
        written), C(format) and C(path) (shown in the report).
      - Secret drift is taken from C(gathered), where a secret is C(changed) or C(unchanged); declared secret values
        are not needed.
      - Exactly one of O(results) and O(comparison) is required.
    type: dict
  comparison:
    description:
      - Comparison input, the registered result of M(mailops.smtp.inventory_diff).
      - Exactly one of O(results) and O(comparison) is required.
    type: dict
  dest:
    description: Directory the report files are written to; created when missing. Relative to the current directory.
    type: path
    required: true
  basename:
    description: File name, without extension, of the report files. Default C(audit) or C(comparison).
    type: str
  formats:
    description: Report formats to write, as C(<basename>.json), C(<basename>.md) and C(<basename>.html).
    type: list
    elements: str
    choices: [json, markdown, html]
    default: [json, markdown, html]
  junit:
    description: Path of a JUnit XML file to write as well, one test case per host and connector (or per connector pair).
    type: path
  inventory_source:
    description: The inventory the audit ran on, shown in the report header.
    type: str
    default: ""
  ignore_fields:
    description:
      - Dotted field paths whose differences are expected and not reported, for example fields a file format cannot
        store. A parent path ignores everything below it; shell-style wildcards are allowed.
      - Only used with O(results); for a comparison give them to M(mailops.smtp.inventory_diff).
    type: list
    elements: str
    default: []
  fail_on_drift:
    description:
      - Fail the task (and so the playbook, with a non-zero exit status) after writing the report when any drift
        or difference is found, or when a host could not be read.
    type: bool
    default: false
  evidence:
    description:
      - Verification evidence gathered in the same play, shown next to declared-vs-actual so that one document per
        environment holds both. Keys C(probe), C(tls_check), C(test_send) and C(dns_check), each the registered
        result of that module (any may be left out).
      - The report keeps per connector the probe's status and the stage it reached, the certificate's days left and
        expiry, and the last verified delivery (C(last_verified) of M(mailops.smtp.test_send)), and the DNS
        verdicts per target and check; never a setting or a secret.
      - Only used with O(results). Evidence does not count as drift.
    type: dict
seealso:
  - module: mailops.smtp.inventory_diff
  - plugin: mailops.smtp.connector_diff
    plugin_type: filter
  - plugin: mailops.smtp.redact
    plugin_type: filter
'''

EXAMPLES = r'''
- name: Read what each host really has
  mailops.smtp.connector:
    state: gathered
    config: "{{ smtp_connectors }}"
    format: "{{ smtp_connector_format }}"
    path: "{{ smtp_connector_path }}"
  register: current

- name: Write the audit report of this host, on the controller
  mailops.smtp.audit_report:
    results:
      "{{ inventory_hostname }}":
        declared: "{{ smtp_connectors | mailops.smtp.redact }}"
        gathered: "{{ current.gathered }}"
        format: json
        path: /etc/myapp/smtp.json
    dest: ./mailops-audit
    inventory_source: "{{ ansible_inventory_sources | join(', ') }}"
    junit: ./mailops-audit/junit.xml
    fail_on_drift: true
  check_mode: false

- name: Verify the relays in the same play
  mailops.smtp.probe:
    connectors: "{{ smtp_connectors }}"
    fail_on: [never]
  register: relay_probe

- name: Check their certificates
  mailops.smtp.tls_check:
    connectors: "{{ smtp_connectors }}"
    fail_on: [never]
  register: relay_tls

- name: One document with declared-vs-actual and the verification evidence
  mailops.smtp.audit_report:
    results:
      "{{ inventory_hostname }}":
        declared: "{{ smtp_connectors | mailops.smtp.redact }}"
        gathered: "{{ current.gathered }}"
    evidence:
      probe: "{{ relay_probe }}"
      tls_check: "{{ relay_tls }}"
    dest: ./mailops-audit
  check_mode: false

- name: Write a comparison of staging and production
  mailops.smtp.audit_report:
    comparison: "{{ staging_vs_production }}"
    dest: ./mailops-compare
    formats: [json, markdown]
'''

RETURN = r'''
files:
  description: Paths of the files written (or that would be written in check mode), by format.
  returned: always
  type: dict
  sample: {"json": "./mailops-audit/audit.json", "markdown": "./mailops-audit/audit.md",
           "html": "./mailops-audit/audit.html", "junit": "./mailops-audit/junit.xml"}
drift:
  description: True when any drift (audit) or difference (comparison) was found.
  returned: always
  type: bool
summary:
  description:
    - Counts shown at the top of the report. For an audit C(hosts), C(hosts_with_drift), C(hosts_with_errors),
      C(connectors), C(connectors_with_drift), C(drifted_fields), C(missing_connectors), C(unexpected_connectors);
      for a comparison C(left_hosts), C(right_hosts), C(unmatched_hosts), C(left_connectors), C(right_connectors),
      C(added_connectors), C(removed_connectors), C(changed_connectors), C(changed_fields), C(unexpected_fields),
      C(expected_fields).
  returned: always
  type: dict
  sample: {"hosts": 2, "hosts_with_drift": 1, "hosts_with_errors": 0, "connectors": 3, "connectors_with_drift": 1,
           "drifted_fields": 1, "missing_connectors": 0, "unexpected_connectors": 0}
evidence:
  description: Counts of the verification evidence (O(evidence)) - C(connectors), C(probe_problems),
    C(tls_problems), C(delivery_problems), C(dns_problems) and C(certificate_days_left_min).
  returned: when O(evidence) was given
  type: dict
  sample: {"connectors": 1, "probe_problems": 0, "tls_problems": 0, "delivery_problems": 0, "dns_problems": 0,
           "certificate_days_left_min": 364}
'''
