# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""SMTP TLS reporting (RFC 8460): the _smtp._tls record and its rua destinations.

Private to the collection: may change without notice.
"""

from __future__ import annotations

import re

from ansible_collections.mailops.smtp.plugins.module_utils._dns import common


def parse(record):
    """(tags, errors) of a TLSRPTv1 record."""
    tags = {}
    errors = []
    parts = [p.strip() for p in record.split(";") if p.strip()]
    for idx, part in enumerate(parts):
        key, sep, value = part.partition("=")
        if not sep:
            errors.append("%r is not a tag=value pair" % part)
            continue
        key = key.strip().lower()
        if idx == 0 and key != "v":
            errors.append("the record must start with v=TLSRPTv1")
        tags[key] = value.strip()
    if tags.get("v") != "TLSRPTv1":
        errors.append("v must be TLSRPTv1")
    if not tags.get("rua"):
        errors.append("rua= is required")
    else:
        for uri in [u.strip() for u in tags["rua"].split(",")]:
            if not (re.match(r"^mailto:[^@\s]+@[^@\s]+\.[^@\s]+\Z", uri, re.IGNORECASE)
                    or re.match(r"^https://[^\s/]+\.[^\s/]+(/\S*)?\Z", uri, re.IGNORECASE)):
                errors.append("rua entry %r is neither mailto:address nor an https:// URL" % uri)
    return tags, errors


async def check(client, domain):
    name = "_smtp._tls." + domain.rstrip(".")
    look = await client.query(name, "TXT")
    if look.kind == "error":
        return [common.lookup_error("tls_rpt", look)]
    records = [r for r in look.records if r.strip().lower().startswith("v=tlsrptv1")]
    if not records:
        return [common.finding("tls_rpt", common.WARN, "No TLS-RPT record at %s: you will not hear about TLS "
                               "failures delivering to your MX. Publish 'v=TLSRPTv1; rua=mailto:...'." % name,
                               query=name, record=None)]
    if len(records) > 1:
        return [common.finding("tls_rpt", common.FAIL, "%d TLS-RPT records at %s: senders ignore them all. Keep one."
                               % (len(records), name), query=name, records=records)]
    tags, errors = parse(records[0])
    details = {"query": name, "record": records[0], "tags": tags}
    if errors:
        return [common.finding("tls_rpt", common.FAIL, "Invalid TLS-RPT record: %s." % "; ".join(errors),
                               errors=errors, **details)]
    return [common.finding("tls_rpt", common.PASS, "TLS reports go to %s." % tags["rua"], **details)]
