#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Send a test message through SMTP connectors, only when their settings changed."""

from __future__ import annotations

DOCUMENTATION = r'''
---
module: test_send
short_description: Send a test message through SMTP connectors when their settings changed
version_added: 0.1.0
description:
  - Sends a real test message through each connector, concurrently, as the declared sender purpose(s), to the
    declared test recipients (O(connectors[].test.to)). Each message has a unique C(Message-ID) and an
    C(X-Mailops-Test) header naming the connector, the purpose and the run. Messages of one connector are paced
    by O(connectors[].delivery.throttle_per_second).
  - It is an idempotent task. With O(send=on_change) (the default) a connector is tested only when its settings
    (or the purposes and recipients) changed since its last successful test, so re-running a playbook does not
    fill inboxes. The last successful test of each connector is remembered in O(state_file) as a fingerprint;
    secrets enter the fingerprint only through a keyed hash with a random local key kept in a separate 0600
    file, never as such.
  - A message counts as sent only when the server answers 2xx after C(DATA). If any recipient is refused, the
    transaction is reset (nothing is sent for that sender) and the connector fails, listing the refused
    recipients. Temporary failures (4xx, timeouts) are retried, without sending again what was already accepted.
  - The session follows the same link policy as M(mailops.smtp.probe) - no AUTH or MAIL on an unencrypted link
    when STARTTLS is required.
author:
  - mailops.smtp maintainers (@mailops)
extends_documentation_fragment:
  - mailops.smtp.connector
  - mailops.smtp.checks
  - mailops.smtp.checks.details
  - mailops.smtp.progress
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.flow
attributes:
  check_mode:
    support: full
    details: Check mode connects, authenticates and goes as far as C(RCPT TO), then resets; nothing is sent.
      RV(results[].would_send) tells whether a run would send, and C(changed) predicts it.
  diff_mode:
    support: none
  platform:
    platforms: posix
  idempotent:
    description: Running the task again with the same options changes nothing more.
    support: full
    details: With O(send=on_change), a second run with the same settings sends nothing and reports C(changed=false).
options:
  send:
    description:
    - V(on_change) sends only for connectors whose settings changed since their last successful test (or that were
      never tested); V(always) sends for every connector.
    type: str
    choices: [on_change, always]
    default: on_change
  purposes:
    description:
    - Sender purposes (keys of O(connectors[].senders)) to send as, one message each. V([all]) means every
      purpose of the connector. Default is the connector's O(connectors[].test.sender).
    type: list
    elements: str
  to:
    description:
    - Recipients to use instead of each connector's O(connectors[].test.to).
    - Each must be a bare address, checked like O(connectors[].test.to) (rules SMTP105, SMTP110, SMTP117) before
      any connection is opened.
    type: list
    elements: str
  state_file:
    description:
    - Where the fingerprints of successful tests are kept, on the host the task runs on (mode 0600; its key in
      C(STATE_FILE.key), also 0600). Default C(~/.ansible/mailops_smtp/test_send_state.json).
    - Delete it (or use O(send=always)) to test everything again.
    type: path
seealso:
  - module: mailops.smtp.probe
  - module: mailops.smtp.tls_check
'''

EXAMPLES = r'''
- name: Send a test message through each connector whose settings changed
  mailops.smtp.test_send:
    connectors: "{{ smtp_connectors }}"
  delegate_to: localhost

- name: Test every sender purpose, always, to a specific mailbox
  mailops.smtp.test_send:
    connectors: "{{ smtp_connectors }}"
    purposes: [all]
    to: [mail-tests@example.org]
    send: always
  delegate_to: localhost
  register: sent

- name: Would a test be sent? (connects up to RCPT TO, sends nothing)
  mailops.smtp.test_send:
    connectors: "{{ smtp_connectors }}"
  check_mode: true
  delegate_to: localhost

- name: Test every connector of a fleet; the Message-IDs of every test are kept, other facts only on problems
  mailops.smtp.test_send:
    connectors: "{{ fleet_connectors }}"
    details: problems
  delegate_to: localhost
'''

RETURN = r'''
results:
  description:
    - One entry per connector, in the order given.
    - With O(details=problems), the entry of a connector whose C(status) is V(ok) leaves out C(purposes), C(recipients) and C(timings).
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
      description: V(ok), V(warning) or V(failed).
      type: str
    would_send:
      description: Whether this run sends (or, in check mode, would send) for this connector.
      type: bool
    reason:
      description: Why it sends or not.
      type: str
      sample: unchanged since the last successful test at 2026-01-05T10:00:00Z
    purposes:
      description: Sender purposes tested.
      type: list
      elements: str
    recipients:
      description: Recipients of the test messages.
      type: list
      elements: str
    messages:
      description: One entry per sender purpose handled - C(purpose), C(from), C(message_id), C(accepted) (2xx after
        DATA), C(reply) (the server's reply to DATA), C(checked) in check mode.
      type: list
      elements: dict
      sample: [{"purpose": "default", "from": "noreply@example.org", "accepted": true,
                "message_id": "<170000.1.mailops-test@example.org>", "reply": "250 2.0.0 OK queued as 4F2"}]
    refused_recipients:
      description: Refused recipients and the server's reply for each.
      type: dict
      sample: {"nobody@example.org": "5.1.1 <nobody@example.org>: Recipient address rejected: User unknown"}
    sent:
      description: Whether at least one message was accepted.
      type: bool
    last_verified:
      description:
        - When the connector's current settings were last tested successfully (UTC, ISO 8601) - now when this run
          sent, the state file's record when nothing needed sending, null when these settings were never tested.
      type: str
      sample: "2026-01-05T10:00:00Z"
    changed:
      description: True exactly when a message was accepted (in check mode - when one would be sent).
      type: bool
    error:
      description: Classification of the failure (category, retryable, stage, smtp_code, enhanced_code, message,
        hint), null on success.
      type: dict
    warnings:
      description: Warnings for this connector.
      type: list
      elements: str
    timings:
      description: Milliseconds per stage of the last session.
      type: dict
    attempts:
      description: Sessions opened (0 when nothing needed sending).
      type: int
summary:
  description: Counts over all connectors.
  returned: always
  type: dict
  sample: {"total": 2, "ok": 2, "warning": 0, "failed": 0, "categories": {}}
'''

from ansible_collections.mailops.smtp.plugins.module_utils._smtp.tasks import (
    check_argument_spec,
    details_argument_spec,
    run_test_send,
)
from ansible_collections.mailops.smtp.plugins.module_utils._validate import checked_module, recipients_check


def main():
    module = checked_module(
        check_argument_spec(
            send={"type": "str", "choices": ["on_change", "always"], "default": "on_change"},
            purposes={"type": "list", "elements": "str"},
            to={"type": "list", "elements": "str"},
            state_file={"type": "path"},
            **details_argument_spec(),
        ),
        "connectors",
        supports_check_mode=True,
    )
    problem = recipients_check(module.params["to"], "to")
    if problem:
        module.fail_json(msg=problem)
    run_test_send(module)


if __name__ == "__main__":
    main()
