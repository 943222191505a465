# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Judge one received probe as a receiver would: hops, DKIM, SPF, DMARC, the receiver's verdict, transit.

Private to the collection: may change without notice. judge() takes the bytes that were sent,
the bytes that arrived and a resolver; it returns plain data and findings, and does no I/O
besides DNS questions through the resolver.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import email.utils

from ansible_collections.mailops.smtp.plugins.module_utils._dns import dmarc as _dmarc
from ansible_collections.mailops.smtp.plugins.module_utils._dns import spf as _spf
from ansible_collections.mailops.smtp.plugins.module_utils._verdict import authres, received, signatures

ERROR = "error"
WARNING = "warning"
# Headers compared between what was sent and what arrived (plus every header a signature covers).
COMPARED_HEADERS = ("from", "to", "subject", "date", "message-id", "reply-to")
# Result words that mean the same outcome in a receiver's vocabulary.
_SAME = {"hardfail": "fail", "pass": "pass"}


def finding(category, severity, message):
    return {"category": category, "severity": severity, "message": message}


def _parse(message_bytes):
    return email.message_from_bytes(message_bytes, policy=email.policy.compat32)


def _unfold(value):
    return " ".join(str(value or "").split())


def split_message(message_bytes):
    """(header block, body) of raw message bytes, whatever the line ends."""
    for sep in (b"\r\n\r\n", b"\n\n"):
        head, found, body = message_bytes.partition(sep)
        if found:
            return head, body
    return message_bytes, b""


def _body_lines(body):
    text = body.replace(b"\r\n", b"\n").decode("utf-8", "replace")
    lines = [line.rstrip() for line in text.split("\n")]
    while lines and not lines[-1]:
        lines.pop()
    return lines


def address_domain(value):
    _name, addr = email.utils.parseaddr(value or "")
    domain = addr.rpartition("@")[2].strip().rstrip(".").lower()
    return domain or None


def transit(sent_bytes, received_bytes, signed_headers=()):
    """What changed between sending and arrival: body, From, Subject and the headers a signature covers."""
    sent, got = _parse(sent_bytes), _parse(received_bytes)
    sent_body = _body_lines(split_message(sent_bytes)[1])
    got_body = _body_lines(split_message(received_bytes)[1])
    findings = []
    body_intact = sent_body == got_body
    body_change = None
    if not body_intact:
        if got_body[:len(sent_body)] == sent_body:
            body_change = "appended"
            findings.append(finding("transit", ERROR, "%d line(s) were appended to the body in transit (a footer or "
                                    "disclaimer): DKIM body hashes of the sender no longer match." % (
                                        len(got_body) - len(sent_body))))
        else:
            body_change = "altered"
            findings.append(finding("transit", ERROR, "The body was altered in transit (rewritten, re-encoded or "
                                    "scanned and modified): DKIM body hashes of the sender no longer match."))
    names = []
    for name in list(COMPARED_HEADERS) + [h for h in signed_headers if h]:
        if name not in names and sent.get(name) is not None:
            names.append(name)
    changed = []
    for name in names:
        before = [_unfold(v) for v in sent.get_all(name) or []]
        after = [_unfold(v) for v in got.get_all(name) or []]
        if before != after:
            changed.append(name)
    from_intact = "from" not in changed
    subject_intact = "subject" not in changed
    if not from_intact:
        findings.append(finding("transit", ERROR, "The From header was rewritten in transit (%s -> %s): replies and "
                                "DMARC alignment now follow the new address." % (
                                    _unfold(sent.get("from")), _unfold(got.get("from")))))
    other = [h for h in changed if h != "from"]
    if other:
        findings.append(finding("transit", WARNING, "Header(s) changed in transit: %s." % ", ".join(other)))
    return {
        "body_intact": body_intact,
        "body_change": body_change,
        "from_intact": from_intact,
        "subject_intact": subject_intact,
        "changed_headers": changed,
        "findings": findings,
    }


async def _no_policy():
    return {"record": None, "policy": None, "alignment": {"dkim": "r", "spf": "r"}, "error": None}


async def _dmarc_policy(client, from_domain):
    record, name, inherited, error = await _dmarc.find(client, from_domain)
    out = {"record": record, "query": name, "inherited_from_organizational_domain": inherited,
           "policy": None, "alignment": {"dkim": "r", "spf": "r"}, "error": error.error if error else None}
    if record:
        tags, errors, _unknown = _dmarc.parse(record)
        if not errors:
            key = "sp" if inherited and "sp" in tags else "p"
            out["policy"] = tags[key].lower()
            out["alignment"] = {"dkim": tags.get("adkim", "r").lower(), "spf": tags.get("aspf", "r").lower()}
            out["pct"] = int(tags.get("pct", "100"))
        else:
            out["errors"] = errors
    return out


def _return_path(msg):
    value = msg.get("Return-Path")
    if value is None:
        return None, None
    _name, addr = email.utils.parseaddr(value)
    return addr or "", (addr.rpartition("@")[2].rstrip(".").lower() or None) if addr else None


async def _spf_verdict(client, hops, msg, authserv_id):
    hop = received.receiving_hop(hops, authserv_id)
    sender, domain = _return_path(msg)
    out = {"ip": hop["from_ip"] if hop else None, "receiving_host": hop["by"] if hop else None,
           "mail_from": sender, "domain": domain, "result": None, "reason": None}
    if hop is None:
        out.update(result="none", reason="no Received header records the address the receiver took the message from")
        return out
    if not domain:
        out.update(result="none", reason="no Return-Path (envelope sender) on the delivered message")
        return out
    result, reason, _ctx = await _spf.evaluate(client, hop["from_ip"], domain, sender)
    out.update(result=result, reason=reason)
    return out


def _receiver_view(trusted_results):
    view = {}
    for method in ("dkim", "spf", "dmarc"):
        found = authres.method_results(trusted_results, method)
        if found:
            view[method] = found
    return view


def _disagreements(dkim_results, spf_result, dmarc_result, receiver):
    out = []
    for ours in dkim_results:
        theirs = [r for r in receiver.get("dkim", [])
                  if (r["properties"].get("header.d") or "").lower() == (ours["domain"] or "")
                  and (not r["properties"].get("header.s") or r["properties"].get("header.s") == ours["selector"])]
        if theirs and theirs[0]["result"] != ours["result"]:
            out.append({"method": "dkim", "item": "d=%s s=%s" % (ours["domain"], ours["selector"]),
                        "ours": ours["result"], "receiver": theirs[0]["result"]})
    spf_theirs = receiver.get("spf")
    if spf_theirs and spf_result.get("result") and spf_result["result"] != "none":
        theirs = _SAME.get(spf_theirs[0]["result"], spf_theirs[0]["result"])
        if theirs != spf_result["result"]:
            out.append({"method": "spf", "item": spf_result.get("domain"), "ours": spf_result["result"],
                        "receiver": spf_theirs[0]["result"]})
    dmarc_theirs = receiver.get("dmarc")
    if dmarc_theirs and dmarc_theirs[0]["result"] != dmarc_result["result"]:
        out.append({"method": "dmarc", "item": dmarc_result.get("from_domain"), "ours": dmarc_result["result"],
                    "receiver": dmarc_theirs[0]["result"]})
    return out


def evidence(received_bytes, secrets=()):
    """The received header block as text (no body), and the headers that matter, secrets removed."""
    msg = _parse(received_bytes)
    head = split_message(received_bytes)[0].decode("utf-8", "replace")
    for secret in secrets:
        if secret:
            head = head.replace(secret, "********")
    return {
        "headers": head,
        "received": [_unfold(v) for v in msg.get_all("Received") or []],
        "authentication_results": [_unfold(v) for v in msg.get_all("Authentication-Results") or []],
        "return_path": _unfold(msg.get("Return-Path")) or None,
    }


async def judge(client, sent_bytes, received_bytes, authserv_id=None, sent_at=None):
    """Everything the module says about one arrived probe -> dict with hops, auth, transit, findings."""
    msg = _parse(received_bytes)
    hops, skew = received.chain(msg.get_all("Received") or [], sent_at=sent_at)
    findings = []
    from_domain = address_domain(msg.get("From"))
    tags = signatures.signature_tags(received_bytes)
    # The DNS questions of DMARC, DKIM and SPF do not depend on each other: ask them at once.
    policy, keys, spf_result = await asyncio.gather(
        _dmarc_policy(client, from_domain) if from_domain else _no_policy(),
        signatures.fetch_keys(client, tags) if signatures.HAS_DKIMPY else _no_policy(),
        _spf_verdict(client, hops, msg, authserv_id))
    if signatures.HAS_DKIMPY:
        dkim_results = signatures.verify_all(received_bytes, keys, from_domain, policy["alignment"]["dkim"])
    else:
        dkim_results = [{"domain": t.get("d"), "selector": t.get("s"), "result": "neutral", "aligned": None,
                         "covers_from": None, "key_bits": None,
                         "reason": "dkimpy is not installed where the task runs; signatures were not verified"}
                        for t in tags]
        findings.append(finding("dkim", WARNING, "DKIM signatures were not verified: install dkimpy where the task "
                                "runs (python -m pip install dkimpy)."))
    spf_result["aligned"] = signatures.aligned(spf_result.get("domain"), from_domain, policy["alignment"]["spf"])
    dkim_aligned_pass = any(r["result"] == "pass" and r["aligned"] for r in dkim_results)
    spf_aligned_pass = spf_result["result"] == "pass" and spf_result["aligned"]
    if policy.get("record") and policy.get("policy"):
        dmarc_verdict = "pass" if (dkim_aligned_pass or spf_aligned_pass) else "fail"
    elif policy.get("error"):
        dmarc_verdict = "temperror"
    else:
        dmarc_verdict = "none"
    dmarc_result = {
        "result": dmarc_verdict,
        "from_domain": from_domain,
        "record": policy.get("record"),
        "policy": policy.get("policy"),
        "applied_policy": (policy.get("policy") if dmarc_verdict == "fail" else "none"),
        "alignment": policy["alignment"],
        "dkim_aligned": dkim_aligned_pass,
        "spf_aligned": bool(spf_aligned_pass),
        "reason": policy.get("error"),
    }
    receiver_split = authres.trusted(msg.get_all("Authentication-Results") or [], authserv_id)
    receiver = _receiver_view(receiver_split["trusted"])
    disagreements = _disagreements(dkim_results, spf_result, dmarc_result, receiver)
    findings.extend(_auth_findings(dkim_results, spf_result, dmarc_result, receiver_split, disagreements,
                                   authserv_id))
    signed = []
    for res in dkim_results:
        signed.extend(res.get("signed_headers") or [])
    transit_result = transit(sent_bytes, received_bytes, signed)
    findings.extend(transit_result.pop("findings"))
    tls_all = received.tls_after_relay(hops)
    if tls_all is False:
        plain = [h["by"] for h in hops[1:] if not h["local"] and not h["tls"]]
        findings.append(finding("tls", WARNING, "Not every hop after the relay used TLS (no TLS stated at %s): the "
                                "message crossed a link in clear text." % ", ".join(str(p) for p in plain)))
    return {
        "hops": hops,
        "clock_skew": skew,
        "tls_all_hops": tls_all,
        "auth": {
            "dkim": dkim_results,
            "spf": spf_result,
            "dmarc": dmarc_result,
            "receiver": {"authserv_id": authserv_id, "trusted": receiver_split["trusted"],
                         "ignored": receiver_split["ignored"]},
            "disagreements": disagreements,
        },
        "transit": transit_result,
        "findings": findings,
    }


def _auth_findings(dkim_results, spf_result, dmarc_result, receiver_split, disagreements, authserv_id):
    out = []
    if not dkim_results:
        out.append(finding("dkim", WARNING, "The message carries no DKIM signature: sign outgoing mail for the From "
                           "domain (DMARC then passes even when SPF does not align)."))
    for res in dkim_results:
        label = "DKIM signature d=%s s=%s" % (res["domain"], res["selector"])
        if res["result"] != "pass":
            out.append(finding("dkim", ERROR, "%s: %s (%s)." % (label, res["result"], res["reason"])))
            continue
        if res.get("covers_from") is False:
            out.append(finding("dkim", ERROR, "%s does not cover the From header (h= lacks from): anyone could "
                               "replace the sender." % label))
        if res.get("aligned") is False:
            out.append(finding("dkim", WARNING, "%s is valid but does not align with the From domain %s: DMARC cannot "
                               "pass on it. Sign with d= of the From domain." % (label, dmarc_result["from_domain"])))
        if res.get("key_bits") and res["key_bits"] < 2048:
            out.append(finding("dkim", WARNING, "%s uses a %d-bit key: rotate to 2048 bits." % (label, res["key_bits"])))
    spf = spf_result.get("result")
    if spf in ("fail", "softfail", "permerror", "temperror"):
        out.append(finding("spf", ERROR if spf in ("fail", "permerror") else WARNING,
                           "SPF %s for %s at %s: %s. Authorize the relay's outbound address in the SPF record of %s." % (
                               spf, spf_result.get("ip"), spf_result.get("domain"), spf_result.get("reason"),
                               spf_result.get("domain"))))
    if dmarc_result["result"] == "fail":
        out.append(finding("dmarc", ERROR, "DMARC fails for %s: neither SPF nor DKIM passes aligned with the From "
                           "domain, so receivers apply p=%s." % (dmarc_result["from_domain"], dmarc_result["policy"])))
    elif dmarc_result["result"] == "none":
        out.append(finding("dmarc", WARNING, "No DMARC record for %s: receivers apply no policy and send no "
                           "reports." % dmarc_result["from_domain"]))
    if not authserv_id:
        out.append(finding("receiver", WARNING, "test.mailbox.authserv_id is not set, so the receiver's own "
                           "Authentication-Results are not read (%d header(s) ignored)." % len(
                               receiver_split["ignored"])))
    elif not receiver_split["trusted"]:
        out.append(finding("receiver", WARNING, "No Authentication-Results header of %s on the message: the receiving "
                           "system did not record its verdict (or authserv_id is wrong)." % authserv_id))
    for item in disagreements:
        out.append(finding("receiver", WARNING, "%s %s: the receiver says %s, this module says %s." % (
            item["method"].upper(), item["item"], item["receiver"], item["ours"])))
    return out
