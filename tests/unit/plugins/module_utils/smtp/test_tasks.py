# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Summary and fail_on: which results fail a task."""

from __future__ import annotations

import asyncio

import pytest

from ansible_collections.mailops.smtp.plugins.module_utils._smtp import engine, tasks


def res(name, status, category=None, findings=None):
    error = {"category": category, "stage": "auth", "hint": "h"} if category else None
    return {"name": name, "status": status, "error": error, "findings": findings or [], "warnings": []}


RESULTS = [
    res("a", "ok"),
    res("b", "failed", "auth"),
    res("c", "failed", "connection"),
    res("d", "warning"),
    res("e", "failed", findings=[{"category": "tls_certificate", "severity": "error", "message": "m"}]),
]


def test_summary_counts_statuses_and_categories():
    summary = tasks.summarize(RESULTS)
    assert summary["total"] == 5
    assert (summary["ok"], summary["warning"], summary["failed"]) == (1, 1, 3)
    assert summary["categories"] == {"auth": 1, "connection": 1, "tls_certificate": 1}


def names(results):
    return [r["name"] for r in results]


def test_fail_on_selects_failures():
    assert names(tasks.failing(RESULTS, ["failed"])) == ["b", "c", "e"]
    assert names(tasks.failing(RESULTS, ["auth"])) == ["b"]
    assert names(tasks.failing(RESULTS, ["tls_certificate"])) == ["e"]
    assert names(tasks.failing(RESULTS, ["warning"])) == ["d"]
    assert tasks.failing(RESULTS, []) == []


def test_fail_on_speaks_the_shared_words():
    # the words dns_check uses mean the same here
    assert names(tasks.failing(RESULTS, ["fail"])) == names(tasks.failing(RESULTS, ["failed"]))
    assert names(tasks.failing(RESULTS, ["warn"])) == ["d"]
    # error: the server gave no answer (dns or connection), not a refusal
    assert names(tasks.failing(RESULTS, ["error"])) == ["c"]
    assert tasks.failing(RESULTS, ["never"]) == []
    with pytest.raises(ValueError, match="'never' cannot be combined"):
        tasks.failing(RESULTS, ["never", "auth"])


def test_retries_stop_at_the_bound_and_only_for_retryable_errors():
    calls = []

    async def flaky(attempt):
        calls.append(attempt)
        return {"error": {"retryable": True}}

    out = asyncio.run(engine.with_retries(flaky, 2, 0))
    assert calls == [1, 2, 3]
    assert out["attempts"] == 3

    calls[:] = []

    async def permanent(attempt):
        calls.append(attempt)
        return {"error": {"retryable": False}}

    assert asyncio.run(engine.with_retries(permanent, 5, 0))["attempts"] == 1


def test_run_all_keeps_order_and_bounds_concurrency():
    running = {"now": 0, "max": 0}

    async def worker(item):
        running["now"] += 1
        running["max"] = max(running["max"], running["now"])
        await asyncio.sleep(0.01)
        running["now"] -= 1
        return item * 2

    assert asyncio.run(engine.run_all(list(range(10)), worker, 3)) == [i * 2 for i in range(10)]
    assert running["max"] == 3


def test_run_all_pool_keeps_positions_when_items_finish_out_of_order():
    seen = []

    async def worker(item):
        await asyncio.sleep(0.02 if item % 3 == 0 else 0.001)
        return "r%d" % item

    result = asyncio.run(engine.run_all(range(50), worker, 4, progress=seen.append))
    assert result == ["r%d" % i for i in range(50)]
    # each result reported once, as it completed (the slow ones late)
    assert sorted(seen) == sorted(result) and seen != result


def test_run_all_a_silent_item_holds_one_runner_only():
    async def worker(item):
        await asyncio.sleep(0.5 if item == 0 else 0.01)
        return item

    async def timed():
        loop = asyncio.get_running_loop()
        start = loop.time()
        result = await engine.run_all(range(41), worker, 2)
        return result, loop.time() - start

    result, elapsed = asyncio.run(timed())
    assert result == list(range(41))
    # 40 quick items on the one free runner (0.4 s) finish while item 0 waits out its 0.5 s.
    assert elapsed < 0.9


@pytest.mark.parametrize("concurrency, headroom, expected", [
    (500, 1024 - 10, (1024 - 10 - engine.FD_RESERVE) // engine.FDS_PER_SESSION),
    (20, 1024 - 10, 20),
    (100, engine.FD_RESERVE + 5, 1),
])
def test_session_limit_keeps_sessions_under_the_open_file_limit(concurrency, headroom, expected):
    assert engine.session_limit(concurrency, headroom) == expected


def test_session_limit_reads_this_process_limit():
    import resource

    soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    limit = engine.session_limit(100000)
    assert limit * engine.FDS_PER_SESSION + engine.FD_RESERVE <= soft


def test_masked_connector_hides_each_secret_like_ansible_invocation():
    raw = {"name": "a", "host": "h", "auth": {"username": "u", "password": "pw-123"}, "notes": "uses pw-123"}
    masked = tasks.masked_connector(raw)
    assert masked["auth"] == {"username": "u", "password": tasks.NO_LOG_MARK}
    assert "pw-123" not in repr(masked)
    assert raw["auth"]["password"] == "pw-123"


class _Exit(Exception):
    pass


class _FinishingModule:
    """What finish uses of AnsibleModule: params, no_log_values and the two exits."""

    def __init__(self, connectors):
        self.params = {"connectors": connectors, "concurrency": 5}
        self.no_log_values = {"pw-0"}
        self.exited = None

    def exit_json(self, **result):
        self.exited = result
        raise _Exit()

    fail_json = exit_json


def _connectors(count):
    return [{"name": "c%d" % i, "host": "h", "auth": {"username": "u", "password": "pw-%d" % i}} for i in range(count)]


def test_finish_repeats_a_few_connectors_masked_in_the_invocation():
    module = _FinishingModule(_connectors(tasks.INVOCATION_CONNECTORS))
    with pytest.raises(_Exit):
        tasks.finish(module, results=[])
    shown = module.exited["invocation"]["module_args"]["connectors"]
    assert [c["name"] for c in shown] == ["c%d" % i for i in range(tasks.INVOCATION_CONNECTORS)]
    assert all(c["auth"]["password"] == tasks.NO_LOG_MARK for c in shown)
    assert module.exited["invocation"]["module_args"]["concurrency"] == 5


def test_finish_counts_many_connectors_instead_of_repeating_them():
    module = _FinishingModule(_connectors(500))
    with pytest.raises(_Exit):
        tasks.finish(module, "2 failed", results=[])
    shown = module.exited["invocation"]["module_args"]["connectors"]
    assert shown == "(500 connectors, not repeated here: each item of results names its connector)"
    assert module.exited["msg"] == "2 failed" and "pw-1" not in repr(module.exited)


def test_scrub_tree_scrubs_longer_secrets_first():
    assert engine.scrub_tree({"m": "x abc-long y abc"}, ["abc", "abc-long"]) == {"m": "x ******** y ********"}


def test_scrub_tree_removes_secrets_everywhere():
    tree = {"a": ["x s3cret y", {"b": "s3cret"}], "n": 1}
    assert engine.scrub_tree(tree, ["s3cret"]) == {"a": ["x ******** y", {"b": "********"}], "n": 1}


def test_describe_names_connector_category_stage_and_hint():
    assert tasks.describe(res("b", "failed", "auth")) == "b: auth at auth: h"
    finding = {"category": "tls_certificate", "severity": "error", "message": "expired"}
    assert tasks.describe(res("e", "failed", findings=[finding])) == "e: tls_certificate: expired"


def full(name, status):
    entry = res(name, status, "auth" if status == "failed" else None)
    entry.update(host="smtp.example.org", port=587, security="starttls", stage_reached="rcpt", attempts=1,
                 changed=False, banner="220 ready", capabilities={"keywords": ["AUTH"]}, tls={"verified": True},
                 timings={"total": 12.5}, encrypted=True)
    return entry


def test_details_all_returns_every_fact():
    results = [full("a", "ok"), full("b", "failed")]
    assert tasks.keep_details(results, "all", tasks.PROBE_FACTS) == results


def test_details_problems_keeps_the_verdict_of_passing_connectors_and_every_fact_of_the_others():
    results = [full("a", "ok"), full("b", "failed"), full("c", "warning"), full("d", "ok")]
    kept = tasks.keep_details(results, "problems", tasks.PROBE_FACTS)
    assert [r["name"] for r in kept] == ["a", "b", "c", "d"]
    assert kept[1] == results[1] and kept[2] == results[2]
    for entry in (kept[0], kept[3]):
        assert sorted(entry) == ["attempts", "changed", "encrypted", "error", "findings", "host", "name", "port",
                                 "security", "stage_reached", "status", "warnings"]
    # the full results, which metrics and warnings were made from, are untouched
    assert results[0]["capabilities"] == {"keywords": ["AUTH"]}


def test_details_never_leaves_out_a_verdict_or_the_test_messages():
    verdicts = {"name", "host", "port", "security", "starttls", "status", "stage_reached", "error", "findings",
                "warnings", "attempts", "changed", "encrypted", "sent", "would_send", "messages", "last_verified",
                "starttls_advertised", "starttls_enforced"}
    for facts in (tasks.PROBE_FACTS, tasks.TLS_CHECK_FACTS, tasks.TEST_SEND_FACTS):
        assert not facts & verdicts
