# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""MTA-STS (RFC 8461): the _mta-sts record and the policy fetched over verified HTTPS.

The policy host name is resolved through the configured resolver, then the connection goes
to that address with SNI and Host set to the name, so checks see what the chosen DNS says.

Private to the collection: may change without notice.
"""

from __future__ import annotations

import asyncio
import re
import ssl

from ansible_collections.mailops.smtp.plugins.module_utils._dns import common
from ansible_collections.mailops.smtp.plugins.module_utils._dns.mx import mx_hosts

MAX_POLICY_BYTES = 64 * 1024
MAX_AGE_LIMIT = 31557600
MIN_AGE_ADVISED = 86400


def parse_record(record):
    tags = {}
    for part in [p.strip() for p in record.split(";") if p.strip()]:
        key, _sep, value = part.partition("=")
        tags[key.strip()] = value.strip()
    errors = []
    if tags.get("v") != "STSv1":
        errors.append("v must be STSv1")
    if not re.match(r"^[A-Za-z0-9]{1,32}\Z", tags.get("id", "")):
        errors.append("id= must be 1 to 32 letters or digits")
    return tags, errors


def parse_policy(text):
    """(policy dict with 'mx' as list, errors)."""
    policy = {"mx": []}
    errors = []
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        key, sep, value = line.partition(":")
        if not sep:
            errors.append("line %r is not 'key: value'" % line)
            continue
        key, value = key.strip(), value.strip()
        if key == "mx":
            policy["mx"].append(value.lower())
        else:
            policy[key] = value
    if policy.get("version") != "STSv1":
        errors.append("version must be STSv1")
    if policy.get("mode") not in ("enforce", "testing", "none"):
        errors.append("mode must be enforce, testing or none (got %r)" % policy.get("mode"))
    age = policy.get("max_age", "")
    if not age.isdigit() or int(age) > MAX_AGE_LIMIT:
        errors.append("max_age must be an integer 0..%d (got %r)" % (MAX_AGE_LIMIT, age))
    if policy.get("mode") in ("enforce", "testing") and not policy["mx"]:
        errors.append("a policy in mode %s needs at least one mx: line" % policy.get("mode"))
    return policy, errors


def mx_matches(host, pattern):
    host = host.lower().rstrip(".")
    pattern = pattern.lower().rstrip(".")
    if pattern.startswith("*."):
        head, _sep, tail = host.partition(".")
        return bool(head) and tail == pattern[2:]
    return host == pattern


class FetchError(Exception):
    def __init__(self, message, status):
        super().__init__(message)
        self.status = status


async def fetch_policy(client, domain, ca_file=None, port=443, timeout=10.0):
    """(body text, content-type, address) of https://mta-sts.<domain>/.well-known/mta-sts.txt."""
    host = "mta-sts." + domain.rstrip(".")
    addrs, looks = await client.addresses(host)
    if not addrs:
        errors = [lk.error for lk in looks if lk.kind == "error"]
        if errors:
            raise FetchError("could not resolve %s: %s" % (host, errors[0]), common.ERROR)
        raise FetchError("%s has no address, so the policy cannot be fetched" % host, common.FAIL)
    context = _tls_context(client, ca_file)
    last = None
    for addr in addrs:
        try:
            return await asyncio.wait_for(_get(addr, port, host, context), timeout) + (addr,)
        except asyncio.TimeoutError:
            last = FetchError("no answer from %s (%s) within %.0fs" % (host, addr, timeout), common.ERROR)
        except ssl.SSLCertVerificationError as exc:
            last = FetchError("certificate of %s does not verify: %s" % (host, exc.verify_message or exc),
                              common.FAIL)
        except ssl.SSLError as exc:
            last = FetchError("TLS with %s (%s) failed: %s" % (host, addr, exc), common.FAIL)
        except OSError as exc:
            last = FetchError("cannot connect to %s (%s) port %d: %s" % (host, addr, port, exc.strerror or exc),
                              common.ERROR)
    raise last


def _tls_context(client, ca_file):
    """One verifying SSLContext per task and CA file: loading the trust store is the costly part
    of a context, and every policy fetch of the task can share it."""
    shared = getattr(client, "shared", None)
    if shared is None:
        return ssl.create_default_context(cafile=ca_file)
    key = ("mta_sts.ssl_context", ca_file)
    if key not in shared:
        shared[key] = ssl.create_default_context(cafile=ca_file)
    return shared[key]


async def _get(addr, port, host, context):
    reader, writer = await asyncio.open_connection(addr, port, ssl=context, server_hostname=host)
    try:
        writer.write(("GET /.well-known/mta-sts.txt HTTP/1.1\r\nHost: %s\r\nUser-Agent: mailops.smtp dns_check\r\n"
                      "Accept: text/plain\r\nConnection: close\r\n\r\n" % host).encode("ascii"))
        await writer.drain()
        data = b""
        while len(data) <= MAX_POLICY_BYTES + 8192:
            chunk = await reader.read(16384)
            if not chunk:
                break
            data += chunk
    finally:
        writer.close()
    head, _sep, body = data.partition(b"\r\n\r\n")
    lines = head.decode("iso-8859-1").split("\r\n")
    match = re.match(r"^HTTP/1\.[01] (\d{3})", lines[0] if lines else "")
    if not match:
        raise FetchError("%s did not answer with HTTP" % host, common.FAIL)
    headers = {}
    for line in lines[1:]:
        key, _s, value = line.partition(":")
        headers[key.strip().lower()] = value.strip()
    code = int(match.group(1))
    if code != 200:
        raise FetchError("https://%s/.well-known/mta-sts.txt answered HTTP %d (redirects are not followed, "
                         "RFC 8461 3.3)" % (host, code), common.FAIL)
    if "chunked" in headers.get("transfer-encoding", "").lower():
        body = _unchunk(body)
    if len(body) > MAX_POLICY_BYTES:
        raise FetchError("policy larger than %d bytes" % MAX_POLICY_BYTES, common.FAIL)
    return body.decode("utf-8", "replace"), headers.get("content-type", "")


def _unchunk(body):
    out = b""
    while body:
        size_line, _sep, rest = body.partition(b"\r\n")
        try:
            size = int(size_line.split(b";")[0], 16)
        except ValueError:
            break
        if size == 0:
            break
        out += rest[:size]
        body = rest[size + 2:]
    return out


async def check(client, domain, ca_file=None, port=443, timeout=10.0):
    name = "_mta-sts." + domain.rstrip(".")
    look = await client.query(name, "TXT")
    if look.kind == "error":
        return [common.lookup_error("mta_sts", look)]
    records = [r for r in look.records if r.strip().startswith("v=STSv1")]
    if not records:
        return [common.finding("mta_sts", common.WARN, "No MTA-STS record at %s: senders deliver to your MX without "
                               "requiring TLS. Publish 'v=STSv1; id=...' and a policy at https://mta-sts.%s/"
                               ".well-known/mta-sts.txt." % (name, domain), query=name, record=None)]
    if len(records) > 1:
        return [common.finding("mta_sts", common.FAIL, "%d MTA-STS records at %s: senders ignore MTA-STS. Keep one."
                               % (len(records), name), query=name, records=records)]
    tags, errors = parse_record(records[0])
    details = {"query": name, "record": records[0], "id": tags.get("id")}
    if errors:
        return [common.finding("mta_sts", common.FAIL, "Invalid MTA-STS record: %s." % "; ".join(errors), **details)]
    url = "https://mta-sts.%s/.well-known/mta-sts.txt" % domain.rstrip(".")
    details["policy_url"] = url
    try:
        body, ctype, addr = await fetch_policy(client, domain, ca_file=ca_file, port=port, timeout=timeout)
    except FetchError as exc:
        hint = "Policy not usable: %s." % str(exc).rstrip(".")
        if exc.status == common.ERROR:
            hint = "Could not tell: %s." % str(exc).rstrip(".")
        return [common.finding("mta_sts", exc.status, hint, **details)]
    details["policy_address"] = addr
    policy, perrors = parse_policy(body)
    details["policy"] = policy
    if perrors:
        return [common.finding("mta_sts", common.FAIL, "Invalid policy at %s: %s." % (url, "; ".join(perrors)),
                               **details)]
    hosts, mx_look = await mx_hosts(client, domain)
    if mx_look.kind == "error":
        return [common.lookup_error("mta_sts", mx_look, **details)]
    unmatched = [h for _p, h in hosts if h and not any(mx_matches(h, p) for p in policy["mx"])]
    details["mx_hosts"] = [h for _p, h in hosts]
    details["unmatched_mx"] = unmatched
    notes = []
    if unmatched:
        if policy["mode"] == "enforce":
            return [common.finding("mta_sts", common.FAIL, "MX host(s) %s match no mx: line of the enforced policy: "
                                   "senders will refuse to deliver to them. Add them to the policy (and change id=)."
                                   % ", ".join(unmatched), **details)]
        notes.append("MX host(s) %s match no mx: line of the policy" % ", ".join(unmatched))
    if not ctype.lower().startswith("text/plain"):
        notes.append("the policy is served as %r, RFC 8461 asks for text/plain" % (ctype or "no content type"))
    if policy["mode"] != "enforce":
        notes.append("mode is %s: nothing is enforced yet, switch to enforce once TLS reports are clean"
                     % policy["mode"])
    if int(policy["max_age"]) < MIN_AGE_ADVISED:
        notes.append("max_age=%s is under a day: senders re-fetch often and a policy outage weakens protection; "
                     "use weeks (e.g. 604800) once stable" % policy["max_age"])
    if notes:
        return [common.finding("mta_sts", common.WARN, common.sentence(notes), **details)]
    return [common.finding("mta_sts", common.PASS, "MTA-STS policy in enforce mode covers every MX host.", **details)]
