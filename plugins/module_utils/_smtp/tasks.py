# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What the probe, tls_check and test_send modules share: options, the run loop, summary and fail_on.

Private to the collection: may change without notice. Mirrors plugins/doc_fragments/checks.py.
"""

from __future__ import annotations

import asyncio
import os
import socket
import time

from ansible.module_utils.basic import missing_required_lib

from ansible_collections.mailops.smtp.plugins.module_utils import _fail_on, _metrics, _progress
from ansible_collections.mailops.smtp.plugins.module_utils._model import (
    REDACTED,
    SECRET_PATHS,
    connector_argument_spec,
    connector_label,
    normalize,
    scrub,
    secret_values,
)
from ansible_collections.mailops.smtp.plugins.module_utils._smtp import engine
from ansible_collections.mailops.smtp.plugins.module_utils._smtp.classification import CATEGORIES

MAX_DESCRIBED = 10
"""Failed connectors named in the failure message; all of them are in results."""

FAIL_ON_CHOICES = _fail_on.choices(CATEGORIES)

DETAILS_CHOICES = ("all", "problems")
"""Values of the details option (plugins/doc_fragments/checks.py, DETAILS)."""

INSTALL_HINT = (". Install it where the task runs (usually the controller, or the host in delegate_to): "
                "python -m pip install aiosmtplib")


def check_argument_spec(**extra):
    spec = {
        "connectors": connector_argument_spec(),
        "concurrency": {"type": "int", "default": 20},
        "fail_on": {"type": "list", "elements": "str", "default": ["failed"], "choices": FAIL_ON_CHOICES},
        "retries": {"type": "int", "default": 2},
        "retry_delay": {"type": "float", "default": 1.0},
        "ehlo_name": {"type": "str"},
        "dns_nameservers": {"type": "list", "elements": "str"},
        "dns_port": {"type": "int", "default": 53},
        "dns_timeout": {"type": "float", "default": 5.0},
    }
    spec.update(_progress.argument_spec())
    spec.update(extra)
    return spec


def details_argument_spec():
    """The details option of probe, tls_check and test_send."""
    return {"details": {"type": "str", "default": "all", "choices": list(DETAILS_CHOICES)}}


def keep_details(results, details, facts):
    """results as the details option returns them.

    With details=problems, a connector whose status is ok keeps its identity and its verdict (status,
    stage, error, findings, warnings, attempts, changed) but not the facts the module gathered (the
    keys in facts): at thousands of connectors those facts are most of the result's bytes, and of the
    time Ansible spends moving, checking and printing it. Failed and warning connectors keep everything.
    """
    if details != "problems":
        return results
    return [res if res.get("status") != "ok" else dict((k, v) for k, v in res.items() if k not in facts)
            for res in results]


def default_ehlo_name():
    name = socket.getfqdn() or "localhost"
    try:
        name.encode("ascii")
    except UnicodeError:
        name = "localhost"
    return name


def engine_options(params):
    resolver = None
    if params.get("dns_nameservers"):
        resolver = {"nameservers": params["dns_nameservers"], "port": params.get("dns_port") or 53,
                    "timeout": params.get("dns_timeout") or 5.0}
    return {
        "retries": params["retries"],
        "retry_delay": params["retry_delay"],
        "ehlo_name": params.get("ehlo_name") or default_ehlo_name(),
        "resolver": resolver,
    }


def prepare(module):
    """Check the common options and return the normalized connectors (fails the module on errors)."""
    if not engine.HAS_AIOSMTPLIB:
        module.fail_json(msg=missing_required_lib("aiosmtplib") + INSTALL_HINT,
                         exception=engine.AIOSMTPLIB_IMPORT_ERROR)
    params = module.params
    if params["concurrency"] < 1 or params["concurrency"] > 500:
        module.fail_json(msg="concurrency: must be between 1 and 500, got %s" % params["concurrency"])
    if params["retries"] < 0 or params["retries"] > 10:
        module.fail_json(msg="retries: must be between 0 and 10, got %s" % params["retries"])
    if params["retry_delay"] < 0 or params["retry_delay"] > 300:
        module.fail_json(msg="retry_delay: must be between 0 and 300 seconds, got %s" % params["retry_delay"])
    connectors = []
    seen = set()
    for index, raw in enumerate(params["connectors"]):
        conn = normalize(dict((k, v) for k, v in raw.items() if v is not None))
        label = connector_label(conn, index)
        if conn["name"] in seen:
            module.fail_json(msg="/connectors/%d/name: %r is used twice; names must be unique" % (index, label))
        seen.add(conn["name"])
        connectors.append(conn)
    _metrics.check_option(module)
    _progress.check_option(module)
    return connectors


def summarize(results):
    summary = {"total": len(results), "ok": 0, "warning": 0, "failed": 0, "categories": {}}
    for res in results:
        summary[res["status"]] = summary.get(res["status"], 0) + 1
        for category in result_categories(res):
            summary["categories"][category] = summary["categories"].get(category, 0) + 1
    return summary


def result_categories(res):
    cats = []
    if res.get("error"):
        cats.append(res["error"]["category"])
    for finding in res.get("findings") or []:
        if finding.get("severity") == "error" and finding["category"] not in cats:
            cats.append(finding["category"])
    return cats


def failing(results, fail_on, level="status", categories=result_categories):
    """Results that fail the task under fail_on (the shared vocabulary of _fail_on).

    level: the result key holding ok/warning/failed; categories(res): the categories a failed result has.
    """
    wanted = _fail_on.normalize(fail_on)
    return [res for res in results if _fail_on.selects(wanted, res[level], categories(res))]


def describe(res):
    if res.get("error"):
        err = res["error"]
        return "%s: %s at %s: %s" % (res["name"], err["category"], err["stage"], err["hint"])
    for finding in res.get("findings") or []:
        if finding.get("severity") == "error":
            return "%s: %s: %s" % (res["name"], finding["category"], finding["message"])
    return "%s: %s" % (res["name"], "; ".join(res.get("warnings") or []) or res["status"])


NO_LOG_MARK = "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"
"""What Ansible writes in a task's invocation in place of a no_log value."""


def masked_connector(raw):
    """A connector as given, with each x-secret value replaced as Ansible's invocation does."""
    secrets = sorted(set(secret_values(raw)), key=len, reverse=True)
    if not secrets:
        return raw
    masked = engine.scrub_tree(raw, secrets)
    for path in SECRET_PATHS:
        node = masked
        for key in path[:-1]:
            node = node.get(key) if isinstance(node, dict) else None
        if isinstance(node, dict) and node.get(path[-1]) == REDACTED:
            node[path[-1]] = NO_LOG_MARK
    return masked


INVOCATION_CONNECTORS = 20
"""Up to this many connectors, the invocation repeats them (secrets masked); beyond, it counts them."""


def finish(module, failed_msg=None, **result):
    """exit_json (or fail_json with failed_msg) for a result that is already free of secrets.

    Each connector's result was scrubbed of that connector's own secrets (its session is the only
    place they went) and the message of all of them; the invocation masks every x-secret value, and
    counts the connectors instead of repeating them when there are more than INVOCATION_CONNECTORS.
    Ansible's own pass over a result compares every string with every no_log value of every
    connector: at 10,000 connectors with their own passwords, hours. So that pass is left out.
    """
    given = module.params.get("connectors") or []
    if len(given) > INVOCATION_CONNECTORS:
        # Thousands of connectors echoed back would be most of the result's bytes, and of the time
        # Ansible spends moving, checking and printing it; each item of results names its connector.
        shown = "(%d connectors, not repeated here: each item of results names its connector)" % len(given)
    else:
        shown = [masked_connector(raw) for raw in given]
    result["invocation"] = {"module_args": dict(module.params, connectors=shown)}
    module.no_log_values.clear()
    if failed_msg is not None:
        module.fail_json(msg=failed_msg, **result)
    module.exit_json(**result)


def run(module, items, worker, what, after=None, metrics=None, facts=()):
    """Run worker over all items (connectors), then exit the module with results and summary.

    metrics: the check name under which the results go to O(metrics_file) (None: the module has no metrics).
    facts: the keys of a result that O(details=problems) leaves out for connectors that passed.
    """
    started = time.monotonic()
    connectors = [item[0] if isinstance(item, tuple) else item for item in items]
    secrets = secret_values(connectors)
    params = module.params
    try:
        _fail_on.normalize(params["fail_on"])
    except ValueError as exc:
        module.fail_json(msg=str(exc))
    concurrency = engine.session_limit(min(params["concurrency"], max(1, len(items))))
    if concurrency < params["concurrency"] and concurrency < len(items):
        module.warn("concurrency %d lowered to %d: each session can hold %d open files and the open-file "
                    "limit (ulimit -n) leaves room for %d sessions; raise the limit to run more at once"
                    % (params["concurrency"], concurrency, engine.FDS_PER_SESSION, concurrency))
    reporter = _progress.Reporter(params.get("progress_file"), len(items))
    try:
        results = asyncio.run(engine.run_all(items, worker, concurrency,
                                             progress=lambda res: reporter.add(res.get("status") == "failed")))
    except Exception as exc:  # pylint: disable=broad-except
        module.fail_json(msg=scrub("%s failed unexpectedly: %s" % (what, exc), secrets))
    if after is not None:
        after(results)
    results = [engine.scrub_tree(res, secret_values(conn)) for conn, res in zip(connectors, results)]
    summary = summarize(results)
    changed = any(res.get("changed") for res in results)
    out = {"changed": changed, "results": results, "summary": summary}
    if metrics:
        _metrics.publish(module, metrics, results, out, connectors, result_categories, started)
    for res in results:
        for warning in res.get("warnings") or []:
            module.warn("%s: %s" % (res["name"], warning))
    out["results"] = keep_details(results, params.get("details"), facts)
    bad = failing(results, params["fail_on"])
    if bad:
        shown = [describe(res) for res in bad[:MAX_DESCRIBED]]
        if len(bad) > MAX_DESCRIBED:
            shown.append("... and %d more (see results)" % (len(bad) - MAX_DESCRIBED))
        msg = "%d of %d connectors failed the %s: %s" % (len(bad), len(results), what, " | ".join(shown))
        finish(module, scrub(msg, secrets), **out)
    finish(module, **out)


PROBE_FACTS = frozenset(("banner", "capabilities", "capabilities_before_tls", "tls", "auth", "senders", "recipients",
                         "timings"))
TLS_CHECK_FACTS = frozenset(("tls", "certificate", "dane", "timings"))
TEST_SEND_FACTS = frozenset(("purposes", "recipients", "timings"))
"""What O(details=problems) leaves out of a passing connector's result, per module: the facts, never the
verdict, and never the C(messages) of test_send (their Message-IDs find the test messages)."""


def run_probe(module):
    from ansible_collections.mailops.smtp.plugins.module_utils._smtp.probe import probe_connector

    connectors = prepare(module)
    options = engine_options(module.params)
    options["mail_from"] = module.params["mail_from"]
    options["rcpt_to"] = module.params["rcpt_to"]
    # Only attachment limits someone wrote down are compared with SIZE, not the schema default.
    options["declared_attachments"] = frozenset(
        conn["name"] for conn, raw in zip(connectors, module.params["connectors"]) if raw.get("attachments"))

    async def worker(connector):
        return await probe_connector(connector, options)

    run(module, connectors, worker, "probe", metrics="probe", facts=PROBE_FACTS)


def run_tls_check(module):
    from ansible_collections.mailops.smtp.plugins.module_utils._smtp.tls_check import tls_check_connector

    connectors = prepare(module)
    params = module.params
    if params["min_days_valid"] < 0:
        module.fail_json(msg="min_days_valid: must be 0 or more, got %s" % params["min_days_valid"])
    options = engine_options(params)
    options.update({
        "min_days_valid": params["min_days_valid"],
        "dane": params["dane"],
        "dns_nameservers": params["dns_nameservers"],
        "dns_port": params["dns_port"],
        "dns_timeout": params["dns_timeout"],
    })

    async def worker(connector):
        return await tls_check_connector(connector, options)

    run(module, connectors, worker, "TLS check", metrics="tls_check", facts=TLS_CHECK_FACTS)


def load_memory(module, default_path):
    """(state file path, fingerprint key, {name: entry}) of the module's state_file; fails the module on errors."""
    from ansible_collections.mailops.smtp.plugins.module_utils._smtp import state as _state

    path = os.path.expanduser(module.params["state_file"] or default_path)
    try:
        key = _state.load_key(path)
        with _state.locked(path):
            known = _state.load_state(path)["connectors"]
    except _state.StateError as exc:
        module.fail_json(msg=str(exc))
    return path, key, known


def plan_test_sends(module, connectors):
    """Per connector: purposes, recipients, fingerprint, and whether a message would be sent."""
    from ansible_collections.mailops.smtp.plugins.module_utils._smtp import state as _state

    params = module.params
    path, key, known = load_memory(module, _state.DEFAULT_STATE_FILE)
    plans = []
    for index, conn in enumerate(connectors):
        senders = conn.get("senders") or {}
        test = conn.get("test") or {}
        if params["purposes"] == ["all"]:
            purposes = sorted(senders)
        elif params["purposes"]:
            purposes = list(params["purposes"])
        else:
            purposes = [test.get("sender") or "default"]
        for purpose in purposes:
            if purpose not in senders:
                where = "purposes" if params["purposes"] else "/connectors/%d/test/sender" % index
                module.fail_json(msg="%s: %r is not a senders purpose of connector %s (it has: %s)" % (
                    where, purpose, conn["name"], ", ".join(sorted(senders))))
        recipients = list(params["to"] or test.get("to") or [])
        if not recipients:
            module.fail_json(msg="/connectors/%d/test/to: connector %s declares no test recipients; set "
                                 "test.to in the connector or the module option to" % (index, conn["name"]))
        fp = _state.fingerprint(conn, key, {"purposes": purposes, "recipients": recipients})
        previous = known.get(conn["name"]) or {}
        if params["send"] == "always":
            would, reason = True, "send: always"
        elif previous.get("fingerprint") != fp:
            would = True
            reason = "never tested successfully" if not previous else "settings changed since the last successful test"
        else:
            would = False
            reason = "unchanged since the last successful test at %s" % previous.get("tested_at")
        # the last successful test of these very settings (none once they changed)
        last_verified = previous.get("tested_at") if previous.get("fingerprint") == fp else None
        plans.append({"purposes": purposes, "recipients": recipients, "fingerprint": fp,
                      "would_send": would, "reason": reason, "last_verified": last_verified})
    return path, plans


def run_test_send(module):
    from ansible_collections.mailops.smtp.plugins.module_utils._smtp import state as _state
    from ansible_collections.mailops.smtp.plugins.module_utils._smtp.test_send import send_connector

    connectors = prepare(module)
    path, plans = plan_test_sends(module, connectors)
    options = engine_options(module.params)
    check_mode = module.check_mode
    items = list(zip(connectors, plans))

    async def worker(item):
        conn, plan = item
        res = await send_connector(conn, plan, options, check_mode)
        res["last_verified"] = plan["last_verified"]
        if not check_mode and plan["would_send"] and not res["error"]:
            res["_record"] = {
                "fingerprint": plan["fingerprint"],
                "tested_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                "message_ids": [m["message_id"] for m in res["messages"]],
            }
            res["last_verified"] = res["_record"]["tested_at"]
        return res

    def record(results):
        updates = {}
        for conn, res in zip(connectors, results):
            entry = res.pop("_record", None)
            if entry:
                updates[conn["name"]] = entry
        try:
            _state.record_successes(path, updates)
        except _state.StateError as exc:
            module.warn("%s (the next run sends again)" % exc)

    run(module, items, worker, "test send", after=record, facts=TEST_SEND_FACTS)
