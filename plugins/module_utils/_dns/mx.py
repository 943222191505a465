# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""MX records of a sender domain: where replies and bounces go (RFC 5321, RFC 7505 null MX).

Private to the collection: may change without notice.
"""

from __future__ import annotations

import asyncio

from ansible_collections.mailops.smtp.plugins.module_utils._dns import common


async def mx_hosts(client, domain):
    """(sorted list of (preference, host), lookup) of a domain's MX records."""
    look = await client.query(domain, "MX")
    hosts = sorted((r.preference, r.exchange.to_text().rstrip(".").lower()) for r in look.rdata) if look.ok else []
    return hosts, look


async def check(client, domain):
    hosts, look = await mx_hosts(client, domain)
    if look.kind == "error":
        return [common.lookup_error("mx", look)]
    if look.kind == "nxdomain":
        return [common.finding("mx", common.FAIL, "The domain %s does not exist (NXDOMAIN): receivers reject "
                               "mail from it. Check the sender address or register the domain." % domain,
                               records=[])]
    if not hosts:
        addrs, _looks = await client.addresses(domain)
        if addrs:
            return [common.finding("mx", common.WARN, "No MX record: replies and bounces fall back to the domain's "
                                   "own address (%s). Publish an MX record." % ", ".join(addrs), records=[],
                                   implicit_mx=addrs)]
        return [common.finding("mx", common.FAIL, "No MX record and no address: replies and bounces to this "
                               "domain cannot be delivered, and many receivers reject such senders.", records=[])]
    records = ["%d %s" % (pref, host or ".") for pref, host in hosts]
    if any(host == "" for _pref, host in hosts):
        if len(hosts) > 1:
            return [common.finding("mx", common.FAIL, "A null MX ('0 .') mixed with other MX records is invalid "
                                   "(RFC 7505): remove one or the other.", records=records, null_mx=True)]
        return [common.finding("mx", common.FAIL, "Null MX: the domain declares that it accepts no mail (RFC 7505), "
                               "so receivers may reject mail sent from it and bounces are lost. Use a sender domain "
                               "that receives mail.", records=records, null_mx=True)]
    names = [h for _p, h in hosts]
    duplicates = sorted(set(h for h in names if names.count(h) > 1))
    unique = sorted(set(names))
    lookups = await asyncio.gather(*[_target(client, h) for h in unique])
    targets = dict(zip(unique, lookups))
    errors = [t["error"] for t in targets.values() if t.get("error")]
    unresolved = [h for h, t in targets.items() if not t["addresses"] and not t.get("error")]
    cnames = ["%s -> %s" % (h, t["cname"]) for h, t in targets.items() if t.get("cname")]
    details = {"records": records, "targets": targets, "duplicates": duplicates, "cname_targets": cnames,
               "unresolved": unresolved, "null_mx": False}
    if errors and len(errors) + len(unresolved) == len(unique):
        return [common.finding("mx", common.ERROR, "Could not tell whether the MX targets resolve: %s" % errors[0],
                               **details)]
    if len(unresolved) == len(unique):
        return [common.finding("mx", common.FAIL, "No MX target resolves to an address (%s): mail to this domain "
                               "cannot be delivered." % ", ".join(unresolved), **details)]
    notes = []
    if unresolved:
        notes.append("MX target(s) without an address: %s" % ", ".join(unresolved))
    if duplicates:
        notes.append("duplicate MX target(s): %s" % ", ".join(duplicates))
    if cnames:
        notes.append("MX target(s) are CNAMEs, which RFC 5321 forbids: %s; point MX at the canonical name"
                     % ", ".join(cnames))
    if errors:
        notes.append("some targets could not be resolved: %s" % "; ".join(errors))
    if notes:
        return [common.finding("mx", common.WARN, common.sentence(notes), **details)]
    return [common.finding("mx", common.PASS, "%d MX record(s), every target resolves." % len(hosts), **details)]


async def _target(client, host):
    addrs, looks = await client.addresses(host)
    out = {"addresses": addrs}
    errors = [lk.error for lk in looks if lk.kind == "error"]
    if errors and not addrs:
        out["error"] = errors[0]
    canon = [lk.canonical for lk in looks if lk.canonical and lk.canonical != host]
    if canon:
        out["cname"] = canon[0]
    return out
