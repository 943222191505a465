# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""SPF (RFC 7208): parse records, evaluate check_host() for a relay IP, walk the whole tree.

Private to the collection: may change without notice.
"""

from __future__ import annotations

import ipaddress
import re

from ansible_collections.mailops.smtp.plugins.module_utils._dns import common

MAX_LOOKUPS = 10
MAX_VOIDS = 2
MAX_MX_NAMES = 10
MAX_PTR_NAMES = 10
QUALIFIERS = {"+": "pass", "-": "fail", "~": "softfail", "?": "neutral"}
MECHANISMS = ("all", "include", "a", "mx", "ptr", "ip4", "ip6", "exists")
LOOKUP_TERMS = ("include", "a", "mx", "ptr", "exists", "redirect")
_NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]*\Z")
_MACRO_RE = re.compile(r"%\{([slodiphcrtv])([0-9]*)(r?)([.\-+,/_=]*)\}", re.IGNORECASE)


class PermError(Exception):
    """The record cannot be evaluated as written (receivers return permerror)."""


class TempError(Exception):
    """A DNS lookup could not be answered (receivers return temperror)."""


class Term:
    __slots__ = ("kind", "qualifier", "name", "value", "cidr4", "cidr6", "text")

    def __init__(self, kind, name, text, qualifier=None, value=None, cidr4=None, cidr6=None):
        self.kind = kind          # "mechanism" or "modifier"
        self.name = name
        self.text = text
        self.qualifier = qualifier
        self.value = value
        self.cidr4 = cidr4
        self.cidr6 = cidr6


def is_spf(text):
    low = text.strip().lower()
    return low == "v=spf1" or low.startswith("v=spf1 ")


def _split_cidr(text, term):
    """'example.org/24//64' -> ('example.org', 24, 64); each part optional."""
    cidr4 = cidr6 = None
    spec = text
    if "//" in spec:
        spec, c6 = spec.split("//", 1)
        if not c6.isdigit() or not 0 <= int(c6) <= 128:
            raise PermError("invalid IPv6 prefix length in %r" % term)
        cidr6 = int(c6)
    if "/" in spec:
        spec, c4 = spec.rsplit("/", 1)
        if not c4.isdigit() or not 0 <= int(c4) <= 32:
            raise PermError("invalid IPv4 prefix length in %r" % term)
        cidr4 = int(c4)
    return spec or None, cidr4, cidr6


def parse(record):
    """Terms of a 'v=spf1 ...' record; raises PermError for anything a receiver would reject."""
    parts = record.split()
    if not parts or parts[0].lower() != "v=spf1":
        raise PermError("record does not start with v=spf1")
    terms = []
    seen_modifiers = set()
    for part in parts[1:]:
        qualifier = "+"
        body = part
        if body[0] in QUALIFIERS:
            qualifier, body = body[0], body[1:]
        match = re.match(r"^([A-Za-z][A-Za-z0-9_.-]*)(.*)$", body)
        if not match:
            raise PermError("unknown term %r" % part)
        name, rest = match.group(1).lower(), match.group(2)
        if rest.startswith("=") and name not in MECHANISMS:
            if part[0] in QUALIFIERS:
                raise PermError("a modifier cannot have a qualifier: %r" % part)
            if name in ("redirect", "exp"):
                if name in seen_modifiers:
                    raise PermError("%s= appears more than once" % name)
                seen_modifiers.add(name)
                if not rest[1:]:
                    raise PermError("%s= needs a domain" % name)
                _check_macros(rest[1:], part)
            terms.append(Term("modifier", name, part, value=rest[1:]))
            continue
        if name not in MECHANISMS:
            raise PermError("unknown mechanism %r" % part)
        term = Term("mechanism", name, part, qualifier=qualifier)
        if name == "all":
            if rest:
                raise PermError("'all' takes no argument: %r" % part)
        elif name in ("include", "exists"):
            if not rest.startswith(":") or len(rest) < 2:
                raise PermError("%s needs ':domain': %r" % (name, part))
            term.value = rest[1:]
            _check_macros(term.value, part)
        elif name in ("a", "mx"):
            if rest.startswith(":"):
                rest = rest[1:]
                if not rest or rest.startswith("/"):
                    raise PermError("empty domain in %r" % part)
            elif rest and not rest.startswith("/"):
                raise PermError("malformed %r" % part)
            term.value, term.cidr4, term.cidr6 = _split_cidr(rest, part)
            if term.value:
                _check_macros(term.value, part)
        elif name == "ptr":
            if rest:
                if not rest.startswith(":") or len(rest) < 2:
                    raise PermError("malformed %r" % part)
                term.value = rest[1:]
                _check_macros(term.value, part)
        elif name in ("ip4", "ip6"):
            if not rest.startswith(":"):
                raise PermError("%s needs an address: %r" % (name, part))
            try:
                net = ipaddress.ip_network(rest[1:], strict=False)
            except ValueError:
                raise PermError("invalid address in %r" % part) from None
            if net.version != (4 if name == "ip4" else 6):
                raise PermError("wrong address family in %r" % part)
            term.value = net
        terms.append(term)
    return terms


def _check_macros(spec, term):
    stripped = _MACRO_RE.sub("", spec).replace("%%", "").replace("%_", "").replace("%-", "")
    if "%" in stripped:
        raise PermError("invalid macro in %r" % term)


def has_macro(spec):
    return "%" in (spec or "")


class Context:
    """State of one check_host() evaluation: the counters RFC 7208 limits, and a trace."""

    def __init__(self, ip, sender, helo=None):
        self.ip = ipaddress.ip_address(ip)
        sender = sender or "postmaster"
        local, _sep, domain = sender.rpartition("@")
        self.local = local or "postmaster"
        self.sender_domain = domain
        self.helo = helo or domain
        self.lookups = 0
        self.voids = 0
        self.trace = []
        self.path = []

    def count_lookup(self, term):
        self.lookups += 1
        if self.lookups > MAX_LOOKUPS:
            raise PermError("more than %d DNS lookups (reached at %r)" % (MAX_LOOKUPS, term))

    def count_void(self, look):
        if look.void:
            self.voids += 1
            if self.voids > MAX_VOIDS:
                raise PermError("more than %d void lookups (the last: %s)" % (MAX_VOIDS, look.name))


def expand(spec, ctx, domain):
    """Macro expansion (RFC 7208 section 7) of a domain-spec."""
    def letter_value(letter):
        letter = letter.lower()
        if letter == "s":
            return "%s@%s" % (ctx.local, ctx.sender_domain)
        if letter == "l":
            return ctx.local
        if letter == "o":
            return ctx.sender_domain
        if letter == "d":
            return domain
        if letter == "i":
            if ctx.ip.version == 4:
                return str(ctx.ip)
            return ".".join(ctx.ip.exploded.replace(":", ""))
        if letter == "v":
            return "in-addr" if ctx.ip.version == 4 else "ip6"
        if letter == "h":
            return ctx.helo
        if letter == "p":
            return "unknown"
        raise PermError("macro %%{%s} is only allowed in exp=" % letter)

    def repl(match):
        value = letter_value(match.group(1))
        delims = match.group(4) or "."
        parts = re.split("[" + re.escape(delims) + "]", value)
        if match.group(3):
            parts.reverse()
        if match.group(2):
            keep = int(match.group(2))
            if keep == 0:
                raise PermError("macro digit 0 is not allowed")
            parts = parts[-keep:]
        return ".".join(parts)

    out = []
    pos = 0
    while pos < len(spec):
        char = spec[pos]
        if char != "%":
            out.append(char)
            pos += 1
            continue
        nxt = spec[pos + 1:pos + 2]
        if nxt == "%":
            out.append("%")
            pos += 2
        elif nxt == "_":
            out.append(" ")
            pos += 2
        elif nxt == "-":
            out.append("%20")
            pos += 2
        elif nxt == "{":
            match = _MACRO_RE.match(spec, pos)
            if not match:
                raise PermError("invalid macro in %r" % spec)
            out.append(repl(match))
            pos = match.end()
        else:
            raise PermError("invalid macro in %r" % spec)
    result = "".join(out).rstrip(".")
    while len(result) > 253 and "." in result:
        result = result.split(".", 1)[1]
    return result


async def fetch_record(client, domain):
    """The single SPF record of a domain -> (record or None, lookup). Raises on errors."""
    look = await client.query(domain, "TXT")
    if look.kind == "error":
        raise TempError(look.error)
    records = [r for r in look.records if is_spf(r)]
    if len(records) > 1:
        raise PermError("%d SPF records at %s (exactly one is allowed): %s" % (
            len(records), domain, " | ".join(records)))
    return (records[0] if records else None), look


def _in_net(ip, addrs, cidr4, cidr6):
    prefix = cidr4 if ip.version == 4 else cidr6
    for text in addrs:
        addr = ipaddress.ip_address(text)
        if addr.version != ip.version:
            continue
        bits = prefix if prefix is not None else addr.max_prefixlen
        if ip in ipaddress.ip_network("%s/%d" % (addr, bits), strict=False):
            return True
    return False


async def _addrs(client, ctx, name, term, count_void=True):
    rdtype = "A" if ctx.ip.version == 4 else "AAAA"
    look = await client.query(name, rdtype)
    if look.kind == "error":
        raise TempError(look.error)
    if count_void:
        ctx.count_void(look)
    return look.records


async def _mechanism_matches(client, ctx, term, domain, stack):
    name = term.name
    if name == "all":
        return True
    if name == "ip4" or name == "ip6":
        return ctx.ip in term.value if ctx.ip.version == term.value.version else False
    target = expand(term.value, ctx, domain) if term.value else domain
    if name == "include":
        ctx.count_lookup(term.text)
        result = await check_host(client, ctx, target, stack)
        if result == "pass":
            return True
        if result in ("fail", "softfail", "neutral"):
            return False
        if result == "temperror":
            raise TempError("include:%s gave temperror" % target)
        raise PermError("include:%s gave %s" % (target, "no SPF record (none)" if result == "none" else result))
    if name == "a":
        ctx.count_lookup(term.text)
        return _in_net(ctx.ip, await _addrs(client, ctx, target, term), term.cidr4, term.cidr6)
    if name == "mx":
        ctx.count_lookup(term.text)
        look = await client.query(target, "MX")
        if look.kind == "error":
            raise TempError(look.error)
        ctx.count_void(look)
        hosts = [r.exchange.to_text().rstrip(".") for r in look.rdata]
        hosts = [h for h in hosts if h]
        if len(hosts) > MAX_MX_NAMES:
            raise PermError("mx:%s has %d MX names (more than %d)" % (target, len(hosts), MAX_MX_NAMES))
        for host in hosts:
            if _in_net(ctx.ip, await _addrs(client, ctx, host, term, count_void=False), term.cidr4, term.cidr6):
                return True
        return False
    if name == "exists":
        ctx.count_lookup(term.text)
        look = await client.query(target, "A")
        if look.kind == "error":
            raise TempError(look.error)
        ctx.count_void(look)
        return look.ok
    if name == "ptr":
        ctx.count_lookup(term.text)
        from ansible_collections.mailops.smtp.plugins.module_utils._dns.resolver import reverse_name
        look = await client.query(reverse_name(str(ctx.ip)), "PTR")
        if look.kind == "error":
            return False  # RFC 7208 5.5: a failing PTR lookup is just no match
        ctx.count_void(look)
        for ptr_name in [r.rstrip(".").lower() for r in look.records][:MAX_PTR_NAMES]:
            fwd = await client.query(ptr_name, "A" if ctx.ip.version == 4 else "AAAA")
            if fwd.ok and str(ctx.ip) in [str(ipaddress.ip_address(a)) for a in fwd.records]:
                if ptr_name == target.lower() or ptr_name.endswith("." + target.lower()):
                    return True
        return False
    raise PermError("unknown mechanism %r" % term.text)


async def check_host(client, ctx, domain, stack=()):
    """RFC 7208 check_host(): the result a receiver computes for ctx.ip at domain."""
    domain = domain.rstrip(".").lower()
    if domain in stack:
        raise PermError("include/redirect loop: %s" % " -> ".join(list(stack) + [domain]))
    stack = tuple(stack) + (domain,)
    record, _look = await fetch_record(client, domain)
    if record is None:
        return "none"
    terms = parse(record)
    redirect = None
    for term in terms:
        if term.kind == "modifier":
            if term.name == "redirect":
                redirect = term
            continue
        ctx.path = []
        if await _mechanism_matches(client, ctx, term, domain, stack):
            entry = "%s matched %s" % (domain, term.text)
            ctx.trace.append(entry)
            ctx.path = [entry] + (ctx.path if term.name == "include" else [])
            return QUALIFIERS[term.qualifier]
    if redirect is not None:
        ctx.count_lookup(redirect.text)
        target = expand(redirect.value, ctx, domain)
        ctx.path = []
        result = await check_host(client, ctx, target, stack)
        if result == "none":
            raise PermError("redirect=%s has no SPF record" % target)
        ctx.path = ["%s %s" % (domain, redirect.text)] + ctx.path
        return result
    entry = "%s: no mechanism matched (neutral)" % domain
    ctx.trace.append(entry)
    ctx.path = [entry]
    return "neutral"


async def evaluate(client, ip, domain, sender):
    """check_host() wrapped: (result, explanation, ctx) with permerror/temperror as results."""
    ctx = Context(ip, sender)
    try:
        result = await check_host(client, ctx, domain)
        reason = " -> ".join(ctx.path) if result != "none" else "no SPF record at %s" % domain
    except PermError as exc:
        result, reason = "permerror", str(exc)
    except TempError as exc:
        result, reason = "temperror", str(exc)
    return result, reason, ctx


class Walk:
    """Everything reachable from a domain's SPF record, whatever the sender IP."""

    def __init__(self):
        self.records = {}
        self.lookups = 0
        self.voids = []
        self.problems = []
        self.warnings = []
        self.errors = []
        self.uses_ptr = False
        self.unresolved_macros = []


async def walk(client, domain, result=None, stack=()):
    """Count the lookups of the whole tree (every include and redirect followed)."""
    result = result if result is not None else Walk()
    domain = domain.rstrip(".").lower()
    if domain in stack:
        result.problems.append("include/redirect loop: %s" % " -> ".join(list(stack) + [domain]))
        return result
    stack = tuple(stack) + (domain,)
    try:
        record, look = await fetch_record(client, domain)
    except PermError as exc:
        result.problems.append(str(exc))
        return result
    except TempError as exc:
        result.errors.append(str(exc))
        return result
    if record is None:
        if len(stack) > 1:
            result.problems.append("%s has no SPF record (%s), so including it is a permerror" % (
                domain, "NXDOMAIN" if look.kind == "nxdomain" else "no v=spf1 TXT"))
            if look.void:
                result.voids.append(domain)
        return result
    result.records[domain] = record
    try:
        terms = parse(record)
    except PermError as exc:
        result.problems.append("%s: %s" % (domain, exc))
        return result
    has_all = any(t.kind == "mechanism" and t.name == "all" for t in terms)
    for term in terms:
        if term.name not in LOOKUP_TERMS or (term.name == "redirect" and has_all):
            continue
        if term.kind == "modifier" and term.name != "redirect":
            continue
        result.lookups += 1
        if term.name == "ptr":
            result.uses_ptr = True
        target = term.value or domain
        if has_macro(target):
            result.unresolved_macros.append(term.text)
            continue
        if term.name in ("include", "redirect"):
            await walk(client, target, result, stack)
        elif term.name in ("a", "mx", "exists"):
            look = await client.query(target, "MX" if term.name == "mx" else "A")
            if look.kind == "error":
                result.errors.append(look.error)
            elif look.void and not (term.name == "a" and (await client.query(target, "AAAA")).ok):
                result.voids.append("%s (%s)" % (target, term.text))
    return result


def status_for(result):
    """Map a receiver's SPF result onto pass/warn/fail/error."""
    return {"pass": common.PASS, "neutral": common.WARN, "softfail": common.FAIL, "fail": common.FAIL,
            "none": common.FAIL, "permerror": common.FAIL, "temperror": common.ERROR}[result]


_HINTS = {
    "pass": "The relay is authorized by the SPF record.",
    "neutral": "The record makes no assertion for this relay (neutral): receivers treat it like no SPF. "
               "Authorize the relay with ip4:/ip6: or include: of your provider.",
    "softfail": "The relay is not authorized (softfail, ~all): receivers and DMARC treat it as not passing. "
                "Add the relay's addresses (ip4:/ip6:) or your provider's include: to the record.",
    "fail": "The relay is not authorized (fail, -all): receivers reject or junk this mail. Add the relay's "
            "addresses (ip4:/ip6:) or your provider's include: to the record.",
    "none": "No SPF record: publish one TXT record 'v=spf1 ... -all' that authorizes the relay.",
    "permerror": "Receivers cannot evaluate the record (permerror: {reason}) and treat it as failing.",
    "temperror": "Could not tell: a DNS lookup needed by the evaluation was not answered ({reason}).",
}


async def check(client, domain, relay_ips, sender):
    """One finding per relay IP (or one for the record when there is no relay IP)."""
    tree = await walk(client, domain)
    record = tree.records.get(domain.rstrip(".").lower())
    base = {"record": record, "records": tree.records, "lookups": tree.lookups, "void_lookups": tree.voids,
            "problems": tree.problems}
    notes = []
    tree_status = common.PASS
    if tree.problems:
        tree_status = common.FAIL
        notes.append("The record tree has errors receivers turn into permerror: %s." % "; ".join(tree.problems))
    if tree.lookups > MAX_LOOKUPS:
        tree_status = common.FAIL
        notes.append("The record needs %d DNS lookups (limit %d): any relay not matched before the limit gets "
                     "permerror. Flatten includes into ip4:/ip6: or drop unused includes." % (tree.lookups, MAX_LOOKUPS))
    if len(tree.voids) > MAX_VOIDS:
        tree_status = common.FAIL
        notes.append("%d void lookups (limit %d): %s. Remove mechanisms that point at names without records." % (
            len(tree.voids), MAX_VOIDS, ", ".join(tree.voids)))
    if tree.uses_ptr:
        tree_status = common.worst([tree_status, common.WARN])
        notes.append("The ptr mechanism is discouraged (RFC 7208 5.5): slow and ignored by some receivers; "
                     "use ip4:/ip6: instead.")
    if tree.errors and not relay_ips:
        return [common.finding("spf", common.ERROR, "Could not tell: %s" % tree.errors[0], errors=tree.errors, **base)]
    if not relay_ips:
        if record is None:
            return [common.finding("spf", common.FAIL, _HINTS["none"], **base)]
        status = tree_status
        hint = " ".join(notes) or "The record parses and stays within the lookup limits (no relay IP to evaluate)."
        return [common.finding("spf", status, hint, **base)]
    out = []
    for ip in relay_ips:
        result, reason, ctx = await evaluate(client, ip, domain, sender)
        status = status_for(result)
        hint = _HINTS[result].format(reason=reason)
        if status != common.ERROR:
            if result == "pass" and tree_status != common.PASS:
                status = common.WARN
            elif tree_status == common.FAIL:
                status = common.FAIL
            if notes:
                hint = hint + " " + " ".join(notes)
        details = dict(base)
        details.update({"ip": ip, "result": result, "reason": reason, "sender": "%s@%s" % (ctx.local, ctx.sender_domain),
                        "evaluation_lookups": ctx.lookups, "evaluation_void_lookups": ctx.voids, "trace": ctx.trace})
        out.append(common.finding("spf", status, hint, item=ip, **details))
    return out
