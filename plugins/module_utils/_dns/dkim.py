# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""DKIM key records (RFC 6376, RFC 8463): presence, syntax, key type and size, revocation.

Private to the collection: may change without notice.
"""

from __future__ import annotations

import base64
import binascii

from ansible_collections.mailops.smtp.plugins.module_utils._dns import common

RSA_OID = bytes([0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01])
ED25519_OID = bytes([0x2b, 0x65, 0x70])


class KeyParseError(ValueError):
    pass


def _der(data, pos):
    """One DER TLV at pos -> (tag, value bytes, next position)."""
    if pos + 2 > len(data):
        raise KeyParseError("truncated DER")
    tag = data[pos]
    length = data[pos + 1]
    pos += 2
    if length & 0x80:
        count = length & 0x7f
        if count == 0 or count > 4 or pos + count > len(data):
            raise KeyParseError("bad DER length")
        length = int.from_bytes(data[pos:pos + count], "big")
        pos += count
    if pos + length > len(data):
        raise KeyParseError("truncated DER")
    return tag, data[pos:pos + length], pos + length


def _rsa_modulus_bits(pkcs1):
    tag, seq, _end = _der(pkcs1, 0)
    if tag != 0x30:
        raise KeyParseError("RSA key is not a SEQUENCE")
    tag, modulus, pos = _der(seq, 0)
    if tag != 0x02:
        raise KeyParseError("RSA modulus is not an INTEGER")
    tag, exponent, _pos = _der(seq, pos)
    if tag != 0x02:
        raise KeyParseError("RSA exponent is not an INTEGER")
    return int.from_bytes(modulus, "big").bit_length()


def key_facts(key_type, key_b64):
    """(algorithm, bits) of a DKIM p= value; raises ValueError when it does not parse."""
    try:
        raw = base64.b64decode("".join(key_b64.split()), validate=True)
    except (binascii.Error, ValueError):
        raise KeyParseError("p= is not valid base64") from None
    if key_type == "ed25519":
        if len(raw) != 32:
            raise KeyParseError("an ed25519 key is 32 bytes, this one is %d" % len(raw))
        return "ed25519", 256
    if key_type != "rsa":
        raise KeyParseError("unknown key type k=%s" % key_type)
    tag, spki, _end = _der(raw, 0)
    if tag != 0x30:
        raise KeyParseError("key is not DER")
    tag, algo, pos = _der(spki, 0)
    if tag == 0x02:  # a bare PKCS#1 RSAPublicKey, which some signers publish
        return "rsa", _rsa_modulus_bits(raw)
    if tag != 0x30:
        raise KeyParseError("key is not a SubjectPublicKeyInfo")
    tag, oid, _pos = _der(algo, 0)
    if tag != 0x06 or oid != RSA_OID:
        raise KeyParseError("k=rsa but the key is not an RSA key")
    tag, bits, _pos = _der(spki, pos)
    if tag != 0x03 or not bits:
        raise KeyParseError("key has no BIT STRING")
    return "rsa", _rsa_modulus_bits(bits[1:])


def parse_tags(record):
    tags = {}
    for part in record.split(";"):
        part = part.strip()
        if not part:
            continue
        key, sep, value = part.partition("=")
        if not sep:
            raise KeyParseError("%r is not a tag=value pair" % part)
        tags[key.strip().lower()] = "".join(value.split())
    return tags


def evaluate(record):
    """(status, hint, details) for the text of one DKIM key record."""
    try:
        tags = parse_tags(record)
    except ValueError as exc:
        return common.FAIL, "The key record does not parse: %s." % exc, {}
    details = {"tags": {k: v for k, v in tags.items() if k != "p"}}
    first = record.strip().split(";", 1)[0].replace(" ", "")
    if "v" in tags and (tags["v"] != "DKIM1" or not first.startswith("v=")):
        return common.FAIL, "v= must be DKIM1 and come first; verifiers ignore this key.", details
    if "p" not in tags:
        return common.FAIL, "The key record has no p= tag: verifiers cannot check signatures.", details
    if tags["p"] == "":
        return common.FAIL, ("The key is revoked (empty p=): signatures with this selector fail. Publish the "
                             "current key, or stop signing with this selector."), details
    key_type = tags.get("k", "rsa").lower()
    try:
        algorithm, bits = key_facts(key_type, tags["p"])
    except ValueError as exc:
        return common.FAIL, "The public key does not parse: %s." % exc, details
    details.update({"algorithm": algorithm, "bits": bits})
    notes = []
    status = common.PASS
    if "v" not in tags:
        status = common.WARN
        notes.append("no v=DKIM1 tag (allowed, but the record is easier to recognise with it)")
    if algorithm == "rsa" and bits < 1024:
        return common.FAIL, ("RSA key of %d bits: verifiers reject keys under 1024 bits. Rotate to a 2048-bit "
                             "key." % bits), details
    if algorithm == "rsa" and bits < 2048:
        status = common.WARN
        notes.append("RSA key of %d bits is weak: rotate to 2048 bits" % bits)
    if "y" in tags.get("t", "").split(":"):
        status = common.WARN
        notes.append("t=y (testing): verifiers may treat failures as unsigned mail")
    if "h" in tags and "sha256" not in tags["h"].split(":"):
        status = common.WARN
        notes.append("h=%s excludes sha256 (sha1 is no longer accepted)" % tags["h"])
    if status == common.PASS:
        return status, "Key present: %s %d bits." % (algorithm, bits), details
    return status, common.sentence(notes), details


async def check(client, domain, selectors):
    out = []
    for selector in selectors:
        name = "%s._domainkey.%s" % (selector, domain.rstrip("."))
        look = await client.query(name, "TXT")
        if look.kind == "error":
            out.append(common.lookup_error("dkim", look, item=selector))
            continue
        records = [r for r in look.records if "p=" in r.replace(" ", "") or "v=DKIM1" in r]
        if not records:
            out.append(common.finding(
                "dkim", common.FAIL, "No DKIM key at %s: publish the public key of selector %s, or remove the "
                "selector from dkim_selectors." % (name, selector), item=selector, query=name, records=look.records))
            continue
        if len(records) > 1:
            out.append(common.finding("dkim", common.FAIL, "%d key records at %s: verifiers cannot tell which "
                                      "applies. Keep one." % (len(records), name),
                                      item=selector, query=name, records=records))
            continue
        status, hint, details = evaluate(records[0])
        details.update({"query": name, "record": records[0]})
        out.append(common.finding("dkim", status, hint, item=selector, **details))
    return out
