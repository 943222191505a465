# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Run the DNS checks for connectors, domains and relay addresses, concurrently.

Private to the collection: may change without notice.
"""

from __future__ import annotations

import asyncio
import email.utils
import ipaddress

from ansible_collections.mailops.smtp.plugins.module_utils import _fail_on, _progress
from ansible_collections.mailops.smtp.plugins.module_utils._dns import (
    common,
    dane,
    dkim,
    dmarc,
    dnsbl,
    mta_sts,
    mx,
    ptr,
    spf,
    tls_rpt,
)
from ansible_collections.mailops.smtp.plugins.module_utils._dns.resolver import DnsClient, parse_nameserver
from ansible_collections.mailops.smtp.plugins.module_utils._model import is_ip, is_loopback

DOMAIN_CHECKS = ("mx", "spf", "dmarc", "dkim", "mta_sts", "tls_rpt", "dane")
RELAY_CHECKS = ("ptr", "dnsbl", "dane")
ALL_CHECKS = ("mx", "spf", "dmarc", "dkim", "ptr", "dnsbl", "mta_sts", "tls_rpt", "dane")
POLICIES = dmarc.POLICIES
FAIL_ON = tuple(_fail_on.choices(ALL_CHECKS))
_SHARED_STATUS = {common.PASS: "ok", common.WARN: "warning", common.FAIL: "failed", common.ERROR: "error"}
DEFAULT_DNSBL_ZONES = dnsbl.DEFAULT_ZONES


class OptionError(ValueError):
    """A bad option value; the message names the option and what is valid."""


def sender_domain(value):
    """Domain of a sender mailbox ('"Name" <a@example.org>' -> ('a@example.org', 'example.org'))."""
    _name, addr = email.utils.parseaddr(value or "")
    local, sep, domain = addr.rpartition("@")
    if not sep or not local or not domain or "." not in domain:
        return None, None
    return addr, domain.rstrip(".").lower()


def _clean_domain(value, where):
    text = str(value or "").strip().rstrip(".").lower()
    if not text or " " in text or "@" in text or "/" in text or ".." in text:
        raise OptionError("%s: %r is not a domain name (expected e.g. example.org)" % (where, value))
    return text


def validate(params):
    """Check option values that the argument spec cannot express; raises OptionError."""
    for idx, ns in enumerate(params.get("nameservers") or []):
        try:
            parse_nameserver(ns)
        except ValueError as exc:
            raise OptionError("nameservers[%d]: %s" % (idx, exc)) from None
    for idx, ip in enumerate(params.get("relay_ips") or []):
        try:
            ipaddress.ip_address(str(ip))
        except ValueError:
            raise OptionError("relay_ips[%d]: %r is not an IPv4 or IPv6 address" % (idx, ip)) from None
    for idx, dom in enumerate(params.get("domains") or []):
        _clean_domain(dom, "domains[%d]" % idx)
    if not (params.get("connectors") or params.get("domains") or params.get("relay_ips")):
        raise OptionError("nothing to check: give connectors, domains and/or relay_ips")
    if not 0 < float(params.get("timeout") or 0) <= 300:
        raise OptionError("timeout: must be more than 0 and at most 300 seconds")
    if not 1 <= int(params.get("concurrency") or 0) <= 1000:
        raise OptionError("concurrency: must be 1..1000")
    try:
        _fail_on.normalize(params.get("fail_on"))
    except ValueError as exc:
        raise OptionError(str(exc)) from None
    checks = params.get("checks")
    if checks and "dkim" in checks and not params.get("dkim_selectors"):
        raise OptionError("checks: dkim needs dkim_selectors (the selectors your signer uses, e.g. [s1, google])")
    if checks and "dnsbl" in checks and params.get("dnsbl_zones") == []:
        raise OptionError("checks: dnsbl needs at least one zone in dnsbl_zones")


class Targets:
    def __init__(self):
        self.domains = {}     # domain -> {"connectors": set, "sender": first address seen, "relays": set}
        self.relays = {}      # ip -> {"connectors": set, "hosts": set}
        self.relay_hosts = {}  # (host, port) -> set of connector names
        self.findings = []    # results produced while collecting targets (unresolvable relay names)
        self.local_connectors = []  # connectors whose host is loopback: no relay address of their own


async def _host_addresses(client, host):
    """Relay addresses of a connector host: the literal itself, or its A/AAAA records."""
    try:
        return [str(ipaddress.ip_address(host))], None
    except ValueError:
        pass
    addrs, looks = await client.addresses(host)
    if addrs:
        return [str(ipaddress.ip_address(a)) for a in addrs], None
    errors = [lk for lk in looks if lk.kind == "error"]
    if errors:
        return [], common.lookup_error("resolve", errors[0])
    return [], common.finding("resolve", common.FAIL, "The connector host %s has no A/AAAA record: the relay cannot "
                              "be reached and its address not checked." % host, query=host)


async def collect(client, params):
    """Domains and relay addresses from connectors plus the explicit lists."""
    targets = Targets()
    conns = []
    for idx, conn in enumerate(params.get("connectors") or []):
        name = conn.get("name") or "#%d" % idx
        host = str(conn.get("host") or "").strip("[]").rstrip(".").lower()
        if host and is_loopback(host):
            # A local MTA: mail leaves through another address, which only relay_ips can tell.
            targets.local_connectors.append(name)
            host = ""
        conns.append((name, host, conn))
    hosts = sorted(set(h for _n, h, _c in conns if h))
    resolved = dict(zip(hosts, await asyncio.gather(*[_host_addresses(client, h) for h in hosts])))
    for name, host, conn in conns:
        ips = set()
        if host:
            addrs, problem = resolved[host]
            ips.update(addrs)
            if problem is not None:
                found = dict(problem, target=host, kind="relay", connectors=[name])
                targets.findings.append(found)
            if not is_ip(host):
                port = conn.get("port") or (465 if conn.get("security") == "tls" else 25)
                targets.relay_hosts.setdefault((host, int(port)), set()).add(name)
        for ip in ips:
            entry = targets.relays.setdefault(ip, {"connectors": set(), "hosts": set()})
            entry["connectors"].add(name)
            entry["hosts"].add(host)
        for value in (conn.get("senders") or {}).values():
            addr, dom = sender_domain(value)
            if not dom:
                continue
            entry = targets.domains.setdefault(dom, {"connectors": set(), "sender": addr, "relays": set()})
            entry["connectors"].add(name)
            entry["relays"].update(ips)
    explicit_ips = [str(ipaddress.ip_address(str(ip))) for ip in params.get("relay_ips") or []]
    for ip in explicit_ips:
        targets.relays.setdefault(ip, {"connectors": set(), "hosts": set()})
    for entry in targets.domains.values():
        entry["relays"].update(explicit_ips)
    every_relay = sorted(targets.relays)
    for idx, dom in enumerate(params.get("domains") or []):
        dom = _clean_domain(dom, "domains[%d]" % idx)
        entry = targets.domains.setdefault(dom, {"connectors": set(), "sender": None, "relays": set()})
        entry["relays"].update(every_relay)
    return targets


def _selected(params):
    checks = params.get("checks")
    if checks:
        return set(checks)
    chosen = set(ALL_CHECKS)
    if not params.get("dkim_selectors"):
        chosen.discard("dkim")
    if not params.get("dnsbl_zones"):
        chosen.discard("dnsbl")
    return chosen


async def _guarded(check, coro):
    """Run one check; an unexpected exception becomes an error result instead of ending every other check."""
    try:
        return await coro
    except asyncio.CancelledError:
        raise
    except Exception as exc:  # pylint: disable=broad-except
        return [common.finding(check, common.ERROR, "Could not tell: the %s check stopped on an unexpected error "
                               "(%s: %s). Please report it with the records involved." % (
                                   check, type(exc).__name__, exc), error="%s: %s" % (type(exc).__name__, exc))]


async def _domain_checks(client, params, selected, domain, entry):
    jobs = []
    relays = sorted(entry["relays"], key=lambda a: (ipaddress.ip_address(a).version, ipaddress.ip_address(a)))
    if "mx" in selected:
        jobs.append(_guarded("mx", mx.check(client, domain)))
    if "spf" in selected:
        jobs.append(_guarded("spf", spf.check(client, domain, relays, entry["sender"] or "postmaster@" + domain)))
    if "dmarc" in selected:
        jobs.append(_guarded("dmarc", dmarc.check(client, domain, params.get("min_dmarc_policy") or "quarantine")))
    if "dkim" in selected:
        jobs.append(_guarded("dkim", dkim.check(client, domain, params.get("dkim_selectors") or [])))
    if "mta_sts" in selected:
        jobs.append(_guarded("mta_sts", mta_sts.check(client, domain, ca_file=params.get("ca_file"),
                                                      port=params.get("_https_port", 443), timeout=client.timeout)))
    if "tls_rpt" in selected:
        jobs.append(_guarded("tls_rpt", tls_rpt.check(client, domain)))
    if "dane" in selected:
        jobs.append(_guarded("dane", _dane_for_domain(client, domain)))
    found = []
    for group in await asyncio.gather(*jobs):
        found.extend(group)
    for item in found:
        item.update({"target": domain, "kind": "domain", "connectors": sorted(entry["connectors"])})
    return found


async def _dane_for_domain(client, domain):
    hosts, look = await mx.mx_hosts(client, domain)
    if look.kind == "error":
        return [common.lookup_error("dane", look)]
    hosts = sorted(set(h for _p, h in hosts if h))
    if not hosts:
        return [common.finding("dane", common.WARN, "No MX host to look up TLSA records for.", records=[])]
    return list(await asyncio.gather(*[dane.check_host(client, h, 25) for h in hosts]))


async def _relay_checks(client, params, selected, ip, entry):
    jobs = []
    if "ptr" in selected:
        jobs.append(_guarded("ptr", ptr.check(client, ip)))
    if "dnsbl" in selected:
        jobs.append(_guarded("dnsbl", dnsbl.check(client, ip, params.get("dnsbl_zones") or [])))
    found = []
    for group in await asyncio.gather(*jobs):
        found.extend(group)
    for item in found:
        item.update({"target": ip, "kind": "relay", "connectors": sorted(entry["connectors"])})
    return found


async def _as_list(coro):
    return [await coro]


async def _relay_dane(client, host, port, names):
    found = await _guarded("dane", _as_list(dane.check_host(client, host, port)))
    item = found[0]
    item.update({"target": host, "kind": "relay", "connectors": sorted(names)})
    return [item]


_ORDER = dict((c, i) for i, c in enumerate(("resolve",) + ALL_CHECKS))


async def run_async(params, client=None):
    if client is None:
        client = DnsClient(params.get("nameservers"), timeout=params.get("timeout") or 5.0,
                           concurrency=params.get("concurrency") or 50)
        try:
            return await _run_checks(params, client)
        finally:
            client.close()
    return await _run_checks(params, client)


async def _run_checks(params, client):
    selected = _selected(params)
    targets = await collect(client, params)
    jobs = [_domain_checks(client, params, selected, d, e) for d, e in sorted(targets.domains.items())]
    jobs += [_relay_checks(client, params, selected, ip, e) for ip, e in sorted(targets.relays.items())]
    if "dane" in selected:
        jobs += [_relay_dane(client, h, p, n) for (h, p), n in sorted(targets.relay_hosts.items())]
    reporter = _progress.Reporter(params.get("progress_file"), len(jobs))

    def failed(group):
        return any(item["status"] == common.FAIL for item in group)

    results = list(targets.findings)
    for group in await asyncio.gather(*[reporter.count(job, failed) for job in jobs]):
        results.extend(group)
    ordered = []
    for item in results:
        ordered.append({"target": item["target"], "kind": item["kind"], "check": item["check"],
                        "item": item.get("item"), "status": item["status"], "hint": item["hint"],
                        "details": item["details"], "connectors": item.get("connectors", [])})
    ordered.sort(key=lambda r: (r["kind"], r["target"], _ORDER.get(r["check"], 99), str(r["item"])))
    warnings = ["connector %s connects to a loopback host (a local MTA): its outbound address is unknown, so PTR, "
                "DNSBL and SPF are not checked for it; give the address mail leaves from in relay_ips" % name
                for name in targets.local_connectors]
    return ordered, client, warnings


def summarize(results):
    summary = dict((s, 0) for s in common.STATUSES)
    for item in results:
        summary[item["status"]] = summary.get(item["status"], 0) + 1
    summary["total"] = len(results)
    return summary


def failing(results, fail_on):
    """Results that fail the task under fail_on (the shared vocabulary of _fail_on): a check name
    selects that check's failures."""
    wanted = _fail_on.normalize(fail_on)
    return [item for item in results
            if _fail_on.selects(wanted, _SHARED_STATUS.get(item["status"], "ok"), [item["check"]])]


def _shutdown(loop):
    """Cancel what is still pending (after an unexpected error) so nothing runs on a closed loop."""
    pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
    for task in pending:
        task.cancel()
    if pending:
        loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
    loop.close()


def run(params):
    """Entry point for the module: (results, summary, the results that fail the task, facts about the run)."""
    validate(params)
    loop = asyncio.new_event_loop()
    try:
        results, client, warnings = loop.run_until_complete(run_async(params))
    finally:
        _shutdown(loop)
    summary = summarize(results)
    info = {"nameservers": client.nameservers, "queries": client.queries}
    return results, summary, failing(results, params.get("fail_on")), dict(info, warnings=warnings)
