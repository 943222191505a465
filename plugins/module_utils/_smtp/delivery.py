# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The delivery check: send a tokened probe (engine) -> find it over IMAP (_mailbox) -> judge it (_verdict).

Private to the collection: may change without notice. Every connector runs concurrently under
one overall deadline: sends are bounded by `concurrency`, waiting is not, so the task takes about
as long as the slowest delivery. Mailboxes shared by connectors are read by one watcher each.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import copy
import datetime
import re
import time
import uuid

from ansible.module_utils.basic import missing_required_lib

from ansible_collections.mailops.smtp.plugins.module_utils import _metrics, _progress
from ansible_collections.mailops.smtp.plugins.module_utils._model import scrub, secret_values
from ansible_collections.mailops.smtp.plugins.module_utils._smtp import engine
from ansible_collections.mailops.smtp.plugins.module_utils._smtp import state as _state
from ansible_collections.mailops.smtp.plugins.module_utils._smtp.tasks import (
    FAIL_ON_CHOICES,
    INSTALL_HINT,
    MAX_DESCRIBED,
    check_argument_spec,
    engine_options,
    failing,
    load_memory,
    prepare,
)
from ansible_collections.mailops.smtp.plugins.module_utils._smtp.test_send import WIRE_POLICY, build_message, send_connector

PROBE_HEADER = "X-Mailops-Probe"
DEFAULT_STATE_FILE = "~/.ansible/mailops_smtp/delivery_check_state.json"
DELIVERY_STATUSES = ("delivered", "delivered_to_junk", "bounced", "not_arrived", "mailbox_error")
FINDING_CATEGORIES = ("dkim", "spf", "dmarc", "transit", "tls", "receiver")
DELIVERY_FAIL_ON = (["failed", "warning"] + [s for s in DELIVERY_STATUSES if s != "delivered"]
                    + list(FINDING_CATEGORIES) + [c for c in FAIL_ON_CHOICES if c not in ("failed", "warning")])
# Seconds kept back from the deadline for judging and cleanup once waiting ends.
CLOSING_MARGIN = 1.0

HINTS = {
    "delivered": "The message arrived in the inbox.",
    "delivered_to_junk": "The message arrived, but in the Junk folder: the receiver judged it as spam. Look at the "
                         "DKIM, SPF and DMARC results and findings; a message that fails DMARC or has no aligned "
                         "signature is the usual cause.",
    "bounced": "The receiving side refused the message after the relay accepted it, and a bounce (DSN) reached the "
               "sender's mailbox: read bounce.status and bounce.diagnostic (5.1.1: the recipient does not exist; "
               "5.7.x: a policy refused it).",
    "not_arrived": "The relay accepted the message, but it did not arrive in the mailbox (INBOX, Junk or the declared "
                   "folders) before the deadline, and no bounce came back. Look in the relay's log for the queue id; "
                   "raise deadline if the receiver is slow (greylisting delays a first message by minutes).",
    "mailbox_error": "The mailbox could not be read, so nothing can be said about delivery. See error.hint.",
    "not_checked": "Check mode: nothing was sent, and no earlier verified result is known for these settings.",
}


def argument_spec():
    return check_argument_spec(
        fail_on={"type": "list", "elements": "str", "default": ["failed"], "choices": DELIVERY_FAIL_ON},
        deadline={"type": "int", "default": 120},
        force={"type": "bool", "default": False},
        state_file={"type": "path"},
        cleanup={"type": "bool", "default": True},
        dns={"type": "dict", "default": {}, "options": {
            "nameservers": {"type": "list", "elements": "str", "default": []},
            "port": {"type": "int", "default": 53},
            "timeout": {"type": "float", "default": 5.0},
        }},
        **_metrics.argument_spec()
    )


def queue_id(reply):
    """The queue id in a relay's reply to DATA, or None.

    Postfix '250 2.0.0 Ok: queued as 4XyZ', Sendmail '250 2.0.0 x3AB Message accepted for delivery',
    Exim '250 OK id=1abc-0001-XY'.
    """
    text = str(reply or "")
    for pattern in (r"\bqueued as\s+([A-Za-z0-9][A-Za-z0-9._-]*)", r"\bid=([A-Za-z0-9][A-Za-z0-9._-]{3,})",
                    r"^\d{3}\s+\d\.\d\.\d\s+([A-Za-z0-9]{6,})\s+Message accepted"):
        match = re.search(pattern, text, re.IGNORECASE)
        if match:
            return match.group(1).rstrip(".")
    return None


def nameservers(dns):
    """The dns option's nameservers with dns.port applied to entries that name no port."""
    from ansible_collections.mailops.smtp.plugins.module_utils._dns.resolver import parse_nameserver

    out = []
    for index, entry in enumerate(dns.get("nameservers") or []):
        text = str(entry).strip()
        try:
            address, port = parse_nameserver(text)
        except ValueError as exc:
            raise ValueError("dns.nameservers[%d]: %s" % (index, exc)) from None
        explicit = text.startswith("[") and "]:" in text or (text.count(":") == 1)
        if not explicit:
            port = int(dns.get("port") or 53)
        out.append("[%s]:%d" % (address, port) if ":" in address else "%s:%d" % (address, port))
    return out


def check_options(module, connectors):
    params = module.params
    if not 5 <= params["deadline"] <= 3600:
        module.fail_json(msg="deadline: must be between 5 and 3600 seconds, got %s" % params["deadline"])
    dns = params.get("dns") or {}
    if not 0 < float(dns.get("timeout") or 5.0) <= 60:
        module.fail_json(msg="dns.timeout: must be more than 0 and at most 60 seconds")
    if not 1 <= int(dns.get("port") or 53) <= 65535:
        module.fail_json(msg="dns.port: must be 1..65535")
    try:
        servers = nameservers(dns)
    except ValueError as exc:
        module.fail_json(msg=str(exc))
    for index, conn in enumerate(connectors):
        test = conn.get("test") or {}
        if not test.get("to"):
            module.fail_json(msg="/connectors/%d/test/to: connector %s declares no test recipients; delivery_check "
                                 "sends its probe to test.to" % (index, conn["name"]))
        if not test.get("mailbox"):
            module.fail_json(msg="/connectors/%d/test/mailbox: connector %s declares no mailbox to look in; set "
                                 "test.mailbox (host, username, password) for the mailbox of one of test.to"
                                 % (index, conn["name"]))
        if (test.get("sender") or "default") not in (conn.get("senders") or {}):
            module.fail_json(msg="/connectors/%d/test/sender: %r is not a senders purpose of connector %s" % (
                index, test.get("sender"), conn["name"]))
    return servers


def plan(module, connectors):
    params = module.params
    path, key, known = load_memory(module, DEFAULT_STATE_FILE)
    plans = []
    for conn in connectors:
        test = conn["test"]
        fp = _state.fingerprint(conn, key, {"check": "delivery", "recipients": list(test["to"])})
        previous = known.get(conn["name"]) or {}
        last = previous.get("result") if previous.get("fingerprint") == fp else None
        if params["force"]:
            would, reason = True, "force: true"
        elif last is None:
            would = True
            reason = ("never verified" if not previous else "settings changed since the last verified delivery")
        else:
            would = False
            reason = "unchanged since the last verified delivery at %s" % previous.get("verified_at")
        plans.append({"purposes": [test.get("sender") or "default"], "recipients": list(test["to"]),
                      "fingerprint": fp, "would_send": would, "reason": reason, "last": last,
                      "last_any": previous.get("result")})
    return path, plans


def build_probe(token, expires, holder):
    """A message builder for send_connector: the token in X-Mailops-Probe and in the Message-ID."""

    def build(connector, purpose, recipients, run_id):
        msg, address = build_message(connector, purpose, recipients, run_id)
        domain = address.rpartition("@")[2] or "localhost"
        msg.replace_header("Subject", "mailops delivery check: connector %s" % connector["name"])
        msg.replace_header("Message-ID", "<mailops-probe.%s@%s>" % (token, domain))
        msg[PROBE_HEADER] = "token=%s; connector=%s; expires=%d" % (token, connector["name"], expires)
        msg.set_content(
            "This is a delivery check from the mailops.smtp collection: it proves that mail sent through the "
            "connector %s arrives, and how the receiving side judges it.\n\nIt is deleted automatically once it "
            "has been found. No reply is needed.\n" % connector["name"])
        holder["bytes"] = msg.as_bytes(policy=WIRE_POLICY)
        holder["message_id"] = msg["Message-ID"]
        return msg, address

    return build


def base(conn, plan_entry):
    return {
        "connector": conn["name"],
        "status": None,
        "outcome": None,
        "hint": None,
        "findings": [],
        "would_send": plan_entry["would_send"],
        "reason": plan_entry["reason"],
        "sent": False,
        "changed": False,
        "from_state": False,
        "verified_at": None,
        "token": None,
        "message_id": None,
        "queue_id": None,
        "relay_reply": None,
        "error": None,
        "folder": None,
        "junk": None,
        "delay_seconds": None,
        "hops": [],
        "clock_skew": False,
        "tls_all_hops": None,
        "auth": None,
        "transit": None,
        "bounce": None,
        "cleanup": None,
        "evidence": None,
        "warnings": [],
    }


def outcome_of(res):
    if res["status"] != "delivered" or res.get("error"):
        return "failed"
    severities = set(f["severity"] for f in res["findings"])
    if "error" in severities:
        return "failed"
    if "warning" in severities or res["warnings"]:
        return "warning"
    return "ok"


def from_last(res, last, would_send):
    """Report the last verified result (check mode, or unchanged settings)."""
    if last:
        kept = dict((k, v) for k, v in last.items() if k in res and k not in ("would_send", "reason"))
        res.update(copy.deepcopy(kept))
        res["from_state"] = True
    else:
        res["status"] = "not_checked"
        res["hint"] = HINTS["not_checked"]
        res["outcome"] = "ok"
    res["sent"] = False
    res["changed"] = bool(would_send)
    return res


class Run:
    """State shared by the connectors of one task: deadline, watchers, resolver, options."""

    def __init__(self, params, servers, check_mode):
        self.params = params
        self.check_mode = check_mode
        self.start = time.monotonic()
        self.deadline = self.start + params["deadline"]
        self.expires = int(time.time() + params["deadline"]) + 1
        self.options = engine_options(params)
        self.servers = servers
        self.watchers = {}
        self.sem = None
        self.client = None
        self.executor = None
        self.secrets = []

    def watcher(self, mailbox, kind):
        from ansible_collections.mailops.smtp.plugins.module_utils._mailbox.watch import Watcher, mailbox_key

        key = (kind,) + mailbox_key(mailbox)
        if key not in self.watchers:
            watcher = Watcher(mailbox, kind, self.deadline - CLOSING_MARGIN, self.executor)
            watcher.start()
            self.watchers[key] = watcher
        return self.watchers[key]


async def check_connector(run, conn, plan_entry):
    from ansible_collections.mailops.smtp.plugins.module_utils._mailbox.watch import BOUNCES, PROBES
    from ansible_collections.mailops.smtp.plugins.module_utils._verdict import judge as _judge

    res = base(conn, plan_entry)
    if run.check_mode or not plan_entry["would_send"]:
        return from_last(res, plan_entry["last"] if not run.check_mode else plan_entry["last_any"],
                         plan_entry["would_send"])
    test = conn["test"]
    token = uuid.uuid4().hex
    holder = {}
    res["token"] = token
    left = run.deadline - time.monotonic()
    async with run.sem:
        try:
            sent = await asyncio.wait_for(send_connector(conn, plan_entry, run.options, False,
                                                         build=build_probe(token, run.expires, holder)), left)
        except asyncio.TimeoutError:
            sent = {"error": {"category": "connection", "retryable": True, "stage": "send", "smtp_code": None,
                              "enhanced_code": None, "message": "the relay did not accept the probe before the "
                              "deadline", "hint": "Raise deadline, or check the relay (see mailops.smtp.probe)."},
                    "messages": [], "warnings": []}
    res["warnings"].extend(sent.get("warnings") or [])
    res["message_id"] = holder.get("message_id")
    accepted = [m for m in sent.get("messages") or [] if m.get("accepted")]
    if sent.get("error") or not accepted:
        err = sent.get("error") or {"category": "message", "hint": "The relay did not accept the probe."}
        res.update(status=err["category"], error=err, hint=err.get("hint"), outcome="failed")
        return res
    accepted_at = time.time()
    res["sent"] = True
    res["changed"] = True
    res["relay_reply"] = accepted[0].get("reply")
    res["queue_id"] = queue_id(res["relay_reply"])
    waits = {"probe": run.watcher(test["mailbox"], PROBES).expect(token)}
    if test.get("bounce_mailbox"):
        waits["bounce"] = run.watcher(test["bounce_mailbox"], BOUNCES).expect(token)
    arrival, kind, unread = await _first(waits)
    if "bounce" in unread and kind != "bounce":
        res["warnings"].append("The bounce mailbox could not be read (%s), so a bounce would not have been seen: %s"
                               % (unread["bounce"]["error"]["message"], unread["bounce"]["error"]["hint"]))
    for watcher in run.watchers.values():
        watcher.forget(token)
    res["verified_at"] = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    if arrival is None:
        res.update(status="not_arrived", hint=HINTS["not_arrived"])
    elif arrival.get("error"):
        res.update(status="mailbox_error", error=dict(arrival["error"], stage=kind),
                   hint="%s %s" % (HINTS["mailbox_error"], arrival["error"]["hint"]))
    elif kind == "bounce":
        report = arrival["report"]
        res.update(status="bounced", hint=HINTS["bounced"],
                   delay_seconds=round(arrival["found_at"] - accepted_at, 2),
                   bounce={"action": report["action"], "status": report["status"],
                           "diagnostic": report["diagnostic"], "recipient": report["recipient"],
                           "reporting_mta": report["reporting_mta"], "remote_mta": report["remote_mta"],
                           "folder": arrival["folder"]})
    else:
        raw = arrival["message"]
        verdict = await _judge.judge(run.client, holder["bytes"], raw, test["mailbox"].get("authserv_id"),
                                     sent_at=datetime.datetime.fromtimestamp(accepted_at, datetime.timezone.utc)
                                     .replace(microsecond=0))
        res.update(status="delivered_to_junk" if arrival["junk"] else "delivered", folder=arrival["folder"],
                   junk=arrival["junk"], delay_seconds=round(arrival["found_at"] - accepted_at, 2),
                   hops=verdict["hops"], clock_skew=verdict["clock_skew"], tls_all_hops=verdict["tls_all_hops"],
                   auth=verdict["auth"], transit=verdict["transit"],
                   evidence=_judge.evidence(raw, run.secrets))
        res["findings"].extend(verdict["findings"])
        res["hint"] = HINTS[res["status"]]
        if res["status"] == "delivered" and any(f["severity"] == "error" for f in res["findings"]):
            first = [f for f in res["findings"] if f["severity"] == "error"][0]
            res["hint"] = "The message arrived in the inbox, but: %s" % first["message"]
    if res["status"] in ("delivered_to_junk", "bounced", "not_arrived", "mailbox_error"):
        category = {"delivered_to_junk": "junk", "bounced": "bounce", "not_arrived": "not_arrived",
                    "mailbox_error": "mailbox"}[res["status"]]
        res["findings"].insert(0, {"category": category, "severity": "error", "message": res["hint"]})
    res["outcome"] = outcome_of(res)
    return res


async def _first(waits):
    """(arrival, name, unread) of the first wait that found something; (None, None, unread) when all ran out.

    A mailbox that cannot be read ends the wait when it is the probe's (nothing can be said); an
    unreadable bounce mailbox only goes into unread, while the probe may still arrive.
    """
    pending = dict((future, name) for name, future in waits.items())
    unread = {}
    while pending:
        done, _rest = await asyncio.wait(list(pending), return_when=asyncio.FIRST_COMPLETED)
        for future in done:
            name = pending.pop(future)
            value = future.result()
            if value is None:
                continue
            if value.get("error") and name != "probe":
                unread[name] = value
                continue
            return value, name, unread
    return None, None, unread


async def run_all(run, connectors, plans):
    from ansible_collections.mailops.smtp.plugins.module_utils._dns.resolver import DnsClient

    run.sem = asyncio.Semaphore(max(1, int(run.params["concurrency"])))
    dns = run.params.get("dns") or {}
    run.client = DnsClient(run.servers or None, timeout=float(dns.get("timeout") or 5.0))
    senders = sum(1 for p in plans if p["would_send"]) if not run.check_mode else 0
    run.executor = concurrent.futures.ThreadPoolExecutor(max_workers=max(2, min(64, 2 * senders + 2)),
                                                         thread_name_prefix="mailops-imap")
    try:
        reporter = _progress.Reporter(run.params.get("progress_file"), len(connectors))
        results = await asyncio.gather(*(reporter.count(check_connector(run, c, p), lambda res: res.get("outcome") == "failed")
                                         for c, p in zip(connectors, plans)))
        cleanups = {}
        for key, watcher in run.watchers.items():
            watcher.finish()
            if watcher.task is not None:
                await watcher.task
            if run.params["cleanup"]:
                own = set(r["token"] for r in results if r.get("token"))
                cleanups[key] = await watcher.cleanup(own)
            await watcher.close()
        if run.params["cleanup"]:
            _attach_cleanup(run, connectors, results, cleanups)
    finally:
        run.executor.shutdown(wait=False)
        run.client.close()  # its UDP sockets, one per nameserver
    return list(results)


def _attach_cleanup(run, connectors, results, cleanups):
    from ansible_collections.mailops.smtp.plugins.module_utils._mailbox.watch import BOUNCES, PROBES, mailbox_key

    for conn, res in zip(connectors, results):
        if not res.get("sent"):
            continue
        test = conn["test"]
        out = {"mailbox": cleanups.get((PROBES,) + mailbox_key(test["mailbox"]))}
        if test.get("bounce_mailbox"):
            out["bounce_mailbox"] = cleanups.get((BOUNCES,) + mailbox_key(test["bounce_mailbox"]))
        res["cleanup"] = out


def categories(res):
    cats = []
    if res["status"] and res["status"] != "delivered":
        cats.append(res["status"])
    if res.get("error") and res["error"].get("category") not in cats:
        cats.append(res["error"]["category"])
    for item in res.get("findings") or []:
        if item["severity"] == "error" and item["category"] not in cats:
            cats.append(item["category"])
    return cats


def summarize(results, wall):
    summary = {"total": len(results), "ok": 0, "warning": 0, "failed": 0, "statuses": {},
               "max_delay_seconds": None, "wall_seconds": round(wall, 2)}
    for res in results:
        summary[res["outcome"]] = summary.get(res["outcome"], 0) + 1
        summary["statuses"][res["status"]] = summary["statuses"].get(res["status"], 0) + 1
        if res.get("delay_seconds") is not None and not res.get("from_state"):
            summary["max_delay_seconds"] = max(summary["max_delay_seconds"] or 0, res["delay_seconds"])
    return summary


def record(module, path, connectors, plans, results):
    updates = {}
    for conn, plan_entry, res in zip(connectors, plans, results):
        if res.get("from_state") or not res.get("sent") or res["outcome"] == "failed":
            continue
        kept = dict((k, v) for k, v in res.items() if k not in ("evidence", "cleanup", "would_send", "reason"))
        updates[conn["name"]] = {"fingerprint": plan_entry["fingerprint"], "verified_at": res["verified_at"],
                                 "result": kept}
    try:
        _state.record_successes(path, updates)
    except _state.StateError as exc:
        module.warn("%s (the next run sends again)" % exc)


def run_delivery_check(module):
    from ansible_collections.mailops.smtp.plugins.module_utils._dns.resolver import DNSPYTHON_IMPORT_ERROR, HAS_DNSPYTHON

    connectors = prepare(module)
    secrets = secret_values(connectors)
    if not HAS_DNSPYTHON:
        module.fail_json(msg=missing_required_lib("dnspython") + INSTALL_HINT.replace("aiosmtplib", "dnspython"),
                         exception=str(DNSPYTHON_IMPORT_ERROR))
    servers = check_options(module, connectors)
    path, plans = plan(module, connectors)
    run = Run(module.params, servers, module.check_mode)
    run.secrets = secrets
    started = time.monotonic()
    try:
        results = asyncio.run(run_all(run, connectors, plans))
    except Exception as exc:  # pylint: disable=broad-except  # no traceback reaches the user
        module.fail_json(msg=scrub("delivery check failed unexpectedly: %s: %s" % (type(exc).__name__, exc), secrets))
    results = engine.scrub_tree(results, secrets)
    if not module.check_mode:
        record(module, path, connectors, plans, results)
    summary = summarize(results, time.monotonic() - started)
    changed = any(res.get("changed") for res in results)
    out = {"changed": changed, "results": results, "summary": summary}
    _metrics.publish(module, "delivery_check", results, out, connectors, categories, started)
    for res in results:
        for warning in res.get("warnings") or []:
            module.warn("%s: %s" % (res["connector"], warning))
    bad = failing(results, module.params["fail_on"], "outcome", categories)
    if bad:
        shown = ["%s: %s: %s" % (r["connector"], r["status"], r["hint"]) for r in bad[:MAX_DESCRIBED]]
        if len(bad) > MAX_DESCRIBED:
            shown.append("... and %d more (see results)" % (len(bad) - MAX_DESCRIBED))
        msg = "%d of %d connectors failed the delivery check: %s" % (len(bad), len(results), " | ".join(shown))
        module.fail_json(msg=scrub(msg, secrets), **out)
    module.exit_json(**out)
