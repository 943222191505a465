# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Reverse DNS of a relay: PTR present, forward-confirmed, and not a generic dynamic-pool name.

Private to the collection: may change without notice.
"""

from __future__ import annotations

import ipaddress
import re

from ansible_collections.mailops.smtp.plugins.module_utils._dns import common
from ansible_collections.mailops.smtp.plugins.module_utils._dns.resolver import reverse_name

_GENERIC_WORDS = re.compile(r"(^|[.-])(dyn|dynamic|dhcp|pool|dsl|adsl|xdsl|cable|ppp|pppoe|dial|dialup|client|"
                            r"cust|customer|broadband|residential|res|user|unassigned|static-ip|host-ip)"
                            r"([0-9]*)([.-]|$)", re.IGNORECASE)


def looks_generic(name, ip):
    """True when a PTR name looks assigned by a provider to a pool rather than chosen for a mail server."""
    addr = ipaddress.ip_address(ip)
    low = name.lower()
    if _GENERIC_WORDS.search(low):
        return True
    if addr.version == 4:
        octets = str(addr).split(".")
        for sep in ("-", ".", "_", ""):
            for seq in (octets, list(reversed(octets))):
                if sep.join(seq) in low:
                    return True
        if "%08x" % int(addr) in low:
            return True
    else:
        if addr.exploded.replace(":", "") in low.replace("-", "").replace(".", ""):
            return True
    return False


async def check(client, ip):
    rname = reverse_name(ip)
    look = await client.query(rname, "PTR")
    if look.kind == "error":
        return [common.lookup_error("ptr", look)]
    if not look.ok:
        return [common.finding("ptr", common.FAIL, "No PTR record for %s (%s): many receivers reject mail from "
                               "relays without reverse DNS. Ask the owner of the address block to set a PTR to the "
                               "relay's name." % (ip, rname), query=rname, names=[])]
    names = [r.rstrip(".").lower() for r in look.records]
    forward = {}
    confirmed = []
    errors = []
    family = "A" if ipaddress.ip_address(ip).version == 4 else "AAAA"
    for name in names:
        fwd = await client.query(name, family)
        if fwd.kind == "error":
            errors.append(fwd.error)
        addrs = [str(ipaddress.ip_address(a)) for a in fwd.records] if fwd.ok else []
        forward[name] = addrs
        if str(ipaddress.ip_address(ip)) in addrs:
            confirmed.append(name)
    details = {"query": rname, "names": names, "forward": forward, "forward_confirmed": confirmed}
    if not confirmed:
        if errors:
            return [common.finding("ptr", common.ERROR, "Could not tell whether %s is forward-confirmed: %s" % (
                ip, errors[0]), **details)]
        return [common.finding("ptr", common.FAIL, "PTR %s does not resolve back to %s (not forward-confirmed): "
                               "add an %s record for the name pointing at this address, or change the PTR." % (
                                   ", ".join(names), ip, family), **details)]
    generic = [n for n in confirmed if looks_generic(n, ip)]
    if len(names) > 1:
        return [common.finding("ptr", common.WARN, "More than one PTR record (%s): keep one name, the one the relay "
                               "uses in HELO." % ", ".join(names), **details)]
    if generic:
        details["generic"] = generic
        return [common.finding("ptr", common.WARN, "PTR %s looks like a generic dynamic-pool name: receivers score "
                               "it as a home connection. Set a PTR that names the mail relay." % generic[0],
                               **details)]
    return [common.finding("ptr", common.PASS, "PTR %s is forward-confirmed." % confirmed[0], **details)]
