# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""delivery_check's pure parts: queue ids, resolver addresses, the probe message, outcomes and fail_on."""

from __future__ import annotations

import email

import pytest

from ansible_collections.mailops.smtp.plugins.module_utils._smtp import delivery
from ansible_collections.mailops.smtp.plugins.module_utils._verdict import dsn


@pytest.mark.parametrize("reply, expected", [
    ("250 2.0.0 Ok: queued as 4XyZ1b2C3d", "4XyZ1b2C3d"),
    ("250 2.0.0 Ok: queued as 4fG7hJ0kLmz6abc", "4fG7hJ0kLmz6abc"),
    ("250 OK id=1uMx2a-000ABC-2x", "1uMx2a-000ABC-2x"),
    ("250 2.0.0 x3ABcdEF012345 Message accepted for delivery", "x3ABcdEF012345"),
    ("250 2.0.0 OK  1717400000 a640c23a62f3a - gsmtp", None),
    ("250 Ok", None),
    (None, None),
])
def test_queue_id_from_the_data_reply(reply, expected):
    assert delivery.queue_id(reply) == expected


def test_nameservers_take_the_default_port():
    assert delivery.nameservers({"nameservers": ["127.0.0.1", "127.0.0.1:5353", "::1", "[::1]:53"],
                                 "port": 5300}) == ["127.0.0.1:5300", "127.0.0.1:5353", "[::1]:5300", "[::1]:53"]
    with pytest.raises(ValueError, match=r"dns.nameservers\[0\]"):
        delivery.nameservers({"nameservers": ["ns.example.org"]})


def test_probe_carries_the_token_in_header_and_message_id():
    holder = {}
    connector = {"name": "relay", "host": "smtp.example.org", "port": 587, "security": "starttls",
                 "senders": {"default": '"Example" <noreply@example.org>'}}
    build = delivery.build_probe("0123456789abcdef0123456789abcdef", 1748944920, holder)
    msg, address = build(connector, "default", ["probe@example.net"], "run1")
    assert address == "noreply@example.org"
    parsed = email.message_from_bytes(holder["bytes"])
    assert parsed["Message-ID"] == "<mailops-probe.0123456789abcdef0123456789abcdef@example.org>"
    assert dsn.probe_token(parsed[delivery.PROBE_HEADER]) == "0123456789abcdef0123456789abcdef"
    assert dsn.probe_fields(parsed[delivery.PROBE_HEADER])["expires"] == "1748944920"
    assert b"X-Mailops-Probe" not in holder["bytes"].split(b"\r\n\r\n", 1)[1]


def result(status, findings=(), warnings=()):
    return {"status": status, "findings": list(findings), "warnings": list(warnings), "error": None}


def test_outcome_and_fail_on():
    ok = result("delivered")
    junk = result("delivered_to_junk")
    weak = result("delivered", [{"category": "dkim", "severity": "warning", "message": "1024-bit key"}])
    broken = result("delivered", [{"category": "dmarc", "severity": "error", "message": "DMARC fails"}])
    for res in (ok, junk, weak, broken):
        res["outcome"] = delivery.outcome_of(res)
    assert [r["outcome"] for r in (ok, junk, weak, broken)] == ["ok", "failed", "warning", "failed"]
    fail = delivery.failing
    everything = [ok, junk, weak, broken]
    assert fail(everything, ["failed"], "outcome", delivery.categories) == [junk, broken]
    assert fail(everything, ["delivered_to_junk"], "outcome", delivery.categories) == [junk]
    assert fail(everything, ["dmarc"], "outcome", delivery.categories) == [broken]
    assert fail(everything, ["warning"], "outcome", delivery.categories) == [weak]
    assert fail(everything, [], "outcome", delivery.categories) == []


def test_check_mode_reports_the_last_verified_result():
    res = delivery.base({"name": "relay"}, {"would_send": False, "reason": "unchanged"})
    last = {"status": "delivered", "outcome": "ok", "delay_seconds": 1.5, "folder": "INBOX", "sent": True,
            "changed": True, "verified_at": "2026-01-05T10:00:00Z"}
    out = delivery.from_last(res, last, False)
    assert out["status"] == "delivered" and out["from_state"] is True and out["delay_seconds"] == 1.5
    assert out["sent"] is False and out["changed"] is False and out["reason"] == "unchanged"
    fresh = delivery.from_last(delivery.base({"name": "new"}, {"would_send": True, "reason": "never"}), None, True)
    assert fresh["status"] == "not_checked" and fresh["changed"] is True


def _waits(loop, probe=None, bounce=None, probe_first=True):
    futures = {"probe": loop.create_future(), "bounce": loop.create_future()}
    order = [("probe", probe), ("bounce", bounce)] if probe_first else [("bounce", bounce), ("probe", probe)]
    for delay, (name, value) in enumerate(order):
        loop.call_later(0.01 * (delay + 1), futures[name].set_result, value)
    return futures


def test_an_unreadable_bounce_mailbox_does_not_hide_the_probe():
    import asyncio

    async def scenario():
        loop = asyncio.get_running_loop()
        broken = {"error": {"category": "auth", "message": "login refused", "hint": "check the password"}}
        arrived = {"folder": "INBOX"}
        first = await delivery._first(_waits(loop, probe=arrived, bounce=broken, probe_first=False))
        lost = await delivery._first(_waits(loop, probe=None, bounce=broken))
        unreadable = await delivery._first(_waits(loop, probe=broken, bounce=None))
        return first, lost, unreadable

    first, lost, unreadable = asyncio.run(scenario())
    assert first[0] == {"folder": "INBOX"} and first[1] == "probe" and "bounce" in first[2]
    assert lost[0] is None and "bounce" in lost[2]
    assert unreadable[1] == "probe" and unreadable[0]["error"]["category"] == "auth"
