# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""An in-memory stand-in for DnsClient: pure-logic tests feed it records, no network."""

from __future__ import annotations

import asyncio

import dns.rdata
import dns.rdataclass
import dns.rdatatype

from ansible_collections.mailops.smtp.plugins.module_utils._dns.resolver import Lookup


class FakeClient:
    """records: {(name, type): [text, ...]}; errors: {(name, type): message}; absent names are NXDOMAIN."""

    timeout = 1.0

    def __init__(self, records=None, errors=None):
        self.records = {}
        for (name, rdtype), values in (records or {}).items():
            self.records[(name.lower(), rdtype)] = list(values)
        self.errors = dict(errors or {})
        self.asked = []

    async def query(self, name, rdtype):
        name = str(name).rstrip(".").lower()
        self.asked.append((name, rdtype))
        if (name, rdtype) in self.errors:
            return Lookup(name, rdtype, "error", error=self.errors[(name, rdtype)])
        values = self.records.get((name, rdtype))
        if values is None:
            exists = any(n == name or n.endswith("." + name) for n, _t in self.records)
            return Lookup(name, rdtype, "nodata" if exists else "nxdomain")
        if rdtype == "TXT":
            return Lookup(name, rdtype, "answer", records=list(values), rdata=[], canonical=name)
        rdata = [dns.rdata.from_text(dns.rdataclass.IN, dns.rdatatype.from_text(rdtype), v) for v in values]
        texts = values if rdtype in ("A", "AAAA") else [r.to_text() for r in rdata]
        return Lookup(name, rdtype, "answer", records=list(texts), rdata=rdata, canonical=name)

    async def addresses(self, name, families=(4, 6)):
        looks = [await self.query(name, t) for f, t in ((4, "A"), (6, "AAAA")) if f in families]
        addrs = []
        for look in looks:
            addrs.extend(look.records if look.ok else [])
        return addrs, looks


def run(coro):
    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(coro)
    finally:
        loop.close()
