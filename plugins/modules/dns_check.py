#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Check the DNS that decides whether mail from a connector arrives: SPF, DMARC, DKIM, MX, PTR, blocklists."""

from __future__ import annotations

DOCUMENTATION = r'''
---
module: dns_check
short_description: Evaluate the DNS records that decide whether outgoing mail arrives
version_added: 0.1.0
description:
  - Checks sender domains and relay addresses the way a receiving mail server sees them, through the
    resolver you point it at, and reports one result per domain or relay, check and item with a status
    (V(pass), V(warn), V(fail) or V(error)), the records seen and a hint.
  - V(error) means the answer could not be obtained (timeout, SERVFAIL, REFUSED, a blocklist refusing
    the query); it is never counted as pass or fail.
  - "Domain checks: C(mx), C(spf) (evaluated per RFC 7208 for every relay address of the connectors the
    domain comes from), C(dmarc), C(dkim) (for O(dkim_selectors)), C(mta_sts) (the policy is fetched over
    HTTPS with certificate verification), C(tls_rpt) and C(dane) (TLSA records of the MX hosts exist)."
  - "Relay checks: C(ptr) (forward-confirmed reverse DNS, generic pool names), C(dnsbl) (each zone of
    O(dnsbl_zones)) and C(dane) (TLSA records for a connector's host name and port)."
  - Queries run concurrently (O(concurrency)) and share answers within the task, so domains that include
    the same SPF records query them once.
  - The module only reads DNS (and the MTA-STS policy); it never changes anything and always reports
    C(changed=false).
author:
  - mailops.smtp maintainers (@mailops)
requirements:
  - dnspython >= 2.4 where the module runs (the controller, or the host the task is delegated to)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.flow
  - mailops.smtp.connector.optional
  - mailops.smtp.metrics
  - mailops.smtp.progress
attributes:
  check_mode:
    support: full
    details: Runs the same read-only queries in check mode.
  diff_mode:
    support: none
  platform:
    platforms: posix
notes:
  - The DMARC organizational domain is taken as the last two labels of the domain (no Public Suffix List
    is consulted), which is wrong for domains under public suffixes such as C(co.uk).
  - TLSA records are reported as found; DNSSEC validation and matching against the served certificate
    are not done here (see C(mailops.smtp.tls_check)).
  - The relay address of a connector is its C(host). When mail leaves through another address (a NAT or a
    provider's outbound pool), give the outbound addresses in O(relay_ips). A connector whose host is
    loopback (a local MTA) contributes no relay address, and the task warns about it.
  - Blocklists such as Spamhaus answer C(127.255.255.x) to queries from public resolvers; those results are
    V(error), so query through a resolver of your own or a registered data feed.
options:
  domains:
    description:
      - Sender domains to check in addition to those of O(connectors).
      - SPF is evaluated for every relay address (from O(connectors) and O(relay_ips)).
    type: list
    elements: str
    default: []
  relay_ips:
    description:
      - Outbound relay addresses (IPv4 or IPv6) to check in addition to the connectors' hosts; they are also
        the addresses SPF is evaluated for.
    type: list
    elements: str
    default: []
  checks:
    description:
      - Checks to run. Default is every check that applies (C(dkim) only with O(dkim_selectors), C(dnsbl)
        only with O(dnsbl_zones)).
    type: list
    elements: str
    choices: [mx, spf, dmarc, dkim, ptr, dnsbl, mta_sts, tls_rpt, dane]
  nameservers:
    description:
      - Resolvers (or authoritative servers) to ask, as C(address) or C(address:port); IPv6 as C([address]:port).
      - Default is the resolver of the host the module runs on (C(/etc/resolv.conf)).
      - The MTA-STS policy host is resolved through these servers as well.
    type: list
    elements: str
    default: []
  timeout:
    description:
      - Seconds to wait for one DNS answer (all retries included) and for the MTA-STS policy fetch. A server
        that does not answer within it gives V(error) results.
      - A question without an answer is sent again after a third of it, to the next server of O(nameservers)
        when there are several.
    type: float
    default: 5.0
  concurrency:
    description:
      - Largest number of DNS queries in flight at once (1 to 1000).
    type: int
    default: 50
  dkim_selectors:
    description:
      - DKIM selectors to check on every domain (for example V(s1), V(google), V(selector1)). DKIM selectors
        cannot be discovered through DNS, so without this list the C(dkim) check does not run.
    type: list
    elements: str
    default: []
  dnsbl_zones:
    description:
      - DNS blocklist zones to look every relay address up in (IPv4 reversed octets, IPv6 reversed nibbles).
      - An answer in C(127.0.0.0/8) is a listing (V(fail), with the zone's TXT reason); C(127.255.255.x) means
        the list refuses to answer this resolver (V(error)); any other answer is V(error) too.
      - Set to V([]) to skip blocklists.
    type: list
    elements: str
    default: [zen.spamhaus.org, bl.spamcop.net, psbl.surriel.com]
  min_dmarc_policy:
    description:
      - Weakest DMARC policy (C(p=)) that passes. A weaker policy is V(fail); a weaker subdomain policy
        (C(sp=)) is V(warn).
    type: str
    choices: [none, quarantine, reject]
    default: quarantine
  fail_on:
    description:
      - Which results fail the task, in the words every check module of this collection shares (see
        C(docs/checks.md)).
      - V(failed) (or V(fail)) fails on any result with status V(fail); V(warning) (or V(warn)) on results with
        status V(warn).
      - V(error) fails on results with status V(error) (no answer could be obtained); it is counted on its own,
        so add it to fail when an answer could not be obtained.
      - A check name (V(spf), V(dmarc), ...) fails only on failures of that check.
      - V(never), or an empty list, reports without ever failing.
    type: list
    elements: str
    choices: [failed, warning, error, never, fail, warn, mx, spf, dmarc, dkim, ptr, dnsbl, mta_sts, tls_rpt, dane]
    default: [fail]
  ca_file:
    description:
      - PEM file of CA certificates to verify the MTA-STS policy server with, instead of the system store.
    type: path
'''

EXAMPLES = r'''
- name: Check the DNS of every connector's sender domains and relay
  mailops.smtp.dns_check:
    connectors: "{{ smtp_connectors }}"
    dkim_selectors: [s1, s2]
  delegate_to: localhost
  register: dns

- name: Check two domains and the outbound relay through the company resolver, failing on errors too
  mailops.smtp.dns_check:
    domains: [example.org, mail.example.org]
    relay_ips: [192.0.2.25, "2001:db8::25"]
    nameservers: ["192.0.2.53", "192.0.2.54:5353"]
    checks: [spf, dmarc, ptr, dnsbl]
    dnsbl_zones: [bl.spamcop.net]
    min_dmarc_policy: reject
    fail_on: [fail, error]

- name: Report only (never fail), then show what needs work
  mailops.smtp.dns_check:
    connectors: "{{ smtp_connectors }}"
    fail_on: [never]
  register: dns_report

- name: Print the hints of everything that did not pass
  ansible.builtin.debug:
    msg: "{{ item.target }} {{ item.check }} {{ item.item | default('', true) }}: {{ item.status }} - {{ item.hint }}"
  loop: "{{ dns_report.results | rejectattr('status', 'equalto', 'pass') | list }}"
  loop_control:
    label: "{{ item.target }} {{ item.check }}"
'''

RETURN = r'''
results:
  description: One entry per target, check and item, sorted by kind, target and check.
  returned: always
  type: list
  elements: dict
  contains:
    target:
      description: The domain, relay address, or relay host name (C(dane) of a connector host).
      type: str
      sample: example.org
    kind:
      description: V(domain) or V(relay).
      type: str
      sample: domain
    check:
      description: >-
        The check: V(mx), V(spf), V(dmarc), V(dkim), V(ptr), V(dnsbl), V(mta_sts), V(tls_rpt), V(dane), or
        V(resolve) when a connector's host name has no address.
      type: str
      sample: spf
    item:
      description: >-
        What within the check this result is about: the relay address (C(spf)), the selector (C(dkim)), the
        zone (C(dnsbl)), C(host:port) (C(dane)); null otherwise.
      type: str
      sample: 192.0.2.25
    status:
      description: V(pass), V(warn), V(fail) or V(error) (the answer could not be obtained).
      type: str
      sample: fail
    hint:
      description: What the result means and what to change.
      type: str
      sample: "The relay is not authorized (fail, -all): receivers reject or junk this mail. ..."
    details:
      description: >-
        The records seen and the evaluation, by check. For example C(spf): C(record), C(records),
        C(lookups), C(void_lookups), C(problems), C(ip), C(result) (pass, fail, softfail, neutral, none,
        permerror, temperror), C(reason), C(trace); C(dnsbl): C(zone), C(query), C(answers), C(reason);
        C(error) for V(error) results.
      type: dict
      sample: {"ip": "192.0.2.25", "result": "fail", "record": "v=spf1 ip4:198.51.100.0/24 -all"}
    connectors:
      description: Names of the connectors the domain or relay came from (empty for explicit targets).
      type: list
      elements: str
      sample: [district-relay]
summary:
  description: Number of results per status, and C(total).
  returned: always
  type: dict
  sample: {"pass": 12, "warn": 2, "fail": 1, "error": 0, "total": 15}
resolver:
  description: The nameservers asked and how many queries were sent (answers are shared within the task).
  returned: always
  type: dict
  sample: {"nameservers": ["127.0.0.1:5353"], "queries": 42}
metrics_file:
  description: With O(metrics_file) - C(path), C(written) (false in check mode) and C(samples) (how many it holds).
  returned: when O(metrics_file) is set
  type: dict
  sample: {"path": "/var/lib/node_exporter/textfile/mailops_smtp_dns_check.prom", "written": true, "samples": 42}
'''

import time
import traceback

from ansible.module_utils.basic import missing_required_lib

from ansible_collections.mailops.smtp.plugins.module_utils import _metrics, _progress
from ansible_collections.mailops.smtp.plugins.module_utils._dns import engine
from ansible_collections.mailops.smtp.plugins.module_utils._dns.resolver import DNSPYTHON_IMPORT_ERROR, HAS_DNSPYTHON
from ansible_collections.mailops.smtp.plugins.module_utils._model import (
    connector_argument_spec,
    scrub,
    secret_values,
)
from ansible_collections.mailops.smtp.plugins.module_utils._validate import checked_module


def argument_spec():
    return dict(
        connectors=connector_argument_spec(required=False),
        domains=dict(type="list", elements="str", default=[]),
        relay_ips=dict(type="list", elements="str", default=[]),
        checks=dict(type="list", elements="str", choices=list(engine.ALL_CHECKS)),
        nameservers=dict(type="list", elements="str", default=[]),
        timeout=dict(type="float", default=5.0),
        concurrency=dict(type="int", default=50),
        dkim_selectors=dict(type="list", elements="str", default=[]),
        dnsbl_zones=dict(type="list", elements="str", default=list(engine.DEFAULT_DNSBL_ZONES)),
        min_dmarc_policy=dict(type="str", choices=list(engine.POLICIES), default="quarantine"),
        fail_on=dict(type="list", elements="str", choices=list(engine.FAIL_ON), default=["fail"]),
        ca_file=dict(type="path"),
        **dict(_metrics.argument_spec(), **_progress.argument_spec())
    )


def main():
    module = checked_module(argument_spec(), "connectors", supports_check_mode=True)
    if not HAS_DNSPYTHON:
        module.fail_json(msg=missing_required_lib("dnspython"), exception=str(DNSPYTHON_IMPORT_ERROR))
    secrets = secret_values(module.params.get("connectors") or [])
    _metrics.check_option(module)
    _progress.check_option(module)
    started = time.monotonic()
    try:
        results, summary, failing, info = engine.run(module.params)
    except engine.OptionError as exc:
        module.fail_json(msg=scrub(str(exc), secrets))
    except Exception as exc:  # pylint: disable=broad-except  # no traceback reaches the user
        module.fail_json(msg=scrub("dns_check failed unexpectedly: %s: %s" % (type(exc).__name__, exc), secrets),
                         exception=scrub(traceback.format_exc(), secrets))
    for warning in info.pop("warnings", []):
        module.warn(warning)
    out = dict(changed=False, results=results, summary=summary, resolver=info)
    _metrics.publish(module, "dns_check", results, out, started=started)
    if failing:
        counts = {}
        for item in failing:
            counts[item["status"]] = counts.get(item["status"], 0) + 1
        statuses = ", ".join("%d %s" % (counts[s], s) for s in ("warn", "fail", "error") if counts.get(s))
        module.fail_json(msg="DNS checks found %s (fail_on: %s)" % (statuses, ", ".join(module.params["fail_on"])),
                         **out)
    module.exit_json(**out)


if __name__ == "__main__":
    main()
