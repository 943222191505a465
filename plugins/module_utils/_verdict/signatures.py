# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""DKIM (RFC 6376): verify every signature of a received message with dkimpy, keys through our resolver.

Private to the collection: may change without notice. The public keys are fetched first through
the collection's resolver (_dns.resolver.DnsClient, so the task's nameservers are used) and handed
to dkimpy through its dnsfunc hook; dkimpy itself never touches the network here.
"""

from __future__ import annotations

import asyncio
import logging
import re

try:
    import dkim as _dkimpy
    HAS_DKIMPY = True
    DKIMPY_IMPORT_ERROR = None
except ImportError as _exc:  # pragma: no cover - depends on the environment
    HAS_DKIMPY = False
    DKIMPY_IMPORT_ERROR = str(_exc)

from ansible_collections.mailops.smtp.plugins.module_utils._dns import dkim as _dns_dkim
from ansible_collections.mailops.smtp.plugins.module_utils._dns.dmarc import org_domain

MIN_KEY_BITS = 1024


class _Collect(logging.Handler):
    """dkimpy's errors (a key it cannot use, a DNS failure); its debug lines quote the signature's tags."""

    def __init__(self):
        super().__init__(logging.WARNING)
        self.messages = []

    def emit(self, record):
        self.messages.append(record.getMessage())


def _text(value):
    return value.decode("ascii", "replace") if isinstance(value, bytes) else str(value)


def signature_tags(message_bytes):
    """Tags of every DKIM-Signature header, topmost first, as {tag: text} (b= omitted)."""
    out = []
    if not HAS_DKIMPY:
        return out
    try:
        headers, _body = _dkimpy.rfc822_parse(message_bytes)
    except Exception:  # pylint: disable=broad-except
        return out
    for name, value in headers:
        if name.lower() != b"dkim-signature":
            continue
        try:
            tags = _dkimpy.util.parse_tag_value(value)
        except Exception:  # pylint: disable=broad-except
            out.append({})
            continue
        out.append(dict((_text(k), re.sub(r"\s+", "", _text(v))) for k, v in tags.items() if k != b"b"))
    return out


def aligned(signing_domain, from_domain, mode):
    """DMARC identifier alignment: strict needs the same domain, relaxed the same organizational domain."""
    if not signing_domain or not from_domain:
        return False
    left, right = signing_domain.rstrip(".").lower(), from_domain.rstrip(".").lower()
    if (mode or "r").lower() == "s":
        return left == right
    return org_domain(left) == org_domain(right)


async def fetch_keys(client, tag_list):
    """{query name: Lookup} for the key record of every signature (selector._domainkey.domain)."""
    names = sorted(set("%s._domainkey.%s" % (t["s"], t["d"].rstrip(".")) for t in tag_list if t.get("s") and t.get("d")))
    looks = await asyncio.gather(*[client.query(name, "TXT") for name in names])
    return dict(zip(names, looks))


def _key_record(look):
    records = [r for r in look.records if "p=" in r.replace(" ", "") or "v=DKIM1" in r] if look.ok else []
    return records


def verify_all(message_bytes, keys, from_domain, adkim="r"):
    """Verify each signature of message_bytes against prefetched key lookups -> list of result dicts.

    result: pass | fail | neutral (unusable signature) | temperror (key lookup failed) | permerror
    (key missing, revoked, unparseable, or too small).
    """
    tag_list = signature_tags(message_bytes)
    out = []
    for index, tags in enumerate(tag_list):
        domain = tags.get("d", "").rstrip(".").lower() or None
        selector = tags.get("s") or None
        signed = [h.strip().lower() for h in tags.get("h", "").split(":") if h.strip()]
        entry = {
            "domain": domain,
            "selector": selector,
            "algorithm": tags.get("a"),
            "canonicalization": tags.get("c", "simple/simple"),
            "signed_headers": signed,
            "covers_from": "from" in signed,
            "aligned": aligned(domain, from_domain, adkim),
            "key_bits": None,
            "key_query": None,
            "result": None,
            "reason": None,
        }
        out.append(entry)
        if not domain or not selector:
            entry.update(result="permerror", reason="the signature lacks d= or s=")
            continue
        name = "%s._domainkey.%s" % (selector, domain)
        entry["key_query"] = name
        look = keys.get(name)
        if look is None or look.kind == "error":
            entry.update(result="temperror", reason="the key at %s could not be fetched: %s" % (
                name, look.error if look is not None else "not looked up"))
            continue
        records = _key_record(look)
        if not records:
            entry.update(result="permerror", reason="no DKIM key at %s: the signer's key is not published" % name)
            continue
        status, hint, details = _dns_dkim.evaluate(records[0])
        entry["key_bits"] = details.get("bits")
        if details.get("bits") is None:
            entry.update(result="permerror", reason="the key at %s is unusable: %s" % (name, hint))
            continue
        entry.update(_verify_one(message_bytes, index, name, records[0]))
        if entry["result"] == "pass" and status == "warn" and entry["key_bits"] and entry["key_bits"] < 2048:
            entry["reason"] = "verified; the %d-bit key is weak, rotate to 2048 bits" % entry["key_bits"]
    return out


def _verify_one(message_bytes, index, name, record):
    collect = _Collect()
    logger = logging.getLogger("mailops.smtp.dkim.%d" % id(collect))
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    logger.addHandler(collect)

    def dnsfunc(query, timeout=5):
        wanted = query.decode("ascii", "replace") if isinstance(query, bytes) else str(query)
        if wanted.rstrip(".").lower() == name.lower():
            return record.encode("utf-8")
        return None

    try:
        verifier = _dkimpy.DKIM(message_bytes, logger=logger, minkey=MIN_KEY_BITS)
        ok = verifier.verify(idx=index, dnsfunc=dnsfunc)
    except _dkimpy.ValidationError as exc:
        text = str(exc)
        if "body hash mismatch" in text:
            return {"result": "fail", "reason": "body hash mismatch: the body was changed after signing"}
        return {"result": "permerror", "reason": text}
    except _dkimpy.KeyFormatError as exc:
        return {"result": "permerror", "reason": "key at %s: %s" % (name, exc)}
    except _dkimpy.DKIMException as exc:
        return {"result": "permerror", "reason": str(exc)}
    except Exception as exc:  # pylint: disable=broad-except  # dkimpy raises what its parsers raise
        return {"result": "permerror", "reason": "%s: %s" % (type(exc).__name__, exc)}
    finally:
        logger.removeHandler(collect)
    if ok:
        return {"result": "pass", "reason": "signature verified with the key at %s" % name}
    logged = [m for m in collect.messages if "valid" not in m.lower() or "invalid" in m.lower()]
    if logged and any("key" in m.lower() for m in logged):
        return {"result": "permerror", "reason": "; ".join(logged)}
    return {"result": "fail", "reason": "the signature does not verify: a signed header changed in transit, or "
                                        "the key at %s is not the signing key" % name}
