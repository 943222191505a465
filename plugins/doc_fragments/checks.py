# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment:
    # Options shared by the check modules (probe, tls_check, test_send); mirrors
    # plugins/module_utils/_smtp/tasks.py check_argument_spec().
    DOCUMENTATION = r'''
---
options:
  concurrency:
    description:
    - How many connectors are checked at the same time (1 to 500; each open session holds a file descriptor).
    - The modules lower it, with a warning, to what the open-file limit (C(ulimit -n)) of the process allows, counting
      three descriptors per session (a failure may be settled on fresh connections), so that no number of
      connectors runs out of descriptors.
    - Each connector's own C(timeout), C(security), C(starttls), C(tls) and C(auth) govern its session.
    type: int
    default: 20
  fail_on:
    description:
    - Which results fail the task, in the words every check module of this collection shares (see
      C(docs/checks.md)).
    - V(failed) (or V(fail)) fails on any failed connector; V(warning) (or V(warn)) also on connectors with
      warnings (for example C(tls.verify=false), or an opportunistic STARTTLS that fell back to clear text).
    - V(error) fails on connectors whose server gave no answer (failures of category V(dns) or V(connection)).
    - A category (V(auth), V(tls_certificate), ...) fails only on failures of that category, so
      O(fail_on=[auth]) tolerates, for example, a blocked port.
    - V(never), or an empty list, never fails; read RV(results) and RV(summary) instead.
    - Categories are described in C(docs/troubleshooting.md).
    type: list
    elements: str
    default: [failed]
    choices: [failed, warning, error, never, fail, warn, dns, connection, tls_mode, tls_certificate, tls_protocol,
              starttls_unavailable, starttls_not_enforced, plaintext_auth_refused, auth, throttled, recipient, sender,
              policy, message, dane, protocol]
  retries:
    description:
    - How many times a connector whose failure is temporary (a C(retryable) result such as 421/451
      throttling, greylisting or a timeout) is tried again before the failure is reported (0 to 10).
    type: int
    default: 2
  retry_delay:
    description:
    - Seconds before the first retry; each further retry waits twice as long, at most 30 seconds.
    type: float
    default: 1.0
  ehlo_name:
    description:
    - Name sent with EHLO. Default is the fully qualified name of the machine the task runs on.
    type: str
  dns_nameservers:
    description:
    - Name servers (IP addresses) that resolve each connector's C(host) (AAAA, then A) and, for
      M(mailops.smtp.tls_check), the TLSA records. Default is the resolver configuration of the host the task
      runs on.
    - Use it to check from the point of view of an internal DNS view. For DANE use a DNSSEC-validating resolver;
      DANE is only meaningful with the AD flag set.
    - Needs dnspython where the task runs.
    type: list
    elements: str
  dns_port:
    description:
    - Port of O(dns_nameservers).
    type: int
    default: 53
  dns_timeout:
    description:
    - Seconds for one lookup through O(dns_nameservers).
    type: float
    default: 5.0
requirements:
  - aiosmtplib >= 2.0 on the host the task runs on (usually the controller; use C(delegate_to) to pick another)
notes:
  - The checks run where the task runs, not on the managed host; use C(delegate_to) to choose the host that
    talks to the SMTP servers (outbound port 25 is often blocked on workstations and cloud hosts).
  - Secrets (C(auth.password)) never appear in results, warnings or failure messages; server replies and error
    texts are scrubbed of them.
'''

    # The details option of probe, tls_check and test_send (plugins/module_utils/_smtp/tasks.py,
    # details_argument_spec and keep_details).
    DETAILS = r'''
---
options:
  details:
    description:
    - Which connectors' results carry every fact the module gathered.
    - V(all) returns every fact of every connector.
    - V(problems) returns every fact only for connectors whose C(status) is V(failed) or V(warning). A connector whose
      status is V(ok) keeps its name, address, security, C(status), C(stage_reached), C(error), C(findings),
      C(warnings), C(attempts) and C(changed), and leaves out the facts (for example C(capabilities), C(tls),
      C(certificate) and C(timings)); each module's RV(results) says which keys those are.
    - At thousands of connectors the facts are most of the result's bytes and most of the time Ansible spends
      moving, checking and printing the result, and a failed task prints its whole result. Use V(problems) for
      fleet checks that only need the verdicts, and V(all) to audit what each server offers.
    - RV(summary), the failure message, the warnings and the metrics file (C(metrics_file), where the module has it) are
      the same for both values.
    type: str
    default: all
    choices: [all, problems]
'''
