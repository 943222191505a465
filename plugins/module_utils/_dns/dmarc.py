# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""DMARC (RFC 7489): the _dmarc record, its tags, policy strength and report destinations.

Private to the collection: may change without notice.
"""

from __future__ import annotations

import re

from ansible_collections.mailops.smtp.plugins.module_utils._dns import common

POLICIES = ("none", "quarantine", "reject")
KNOWN_TAGS = ("v", "p", "sp", "adkim", "aspf", "pct", "rua", "ruf", "fo", "rf", "ri", "np", "psd", "t")


def is_dmarc(text):
    return re.match(r"^\s*v\s*=\s*DMARC1\s*(;|$)", text) is not None


def parse(record):
    """Tags of a DMARC record -> (tags dict, errors list, unknown tag names list)."""
    tags = {}
    errors = []
    unknown = []
    parts = [p.strip() for p in record.split(";")]
    for idx, part in enumerate(parts):
        if not part:
            continue
        if "=" not in part:
            errors.append("%r is not a tag=value pair" % part)
            continue
        key, value = [x.strip() for x in part.split("=", 1)]
        key = key.lower()
        if idx == 0 and key != "v":
            errors.append("the record must start with v=DMARC1")
        if key in tags:
            errors.append("tag %s appears twice" % key)
        if key not in KNOWN_TAGS:
            unknown.append(key)
        tags[key] = value
    if tags.get("v") != "DMARC1":
        errors.append("v must be DMARC1")
    if "p" not in tags:
        errors.append("the required tag p= is missing")
    for key in ("p", "sp", "np"):
        if key in tags and tags[key].lower() not in POLICIES:
            errors.append("%s=%s is not one of none, quarantine, reject" % (key, tags[key]))
    for key in ("adkim", "aspf"):
        if key in tags and tags[key].lower() not in ("r", "s"):
            errors.append("%s=%s must be r (relaxed) or s (strict)" % (key, tags[key]))
    if "pct" in tags and not (tags["pct"].isdigit() and 0 <= int(tags["pct"]) <= 100):
        errors.append("pct=%s must be an integer 0..100" % tags["pct"])
    if "ri" in tags and not tags["ri"].isdigit():
        errors.append("ri=%s must be a number of seconds" % tags["ri"])
    if "fo" in tags and not re.match(r"^[01ds](:[01ds])*\Z", tags["fo"].replace(" ", "")):
        errors.append("fo=%s must be a colon-separated list of 0, 1, d, s" % tags["fo"])
    for key in ("rua", "ruf"):
        if key in tags:
            for uri in report_uris(tags[key]):
                if not re.match(r"^mailto:[^@\s]+@[^@\s!]+(![0-9]+[kmgt]?)?\Z", uri, re.IGNORECASE):
                    errors.append("%s entry %r is not a mailto: address" % (key, uri))
    return tags, errors, unknown


def report_uris(value):
    return [u.strip() for u in value.split(",") if u.strip()]


def report_domain(uri):
    addr = uri.split(":", 1)[-1].split("!", 1)[0]
    return addr.rpartition("@")[2].rstrip(".").lower()


def org_domain(domain):
    """Organizational domain guess: the last two labels (no Public Suffix List is consulted)."""
    labels = domain.rstrip(".").lower().split(".")
    return ".".join(labels[-2:])


def _related(a, b):
    return org_domain(a) == org_domain(b)


async def _records(client, name):
    look = await client.query(name, "TXT")
    return [r for r in look.records if is_dmarc(r)] if look.ok else [], look


async def find(client, domain):
    """The DMARC record that governs domain: (record or None, query name, inherited, error Lookup or None).

    The domain's own _dmarc record, else its organizational domain's (RFC 7489 6.6.3).
    """
    domain = domain.rstrip(".").lower()
    name = "_dmarc." + domain
    records, look = await _records(client, name)
    if look.kind == "error":
        return None, name, False, look
    if not records and org_domain(domain) != domain:
        org_name = "_dmarc." + org_domain(domain)
        records, org_look = await _records(client, org_name)
        if org_look.kind == "error":
            return None, org_name, True, org_look
        if records:
            return (records[0] if len(records) == 1 else None), org_name, True, None
    return (records[0] if len(records) == 1 else None), name, False, None


async def check(client, domain, min_policy="quarantine"):
    domain = domain.rstrip(".").lower()
    name = "_dmarc." + domain
    records, look = await _records(client, name)
    if look.kind == "error":
        return [common.lookup_error("dmarc", look)]
    inherited = False
    if not records and org_domain(domain) != domain:
        org_name = "_dmarc." + org_domain(domain)
        records, org_look = await _records(client, org_name)
        if org_look.kind == "error":
            return [common.lookup_error("dmarc", org_look)]
        if records:
            inherited, name = True, org_name
    if not records:
        return [common.finding(
            "dmarc", common.FAIL, "No DMARC record at %s: publish a TXT record 'v=DMARC1; p=%s; rua=mailto:...' "
            "(receivers such as Gmail and Yahoo require one from bulk senders)." % (name, min_policy),
            record=None, query=name)]
    if len(records) > 1:
        return [common.finding("dmarc", common.FAIL, "%d DMARC records at %s: receivers ignore all of them. Keep "
                               "exactly one." % (len(records), name), records=records, query=name)]
    record = records[0]
    tags, errors, unknown = parse(record)
    details = {"record": record, "query": name, "tags": tags, "inherited_from_organizational_domain": inherited}
    if errors:
        return [common.finding("dmarc", common.FAIL, "The DMARC record is invalid: %s." % "; ".join(errors),
                               errors=errors, **details)]
    problems = []
    warnings = []
    policy_key = "sp" if inherited and "sp" in tags else "p"
    policy = tags[policy_key].lower()
    details["policy"] = policy
    details["subdomain_policy"] = tags.get("sp", tags["p"]).lower()
    details["alignment"] = {"dkim": tags.get("adkim", "r").lower(), "spf": tags.get("aspf", "r").lower()}
    rank = POLICIES.index
    if rank(policy) < rank(min_policy):
        problems.append("policy %s=%s is weaker than the required %s: set p=%s (or stronger) once reports show "
                        "your mail aligns" % (policy_key, policy, min_policy, min_policy))
    if not inherited and rank(details["subdomain_policy"]) < rank(min_policy):
        warnings.append("the subdomain policy sp=%s is weaker than %s" % (details["subdomain_policy"], min_policy))
    if tags.get("pct", "100") != "100":
        warnings.append("pct=%s applies the policy to only part of the mail" % tags["pct"])
    if unknown:
        warnings.append("unknown tag(s) %s are ignored by receivers (typo?)" % ", ".join(sorted(unknown)))
    if "rua" not in tags:
        warnings.append("no rua= aggregate report address: you will not see who sends as your domain")
    details["rua"] = report_uris(tags.get("rua", ""))
    details["ruf"] = report_uris(tags.get("ruf", ""))
    unauthorized = []
    for uri in details["rua"] + details["ruf"]:
        dest = report_domain(uri)
        if not dest or _related(dest, domain):
            continue
        auth_name = "%s._report._dmarc.%s" % (org_domain(domain) if inherited else domain, dest)
        auth_records, auth_look = await _records(client, auth_name)
        if auth_look.kind == "error":
            return [common.lookup_error("dmarc", auth_look, **details)]
        if not auth_records:
            unauthorized.append("%s (no v=DMARC1 record at %s)" % (uri, auth_name))
    details["unauthorized_report_destinations"] = unauthorized
    if unauthorized:
        warnings.append("external report destinations without authorization record, receivers will not send "
                        "reports there: %s" % ", ".join(unauthorized))
    if problems:
        return [common.finding("dmarc", common.FAIL, common.sentence(problems + warnings), **details)]
    if warnings:
        return [common.finding("dmarc", common.WARN, common.sentence(warnings), **details)]
    return [common.finding("dmarc", common.PASS, "DMARC policy %s meets the required %s, reports go to %s." % (
        policy, min_policy, ", ".join(details["rua"])), **details)]
