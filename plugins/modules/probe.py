#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Probe SMTP connectors without sending mail."""

from __future__ import annotations

DOCUMENTATION = r'''
---
module: probe
short_description: Probe SMTP connectors (banner, EHLO, STARTTLS, TLS, AUTH) without sending mail
version_added: 0.1.0
description:
  - Opens one SMTP session per connector, concurrently, and walks it as far as the connector allows
    - connect, banner, EHLO, STARTTLS (per the connector's O(connectors[].starttls) policy), TLS verification,
    EHLO again, AUTH with the declared mechanism, optionally C(MAIL FROM) each declared sender and
    C(RCPT TO) the test recipients - then C(RSET) and C(QUIT). It never sends C(DATA).
  - Every failure is classified (category, retryable, stage, SMTP and enhanced code, and a hint a
    person can act on); see C(docs/troubleshooting.md).
  - With O(connectors[].security=starttls) and O(connectors[].starttls=required), neither AUTH nor
    MAIL is ever sent on an unencrypted link. With O(connectors[].starttls=opportunistic) and a server
    without STARTTLS, the result carries a warning and credentials are not sent unless
    O(connectors[].allow_plaintext_auth=true).
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
    details: The module changes nothing; check mode runs the same probe.
  diff_mode:
    support: none
  platform:
    platforms: posix
  idempotent:
    description: Running the task again with the same options changes nothing more.
    support: full
options:
  mail_from:
    description:
    - Also send C(MAIL FROM) for each address in O(connectors[].senders) (followed by C(RSET)), to see
      whether the server lets this account send as each of them.
    type: bool
    default: false
  rcpt_to:
    description:
    - Also send C(MAIL FROM) the test sender and C(RCPT TO) each address of O(connectors[].test.to),
      then C(RSET). Nothing is delivered.
    type: bool
    default: false
seealso:
  - module: mailops.smtp.tls_check
  - module: mailops.smtp.test_send
'''

EXAMPLES = r'''
- name: Probe every connector of this host from the controller
  mailops.smtp.probe:
    connectors: "{{ smtp_connectors }}"
  delegate_to: localhost

- name: Probe and check senders and recipients, failing only on authentication problems
  mailops.smtp.probe:
    connectors: "{{ smtp_connectors }}"
    mail_from: true
    rcpt_to: true
    fail_on: [auth]
  delegate_to: localhost
  register: probe

- name: Show what each connector reached
  ansible.builtin.debug:
    msg: "{{ item.name }}: {{ item.status }} ({{ item.stage_reached }}) {{ item.error.hint | default('') }}"
  loop: "{{ probe.results }}"

- name: Probe a fleet of connectors; keep the facts of those with problems only
  mailops.smtp.probe:
    connectors: "{{ fleet_connectors }}"
    concurrency: 100
    details: problems
  delegate_to: localhost
'''

RETURN = r'''
results:
  description:
    - One entry per connector, in the order given.
    - With O(details=problems), the entry of a connector whose C(status) is V(ok) leaves out C(banner), C(capabilities),
      C(capabilities_before_tls), C(tls), C(auth), C(senders), C(recipients) and C(timings).
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: Connector name.
      type: str
      sample: district-relay
    host:
      description: Host connected to.
      type: str
      sample: smtp.example.org
    port:
      description: Port connected to.
      type: int
      sample: 587
    security:
      description: The connector's security mode.
      type: str
      sample: starttls
    starttls:
      description: STARTTLS policy (only for security starttls).
      type: str
      sample: required
    status:
      description: V(ok), V(warning) (succeeded with warnings) or V(failed).
      type: str
      sample: ok
    stage_reached:
      description: Last stage completed (dns, connect, banner, ehlo, starttls, auth, mail, rcpt).
      type: str
      sample: auth
    banner:
      description: The server's greeting (code and text).
      type: str
      sample: 220 smtp.example.org ESMTP
    capabilities:
      description: EHLO capabilities on the final link (after STARTTLS when it was used).
      type: dict
      sample: {"size_limit": 35882577, "auth_mechanisms": ["LOGIN", "PLAIN"], "pipelining": true,
               "8bitmime": true, "smtputf8": true, "starttls": false, "chunking": true, "dsn": false,
               "enhancedstatuscodes": true, "keywords": ["8BITMIME", "AUTH", "SIZE"]}
    capabilities_before_tls:
      description: EHLO capabilities before STARTTLS (security starttls only), null otherwise.
      type: dict
    tls:
      description: Negotiated TLS, null on a clear-text link.
      type: dict
      contains:
        version:
          description: Protocol version.
          type: str
          sample: TLSv1.3
        cipher:
          description: Cipher suite.
          type: str
          sample: TLS_AES_256_GCM_SHA384
        bits:
          description: Secret bits of the cipher.
          type: int
          sample: 256
        verified:
          description: Whether the chain and name were verified.
          type: bool
        server_name:
          description: Name verified and sent as SNI.
          type: str
        peer_certificate:
          description: Summary of the server certificate (subject, issuer, names, validity, days_left, fingerprints).
          type: dict
    encrypted:
      description: Whether the session was encrypted when it ended.
      type: bool
    auth:
      description: Mechanism used, username and whether AUTH succeeded; null without O(connectors[].auth).
      type: dict
      sample: {"mechanism": "PLAIN", "authenticated": true, "username": "mailer@example.org"}
    senders:
      description: With O(mail_from), per sender purpose the address and whether C(MAIL FROM) was accepted.
      type: dict
      sample: {"default": {"address": "noreply@example.org", "accepted": true, "reply": null}}
    recipients:
      description: With O(rcpt_to), per test recipient whether C(RCPT TO) was accepted.
      type: dict
    timings:
      description: Milliseconds per stage, and C(total).
      type: dict
      sample: {"dns": 0.4, "connect": 0.3, "banner": 2.1, "ehlo": 0.6, "starttls": 5.2, "auth": 0.8, "total": 11.0}
    attempts:
      description: Sessions opened (1 plus retries used).
      type: int
      sample: 1
    warnings:
      description: Warnings for this connector (also emitted as task warnings).
      type: list
      elements: str
    findings:
      description:
      - Mismatches between what the connector declares and what the server's EHLO offers
        (see C(docs/troubleshooting.md)). A finding of severity V(error) fails the connector.
      - V(attachment_exceeds_size) compares O(connectors[].attachments.max_size_mb) (when declared) with the
        advertised SIZE, counting base64 growth and headers; V(auth_mechanisms_not_offered) and
        V(auth_mechanisms_partly_offered) compare O(connectors[].auth.mechanisms) with the AUTH mechanisms offered;
        V(sender_needs_smtputf8), V(sender_domain_needs_idna) and V(display_name_needs_encoding) compare non-ASCII
        senders with SMTPUTF8 and 8BITMIME.
      type: list
      elements: dict
      contains:
        id:
          description: What was found.
          type: str
          sample: attachment_exceeds_size
        category:
          description: Category, as for RV(results[].error.category).
          type: str
          sample: message
        severity:
          description: V(error) or V(warning).
          type: str
          sample: error
        message:
          description: What was compared, with the numbers.
          type: str
        hint:
          description: What to change.
          type: str
        details:
          description: The numbers or lists compared.
          type: dict
          sample: {"max_size_mb": 25, "attachment_bytes": 26214400, "wire_bytes": 35880532, "size_limit": 26214400,
                   "largest_attachment_bytes": 19150689, "largest_max_size_mb": 18.2}
    error:
      description: Classification of the failure, null when the probe succeeded.
      type: dict
      contains:
        category:
          description: Failure category (see C(docs/troubleshooting.md)).
          type: str
          sample: auth
        retryable:
          description: Whether the failure is temporary (it was retried before being reported).
          type: bool
        stage:
          description: Stage at which it failed.
          type: str
          sample: auth
        smtp_code:
          description: SMTP reply code, if the server answered.
          type: int
          sample: 535
        enhanced_code:
          description: RFC 3463 enhanced status code, if given.
          type: str
          sample: 5.7.8
        message:
          description: The server's reply or the error text (secrets scrubbed).
          type: str
        hint:
          description: What to do about it.
          type: str
    changed:
      description: Always false.
      type: bool
summary:
  description: Counts over all connectors.
  returned: always
  type: dict
  sample: {"total": 3, "ok": 2, "warning": 0, "failed": 1, "categories": {"auth": 1}}
metrics_file:
  description: With O(metrics_file) - C(path), C(written) (false in check mode) and C(samples) (how many it holds).
  returned: when O(metrics_file) is set
  type: dict
  sample: {"path": "/var/lib/node_exporter/textfile/mailops_smtp_probe.prom", "written": true, "samples": 42}
'''

from ansible_collections.mailops.smtp.plugins.module_utils._metrics import argument_spec as metrics_argument_spec
from ansible_collections.mailops.smtp.plugins.module_utils._smtp.tasks import (
    check_argument_spec,
    details_argument_spec,
    run_probe,
)
from ansible_collections.mailops.smtp.plugins.module_utils._validate import checked_module


def main():
    module = checked_module(
        check_argument_spec(
            mail_from={"type": "bool", "default": False},
            rcpt_to={"type": "bool", "default": False},
            **details_argument_spec(),
            **metrics_argument_spec()
        ),
        "connectors",
        supports_check_mode=True,
    )
    run_probe(module)


if __name__ == "__main__":
    main()
