# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""DANE for SMTP (RFC 7672): do TLSA records exist for the MX hosts and the relay port?

Matching the records against the served certificate is mailops.smtp.tls_check's job.

Private to the collection: may change without notice.
"""

from __future__ import annotations

from ansible_collections.mailops.smtp.plugins.module_utils._dns import common

USAGES = {0: "PKIX-TA", 1: "PKIX-EE", 2: "DANE-TA", 3: "DANE-EE"}


async def check_host(client, host, port):
    name = "_%d._tcp.%s" % (port, host.rstrip("."))
    look = await client.query(name, "TLSA")
    item = "%s:%d" % (host, port)
    if look.kind == "error":
        return common.lookup_error("dane", look, item=item)
    if not look.ok:
        return common.finding("dane", common.WARN, "No TLSA records at %s: senders cannot authenticate this host "
                              "with DANE (optional; requires a DNSSEC-signed zone)." % name,
                              item=item, query=name, records=[])
    records = []
    bad = []
    for rdata in look.rdata:
        records.append(rdata.to_text())
        if rdata.usage not in USAGES or rdata.selector not in (0, 1) or rdata.mtype not in (0, 1, 2):
            bad.append(rdata.to_text())
    details = {"query": name, "records": records}
    if bad:
        return common.finding("dane", common.FAIL, "TLSA record(s) with unknown usage/selector/matching type: %s."
                              % "; ".join(bad), item=item, **details)
    pkix = [r for r in look.rdata if r.usage in (0, 1)]
    if len(pkix) == len(look.rdata):
        return common.finding("dane", common.WARN, "Only PKIX-TA/PKIX-EE usages (0, 1), which SMTP senders treat as "
                              "unusable (RFC 7672 3.1.3): publish DANE-EE (3 1 1) or DANE-TA (2 1 1).",
                              item=item, **details)
    return common.finding("dane", common.PASS, "%d TLSA record(s) at %s; tls_check matches them against the "
                          "certificate. The zone must be DNSSEC-signed for senders to use them." % (
                              len(records), name), item=item, **details)
