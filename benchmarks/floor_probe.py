#!/usr/bin/env python
# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""B2's floor: a bare asyncio aiosmtplib client doing the probe's steps, nothing else.

Connect, EHLO, STARTTLS with the certificate verified against the CA file, EHLO, AUTH, MAIL,
RCPT, QUIT for every connector of a JSON file ({"bench_connectors": [...]}, as bench.py writes
it), CONCURRENCY sessions at a time. It writes one verdict per connector ("ok" or "failed") as
a JSON list. No classification, no policy, no result beyond the verdict: the least work a
client can do for the same answer, which is what the probe's own cost is measured against.

Usage: floor_probe.py CONNECTORS.json VERDICTS.json [CONCURRENCY]
"""

import asyncio
import json
import ssl
import sys

import aiosmtplib


async def session(conn, context, gate):
    async with gate:
        client = aiosmtplib.SMTP(hostname=conn["host"], port=conn["port"], start_tls=False, use_tls=False,
                                 tls_context=context, local_hostname="bench.example.org", timeout=30)
        try:
            await client.connect()
            await client.starttls(tls_context=context)
            await client.login(conn["auth"]["username"], conn["auth"]["password"])
            await client.mail(conn["senders"]["default"])
            await client.rcpt("tests@example.org")
            await client.quit()
            return "ok"
        except (TimeoutError, aiosmtplib.SMTPException, OSError):
            client.close()
            return "failed"


async def main(connectors, concurrency):
    gate = asyncio.Semaphore(concurrency)
    contexts = {}
    for conn in connectors:
        ca_file = conn["tls"]["ca_file"]
        if ca_file not in contexts:
            contexts[ca_file] = ssl.create_default_context(cafile=ca_file)
    return await asyncio.gather(*(session(c, contexts[c["tls"]["ca_file"]], gate) for c in connectors))


if __name__ == "__main__":
    with open(sys.argv[1], encoding="utf-8") as handle:
        conns = json.load(handle)["bench_connectors"]
    verdicts = asyncio.run(main(conns, int(sys.argv[3]) if len(sys.argv) > 3 else 100))
    with open(sys.argv[2], "w", encoding="utf-8") as handle:
        json.dump(verdicts, handle)
