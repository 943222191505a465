#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Check the TLS side of SMTP connectors: certificate, protocol, STARTTLS enforcement, DANE."""

from __future__ import annotations

DOCUMENTATION = r'''
---
module: tls_check
short_description: Check certificates, TLS versions, STARTTLS enforcement and DANE of SMTP connectors
version_added: 0.1.0
description:
  - For each connector (implicit TLS and STARTTLS alike), concurrently, connects and reports the certificate
    side of the link as findings, each with a category, a severity and a hint.
  - Chain verification against the system trust store or O(connectors[].tls.ca_file); hostname match against
    O(connectors[].tls.server_name) (needed when O(connectors[].host) is an IP address) or the host.
  - Days until expiry against O(min_days_valid); negotiated protocol version against O(connectors[].tls.min_version).
  - For STARTTLS connectors, whether STARTTLS is advertised, and whether the server refuses C(MAIL FROM) before
    STARTTLS. A server that accepts C(MAIL FROM) in clear text is an error finding when the connector's
    O(connectors[].starttls) is V(required), a warning otherwise. Nothing is sent after C(MAIL FROM) (C(RSET)).
  - DANE, with O(dane=true) - fetches the TLSA records for the port and host name with dnspython and reports
    whether the presented certificate matches them (usages 1 and 3; usages 0 and 2 need the peer chain, which
    Python exposes from 3.13 on).
  - When verification fails, a second session without verification collects the certificate facts, so an expired
    or misnamed certificate is described, not only rejected. No credentials are sent by this module.
author:
  - mailops.smtp maintainers (@mailops)
extends_documentation_fragment:
  - mailops.smtp.connector
  - mailops.smtp.checks
  - mailops.smtp.checks.details
  - mailops.smtp.metrics
  - mailops.smtp.progress
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.flow
attributes:
  check_mode:
    support: full
    details: The module changes nothing; check mode runs the same checks.
  diff_mode:
    support: none
  platform:
    platforms: posix
  idempotent:
    description: Running the task again with the same options changes nothing more.
    support: full
options:
  min_days_valid:
    description:
    - A certificate that expires in fewer days is an error finding (V(certificate_expiring)).
    type: int
    default: 21
  dane:
    description:
    - Look up the TLSA records of C(_PORT._tcp.NAME) (NAME is O(connectors[].tls.server_name) or the host)
      and match them against the presented certificate. Skipped for IP addresses and loopback names.
    type: bool
    default: true
requirements:
  - dnspython on the host the task runs on, for O(dane=true) (without it, DANE is reported as unchecked with a warning)
  - cryptography on the host the task runs on, for certificate details
seealso:
  - module: mailops.smtp.probe
  - module: mailops.smtp.test_send
'''

EXAMPLES = r'''
- name: Check the certificates of all connectors, 30 days ahead
  mailops.smtp.tls_check:
    connectors: "{{ smtp_connectors }}"
    min_days_valid: 30
  delegate_to: localhost

- name: Check DANE through a validating resolver, failing only on certificate and DANE problems
  mailops.smtp.tls_check:
    connectors: "{{ smtp_connectors }}"
    dns_nameservers: [192.0.2.53]
    fail_on: [tls_certificate, dane]
  delegate_to: localhost
  register: tls

- name: Certificates of a fleet, described only where something is wrong
  mailops.smtp.tls_check:
    connectors: "{{ fleet_connectors }}"
    details: problems
  delegate_to: localhost
'''

RETURN = r'''
results:
  description:
    - One entry per connector, in the order given.
    - With O(details=problems), the entry of a connector whose C(status) is V(ok) leaves out C(tls), C(certificate), C(dane) and C(timings).
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: Connector name.
      type: str
    host:
      description: Host connected to.
      type: str
    port:
      description: Port connected to.
      type: int
    security:
      description: The connector's security mode.
      type: str
    starttls:
      description: STARTTLS policy (only for security starttls).
      type: str
    status:
      description: V(ok), V(warning) (warning findings only) or V(failed) (an error finding or a failed session).
      type: str
      sample: failed
    tls:
      description: Negotiated protocol and cipher, and whether verification succeeded (C(verify_error) otherwise).
      type: dict
      sample: {"version": "TLSv1.3", "cipher": "TLS_AES_256_GCM_SHA384", "bits": 256, "verified": true,
               "server_name": "smtp.example.org", "verify_error": null}
    certificate:
      description: Facts of the presented certificate (subject, issuer, dns_names, ip_addresses, not_before,
        not_after, days_left, expired, sha256, spki_sha256, name_matches, ...).
      type: dict
    starttls_advertised:
      description: For security starttls, whether the server offered STARTTLS; null otherwise.
      type: bool
    starttls_enforced:
      description: For security starttls, whether the server refused C(MAIL FROM) before STARTTLS; null when
        not applicable or not determinable.
      type: bool
    dane:
      description: TLSA lookup and match (C(status) is V(match), V(mismatch), V(none), V(unchecked), V(error)
        or V(not_applicable)), with the records, C(dnssec) (AD flag) and the matched records.
      type: dict
      sample: {"status": "match", "name": "_25._tcp.mx.example.org.", "dnssec": true, "records": [], "matched": []}
    findings:
      description: What is wrong or worth knowing.
      type: list
      elements: dict
      contains:
        id:
          description: >-
            Stable id - certificate_expired, certificate_name_mismatch, certificate_untrusted, certificate_expiring,
            tls_version_below_minimum, starttls_not_enforced, starttls_not_advertised, dane_mismatch, no_tls.
          type: str
        category:
          description: Category, as used by O(fail_on).
          type: str
        severity:
          description: V(error) or V(warning).
          type: str
        message:
          description: What was found.
          type: str
        hint:
          description: What to do about it.
          type: str
    error:
      description: Classification of a session failure (no TLS could be established), as in M(mailops.smtp.probe).
      type: dict
    warnings:
      description: Warnings for this connector.
      type: list
      elements: str
    timings:
      description: Milliseconds per stage of the last session, and C(total).
      type: dict
    attempts:
      description: Attempts used (1 plus retries).
      type: int
    changed:
      description: Always false.
      type: bool
summary:
  description: Counts over all connectors, with failed categories.
  returned: always
  type: dict
  sample: {"total": 2, "ok": 1, "warning": 0, "failed": 1, "categories": {"tls_certificate": 1}}
metrics_file:
  description: With O(metrics_file) - C(path), C(written) (false in check mode) and C(samples) (how many it holds).
  returned: when O(metrics_file) is set
  type: dict
  sample: {"path": "/var/lib/node_exporter/textfile/mailops_smtp_tls_check.prom", "written": true, "samples": 42}
'''

from ansible_collections.mailops.smtp.plugins.module_utils._metrics import argument_spec as metrics_argument_spec
from ansible_collections.mailops.smtp.plugins.module_utils._smtp.tasks import (
    check_argument_spec,
    details_argument_spec,
    run_tls_check,
)
from ansible_collections.mailops.smtp.plugins.module_utils._validate import checked_module


def main():
    module = checked_module(
        check_argument_spec(
            min_days_valid={"type": "int", "default": 21},
            dane={"type": "bool", "default": True},
            **details_argument_spec(),
            **metrics_argument_spec()
        ),
        "connectors",
        supports_check_mode=True,
    )
    run_tls_check(module)


if __name__ == "__main__":
    main()
