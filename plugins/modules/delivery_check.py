#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Prove that a test message sent through each connector arrived, where, how fast, and how it was judged."""

from __future__ import annotations

DOCUMENTATION = r'''
---
module: delivery_check
short_description: Verify end to end that test messages sent through SMTP connectors arrive, and how receivers judge them
version_added: 0.1.0
description:
  - For each connector, concurrently and under one overall O(deadline), sends one test message through the
    connector as M(mailops.smtp.test_send) does, then looks for it over IMAP in the mailbox declared in
    O(connectors[].test.mailbox), and reports where it landed, how long it took and what the receiving side
    thought of it.
  - The message carries a unique token in an C(X-Mailops-Probe) header and in its C(Message-ID). The relay's
    reply to C(DATA) is recorded, with the queue id when the reply carries one (C(250 2.0.0 Ok - queued as 4XyZ)).
  - "The mailbox is searched in C(INBOX), in the folder the server marks C(\\Junk) (RFC 6154 SPECIAL-USE, never a
    guessed name) and in O(connectors[].test.mailbox.folders), waiting with backoff (IMAP IDLE where the server
    offers it) until the message arrives or the deadline passes. When O(connectors[].test.bounce_mailbox) is
    declared, the envelope sender's mailbox is searched at the same time for a delivery status notification
    (RFC 3464) about the probe."
  - "Status per connector: V(delivered), V(delivered_to_junk), V(bounced) (with the DSN's status and diagnostic),
    V(not_arrived) (the deadline passed), V(mailbox_error) (the mailbox could not be read, so nothing can be said),
    or the submission category of M(mailops.smtp.test_send) (V(auth), V(recipient), V(tls_certificate), ...) when
    the relay did not accept the message."
  - The received message is judged as a receiver would - the C(Received) chain (per-hop delays, clock skew, TLS on
    every hop after the relay); every DKIM signature verified by the module itself (keys fetched through O(dns)),
    with C(d=) alignment to the From domain under the DMARC C(adkim) mode, key size and whether C(h=) covers From;
    SPF (the collection's RFC 7208 evaluator) for the address the receiving server recorded and the Return-Path
    domain; DMARC from aligned SPF or DKIM and the policy that would apply. Only C(Authentication-Results) headers
    of the configured O(connectors[].test.mailbox.authserv_id) are trusted; others are listed as ignored. Where the
    module's verdict and the receiver's differ, the difference is reported.
  - Changes in transit are findings - a body that no longer matches what was sent (a footer), a rewritten From or
    Subject.
  - With O(cleanup=true), the module deletes its own probe messages (recognised by the C(X-Mailops-Probe) header,
    with C(UID EXPUNGE) where the server offers UIDPLUS), including those left by earlier runs and the bounces they
    caused. No other message is touched.
  - It is an idempotent task - a connector is tested only when its settings changed since its last verified
    delivery (remembered in O(state_file)), or with O(force=true).
author:
  - mailops.smtp maintainers (@mailops)
extends_documentation_fragment:
  - mailops.smtp.connector
  - mailops.smtp.checks
  - mailops.smtp.metrics
  - mailops.smtp.progress
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.flow
attributes:
  check_mode:
    support: full
    details: Check mode sends nothing and reads no mailbox. RV(results[].would_send) tells whether a run would send;
      for unchanged connectors the last verified result is reported (RV(results[].from_state)).
  diff_mode:
    support: none
  platform:
    platforms: posix
  idempotent:
    description: Running the task again with the same options changes nothing more.
    support: full
    details: A second run with the same settings sends nothing and reports C(changed=false) and the last verified
      result.
options:
  fail_on:
    description:
      - Which results fail the task.
      - V(failed) fails on any connector whose RV(results[].outcome) is V(failed) (a probe that did not arrive in
        the inbox, or a DKIM, SPF or DMARC failure); V(warning) also on connectors with warnings.
      - A delivery status (V(delivered_to_junk), V(bounced), V(not_arrived), V(mailbox_error)), a finding category
        (V(dkim), V(spf), V(dmarc), V(transit), V(tls), V(receiver)) or a submission category (V(auth),
        V(tls_certificate), ...) fails only on that. V(error) fails when the server or the mailbox was not reached;
        V(fail) and V(warn) are V(failed) and V(warning). V(never) (or an empty list) never fails; read
        RV(results) instead. The words mean the same in every check module (C(docs/checks.md)).
      - Statuses and categories are described in C(docs/troubleshooting.md).
    type: list
    elements: str
    default: [failed]
    choices: [failed, warning, delivered_to_junk, bounced, not_arrived, mailbox_error, dkim, spf, dmarc, transit,
              tls, receiver, error, never, fail, warn, dns, connection, tls_mode, tls_certificate, tls_protocol,
              starttls_unavailable, starttls_not_enforced, plaintext_auth_refused, auth, throttled, recipient, sender,
              policy, message, dane, protocol]
  deadline:
    description:
      - Overall seconds for the whole task, from the first send to the last mailbox search (5 to 3600). Connectors
        run concurrently, so the task takes about as long as the slowest delivery plus a small constant.
      - A message not found by then is V(not_arrived).
    type: int
    default: 120
  force:
    description:
      - Send and verify even when a connector's settings did not change since its last verified delivery.
    type: bool
    default: false
  state_file:
    description:
      - Where the fingerprints and results of verified deliveries are kept, on the host the task runs on (mode
        0600; its key in C(STATE_FILE.key), also 0600). Default C(~/.ansible/mailops_smtp/delivery_check_state.json).
      - Secrets enter a fingerprint only as a keyed hash; results are stored without secrets.
    type: path
  cleanup:
    description:
      - Delete this module's own probe messages and the bounces they caused from the mailboxes after judging them,
        including those of earlier runs. Messages without the module's probe header are never touched.
    type: bool
    default: true
  dns:
    description:
      - Resolver for DKIM keys, SPF and DMARC records, as M(mailops.smtp.dns_check) takes it.
    type: dict
    default: {}
    suboptions:
      nameservers:
        description:
          - Resolvers (or authoritative servers) to ask, as C(address) or C(address:port); IPv6 as C([address]:port).
          - Default is the resolver of the host the module runs on (C(/etc/resolv.conf)).
        type: list
        elements: str
        default: []
      port:
        description:
          - Port for the entries of O(dns.nameservers) that do not name one.
        type: int
        default: 53
      timeout:
        description:
          - Seconds per DNS question.
        type: float
        default: 5.0
requirements:
  - aiosmtplib >= 3.0 and dnspython >= 2.4 where the module runs
  - dkimpy >= 1.1 where the module runs (DKIM verification; without it signatures are reported as not verified)
notes:
  - The DMARC organizational domain is taken as the last two labels of the domain (no Public Suffix List is
    consulted), as in M(mailops.smtp.dns_check).
  - A connector without O(connectors[].test.mailbox) cannot be verified; the task fails naming the field.
  - Mailbox passwords, like C(auth.password), never appear in results, warnings or errors; IMAP error texts are
    scrubbed of them.
seealso:
  - module: mailops.smtp.test_send
  - module: mailops.smtp.dns_check
'''

EXAMPLES = r'''
- name: Verify that mail from each changed connector arrives in the test mailbox
  mailops.smtp.delivery_check:
    connectors: "{{ smtp_connectors }}"
  delegate_to: localhost

- name: Verify every connector now, through a given resolver, failing only on Junk placement and bounces
  mailops.smtp.delivery_check:
    connectors: "{{ smtp_connectors }}"
    force: true
    deadline: 300
    dns:
      nameservers: [192.0.2.53]
    fail_on: [delivered_to_junk, bounced, not_arrived]
  delegate_to: localhost
  register: delivery

- name: Show where each message landed and how long it took
  ansible.builtin.debug:
    msg: "{{ item.connector }}: {{ item.status }} in {{ item.delay_seconds }}s ({{ item.folder }})"
  loop: "{{ delivery.results }}"

- name: What would be tested? (sends nothing, reports the last verified results)
  mailops.smtp.delivery_check:
    connectors: "{{ smtp_connectors }}"
  check_mode: true
  delegate_to: localhost
'''

RETURN = r'''
results:
  description: One entry per connector, in the order given.
  returned: always
  type: list
  elements: dict
  contains:
    connector:
      description: Connector name.
      type: str
      sample: district-relay
    status:
      description:
        - V(delivered), V(delivered_to_junk), V(bounced), V(not_arrived), V(mailbox_error), a submission category
          (see M(mailops.smtp.test_send)) when the relay refused, or V(not_checked) in check mode when no earlier
          verified result is known.
      type: str
      sample: delivered
    outcome:
      description: V(ok), V(warning) or V(failed), what O(fail_on) reads.
      type: str
    hint:
      description: What the status means and what to do about it.
      type: str
    findings:
      description: Each problem found, with C(category) (V(junk), V(bounce), V(not_arrived), V(mailbox), V(dkim),
        V(spf), V(dmarc), V(transit), V(tls), V(receiver), or a submission category), C(severity) (V(error) or
        V(warning)) and C(message).
      type: list
      elements: dict
    would_send:
      description: Whether this run sends (or, in check mode, would send) for this connector.
      type: bool
    reason:
      description: Why it sends or not.
      type: str
    sent:
      description: Whether the relay accepted a probe in this run.
      type: bool
    from_state:
      description: True when the result is the last verified one from O(state_file), not a new measurement.
      type: bool
    verified_at:
      description: When the reported result was measured (UTC, ISO 8601).
      type: str
    token:
      description: The probe's unique token (also in its C(X-Mailops-Probe) header and C(Message-ID)).
      type: str
      sample: 4f1c2a9e0b7d4e3f8a61c5d2e9b0a7f3
    message_id:
      description: Message-ID of the probe.
      type: str
      sample: <mailops-probe.4f1c2a9e0b7d4e3f8a61c5d2e9b0a7f3@example.org>
    queue_id:
      description: The relay's queue id, parsed from its reply to DATA, or null.
      type: str
      sample: 4XyZ1b2C3d
    relay_reply:
      description: The relay's reply to DATA.
      type: str
      sample: 250 2.0.0 Ok - queued as 4XyZ1b2C3d
    error:
      description: Classification of a submission failure (category, retryable, stage, smtp_code, enhanced_code,
        message, hint), null when the relay accepted the probe.
      type: dict
    folder:
      description: Folder the probe was found in, or null.
      type: str
      sample: INBOX
    junk:
      description: Whether that folder is the server's C(\Junk) folder.
      type: bool
    delay_seconds:
      description: Seconds from the relay's acceptance to the probe being found (end to end), or null.
      type: float
    hops:
      description: The C(Received) chain, oldest first, each with C(from), C(by), C(with), C(tls) (true when the
        header states an encrypted transport), C(timestamp) (ISO 8601), C(delay_seconds) (from the previous hop,
        never negative; null when the clocks disagree) and C(skew) (true when the stated time is earlier than the
        previous hop's).
      type: list
      elements: dict
    clock_skew:
      description: Whether any hop's time is earlier than the previous hop's (its delay is then not reported).
      type: bool
    tls_all_hops:
      description: Whether every hop after the relay says it used TLS; null when no hop can be read.
      type: bool
    auth:
      description: The module's own authentication verdict and the receiver's.
      type: dict
      contains:
        dkim:
          description: One entry per DKIM signature - C(domain), C(selector), C(algorithm), C(result) (V(pass),
            V(fail), V(neutral), V(temperror), V(permerror)), C(reason), C(key_bits), C(aligned), C(covers_from).
          type: list
          elements: dict
        spf:
          description: C(result) (RFC 7208 result), C(ip) (the address the receiving server recorded), C(domain)
            (of the Return-Path), C(aligned), C(reason).
          type: dict
        dmarc:
          description: C(result) (V(pass), V(fail) or V(none) without a record), C(policy) that would apply, C(record),
            C(alignment) modes, C(spf_aligned), C(dkim_aligned), C(from_domain).
          type: dict
        receiver:
          description: C(authserv_id), C(trusted) (parsed C(Authentication-Results) of that authserv-id, each with
            C(dkim), C(spf), C(dmarc) results) and C(ignored) (headers of other authserv-ids, with the reason).
          type: dict
        disagreements:
          description: Methods where the module's result and the receiver's differ, each with C(method), C(ours),
            C(receiver).
          type: list
          elements: dict
    transit:
      description: C(body_intact) (the body arrived as sent), C(from_intact), C(subject_intact), C(changed_headers)
        (signed headers that differ), C(findings).
      type: dict
    bounce:
      description: For V(bounced) - C(action), C(status) (RFC 3463 code), C(diagnostic), C(recipient),
        C(reporting_mta), C(remote_mta), C(folder); null otherwise.
      type: dict
      sample: {"action": "failed", "status": "5.1.1", "diagnostic": "smtp; 550 5.1.1 <nobody@example.org>: Recipient
        address rejected: User unknown", "recipient": "nobody@example.org"}
    cleanup:
      description: Per mailbox (C(mailbox), C(bounce_mailbox)) the probe messages deleted there by this task, for
        every connector that shares it - C(deleted) (this run's probes or their bounces), C(stale) (those of earlier
        runs whose deadline has passed), C(expunge) (V(uid_expunge), V(expunge), or V(flagged) when other messages
        flagged C(\Deleted) forbid a plain EXPUNGE).
      type: dict
    evidence:
      description: The received header block (C(headers), with every secret and the probe body removed),
        C(received) and C(authentication_results) as received.
      type: dict
    warnings:
      description: Warnings for this connector (also emitted as task warnings).
      type: list
      elements: str
    changed:
      description: True when a probe was sent (in check mode - would be sent).
      type: bool
summary:
  description: Counts over all connectors, by status and outcome, and the largest end-to-end delay.
  returned: always
  type: dict
  sample: {"total": 3, "ok": 2, "warning": 0, "failed": 1, "statuses": {"delivered": 2, "not_arrived": 1},
           "max_delay_seconds": 4.2, "wall_seconds": 6.1}
metrics_file:
  description: With O(metrics_file) - C(path), C(written) (false in check mode) and C(samples) (how many it holds).
  returned: when O(metrics_file) is set
  type: dict
  sample: {"path": "/var/lib/node_exporter/textfile/mailops_smtp_delivery_check.prom", "written": true, "samples": 42}
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.mailops.smtp.plugins.module_utils._smtp.delivery import argument_spec, run_delivery_check


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    run_delivery_check(module)


if __name__ == "__main__":
    main()
