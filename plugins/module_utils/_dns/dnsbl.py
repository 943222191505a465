# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""DNS blocklists: is a relay address listed in a zone (RFC 5782)?

Private to the collection: may change without notice.
"""

from __future__ import annotations

import ipaddress

from ansible_collections.mailops.smtp.plugins.module_utils._dns import common
from ansible_collections.mailops.smtp.plugins.module_utils._dns.resolver import reverse_name

DEFAULT_ZONES = ("zen.spamhaus.org", "bl.spamcop.net", "psbl.surriel.com")
_REFUSAL = ipaddress.ip_network("127.255.255.0/24")
_LISTING = ipaddress.ip_network("127.0.0.0/8")


def classify(addresses):
    """'listed', 'refused' (the list will not say: public resolver, over quota) or 'unexpected'."""
    addrs = [ipaddress.ip_address(a) for a in addresses]
    if any(a.version == 4 and a in _REFUSAL for a in addrs):
        return "refused"
    if addrs and all(a.version == 4 and a in _LISTING for a in addrs):
        return "listed"
    return "unexpected"


async def check_zone(client, ip, zone):
    zone = zone.strip().rstrip(".").lower()
    name = reverse_name(ip, zone)
    look = await client.query(name, "A")
    details = {"zone": zone, "query": name}
    if look.kind == "error":
        return common.lookup_error("dnsbl", look, item=zone, **details)
    if not look.ok:
        return common.finding("dnsbl", common.PASS, "%s is not listed in %s." % (ip, zone), item=zone,
                              listed=False, **details)
    details["answers"] = look.records
    kind = classify(look.records)
    if kind == "refused":
        return common.finding(
            "dnsbl", common.ERROR, "Could not tell: %s answered %s, which means it refuses this query (queries through "
            "a public or shared resolver, or over the free quota). Query it through your own resolver or a "
            "registered data feed." % (zone, ", ".join(look.records)), item=zone, listed=None, **details)
    if kind == "unexpected":
        return common.finding(
            "dnsbl", common.ERROR, "Could not tell: %s answered %s, outside 127.0.0.0/8, so the zone is not "
            "behaving as a blocklist (retired list, or a wildcard). Remove it from dnsbl_zones." % (
                zone, ", ".join(look.records)), item=zone, listed=None, **details)
    reason = await client.query(name, "TXT")
    details["reason"] = " ".join(reason.records) if reason.ok else None
    return common.finding(
        "dnsbl", common.FAIL, "%s is listed in %s (%s)%s. Find and stop the cause, then request delisting from the "
        "list's operator." % (ip, zone, ", ".join(look.records),
                              (": " + details["reason"]) if details["reason"] else ""),
        item=zone, listed=True, **details)


async def check(client, ip, zones):
    out = []
    for zone in zones:
        out.append(await check_zone(client, ip, zone))
    return out
