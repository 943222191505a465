# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Test messages: headers a recipient sees, and pacing."""

from __future__ import annotations

import asyncio
import time

from ansible_collections.mailops.smtp.plugins.module_utils._smtp.test_send import (
    WIRE_POLICY,
    Throttle,
    build_message,
)

CONNECTOR = {
    "name": "district-relay", "host": "smtp.example.org", "port": 587, "security": "starttls",
    "senders": {"default": '"Example District" <noreply@example.org>', "portal": "portal@example.net"},
    "reply_to": "helpdesk@example.org",
}


def test_headers_and_envelope_sender():
    msg, envelope = build_message(CONNECTOR, "default", ["a@example.org", "b@example.org"], "run1")
    assert envelope == "noreply@example.org"
    sender = msg["From"].addresses[0]
    assert (sender.display_name, sender.addr_spec) == ("Example District", "noreply@example.org")
    assert msg["To"] == "a@example.org, b@example.org"
    assert msg["X-Mailops-Test"] == "connector=district-relay; purpose=default; run=run1"
    assert msg["Reply-To"] == "helpdesk@example.org"
    assert msg["Message-ID"].endswith("@example.org>")
    wire = msg.as_bytes(policy=WIRE_POLICY)
    assert b"\r\nX-Mailops-Test: connector=district-relay; purpose=default; run=run1\r\n" in wire


def test_message_ids_are_unique_and_use_the_sender_domain():
    first, _addr = build_message(CONNECTOR, "portal", ["a@example.org"], "run1")
    second, _addr = build_message(CONNECTOR, "portal", ["a@example.org"], "run1")
    assert first["Message-ID"] != second["Message-ID"]
    assert first["Message-ID"].endswith("@example.net>")


def test_reply_to_sender_or_none_adds_no_header():
    for value in ("none", "sender"):
        msg, _addr = build_message(dict(CONNECTOR, reply_to=value), "default", ["a@example.org"], "r")
        assert msg["Reply-To"] is None


def test_throttle_spaces_messages():
    async def three():
        throttle = Throttle(20)
        stamps = []
        for _index in range(3):
            await throttle.wait()
            stamps.append(time.monotonic())
        return stamps

    stamps = asyncio.run(three())
    assert stamps[2] - stamps[0] >= 0.09


def test_no_throttle_means_no_pause():
    async def run():
        throttle = Throttle(None)
        start = time.monotonic()
        for _index in range(5):
            await throttle.wait()
        return time.monotonic() - start

    assert asyncio.run(run()) < 0.05
