# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The Received chain as real MTAs write it: Postfix, Exim, Gmail, Outlook, Dovecot LMTP."""

from __future__ import annotations

import datetime

import pytest

from ansible_collections.mailops.smtp.plugins.module_utils._verdict import received

POSTFIX_RELAY = ("from client.example.org (client.example.org [198.51.100.7]) (using TLSv1.3 with cipher "
                 "TLS_AES_256_GCM_SHA384 (256/256 bits) key-exchange X25519 server-signature RSA-PSS (2048 bits) "
                 "server-digest SHA256) (No client certificate requested) by relay.example.org (Postfix) with ESMTPSA "
                 "id 4XyZ1b2C3d for <probe@example.net>; Tue, 3 Jun 2025 10:00:01 +0000 (UTC)")
POSTFIX_MX = ("from relay.example.org (relay.example.org [192.0.2.10]) (using TLSv1.3 with cipher "
              "TLS_AES_256_GCM_SHA384 (256/256 bits)) by mx.example.net (Postfix) with ESMTPS id 4AbCd "
              "for <probe@example.net>; Tue, 3 Jun 2025 10:00:03 +0000 (UTC)")
LMTP = ("from mx.example.net by imap.example.net with LMTP id kT3xQ (envelope-from <noreply@example.org>) "
        "for <probe@example.net>; Tue, 03 Jun 2025 10:00:04 +0000")
EXIM = ("from [192.0.2.1] (helo=client) by mx.example.com with esmtps (TLS1.3) tls TLS_AES_256_GCM_SHA384 "
        "(Exim 4.96) (envelope-from <a@example.org>) id 1uMx2a-000ABC-2x for x@example.com; "
        "Tue, 03 Jun 2025 10:00:02 +0000")
GMAIL = ("from mail-sor-f41.google.com (mail-sor-f41.google.com. [209.85.220.41]) by mx.google.com with SMTPS id "
         "a640c23a62f3a-abc.123.2025.06.03.03.00.00 for <x@gmail.com> (Google Transport Security); "
         "Tue, 03 Jun 2025 03:00:00 -0700 (PDT)")
OUTLOOK = ("from EUR05-DB8-obe.outbound.protection.outlook.com (2a01:111:f400:7e1a::701) by "
           "AM0PR02MB1234.eurprd02.prod.outlook.com (2603:10a6:208:c1::21) with Microsoft SMTP Server "
           "(version=TLS1_2, cipher=TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384) id 15.20.7633.21 via Frontend "
           "Transport; Tue, 3 Jun 2025 10:00:00 +0000")
PLAIN = ("from relay.example.org (relay.example.org [192.0.2.10]) by mx.example.net (Postfix) with ESMTP id 9ZZ "
         "for <probe@example.net>; Tue, 3 Jun 2025 10:00:03 +0000")
PICKUP = "by relay.example.org (Postfix, from userid 1000) id 4AB; Tue,  3 Jun 2025 10:00:00 +0000 (UTC)"


@pytest.mark.parametrize("value, expected", [
    (POSTFIX_MX, {"from": "relay.example.org", "from_ip": "192.0.2.10", "by": "mx.example.net", "with": "ESMTPS",
                  "id": "4AbCd", "tls": True, "local": False}),
    (EXIM, {"from": "[192.0.2.1]", "from_ip": "192.0.2.1", "by": "mx.example.com", "with": "esmtps",
            "id": "1uMx2a-000ABC-2x", "tls": True}),
    (GMAIL, {"from_ip": "209.85.220.41", "by": "mx.google.com", "with": "SMTPS", "tls": True}),
    (OUTLOOK, {"from_ip": "2a01:111:f400:7e1a::701", "by": "AM0PR02MB1234.eurprd02.prod.outlook.com",
               "tls": True, "local": False}),
    (LMTP, {"from": "mx.example.net", "by": "imap.example.net", "with": "LMTP", "local": True, "tls": False}),
    (PLAIN, {"from_ip": "192.0.2.10", "with": "ESMTP", "tls": False}),
    (PICKUP, {"from": None, "by": "relay.example.org", "local": True, "tls": False}),
])
def test_real_world_received_headers(value, expected):
    hop = received.parse_received(value)
    for key, want in expected.items():
        assert hop[key] == want, key


def test_timestamps_keep_their_offset():
    hop = received.parse_received(GMAIL)
    assert hop["timestamp"] == datetime.datetime(2025, 6, 3, 10, 0, tzinfo=datetime.UTC)


def test_chain_is_oldest_first_with_delays():
    sent = datetime.datetime(2025, 6, 3, 10, 0, 0, tzinfo=datetime.UTC)
    hops, skew = received.chain([LMTP, POSTFIX_MX, POSTFIX_RELAY], sent_at=sent)
    assert [h["by"] for h in hops] == ["relay.example.org", "mx.example.net", "imap.example.net"]
    assert [h["delay_seconds"] for h in hops] == [1.0, 2.0, 1.0]
    assert skew is False
    assert hops[1]["timestamp"] == "2025-06-03T10:00:03Z"
    assert received.tls_after_relay(hops) is True


def test_relay_dated_before_its_acceptance_is_not_skew():
    # The relay's header carries whole seconds from the start of the transaction; the module
    # notes acceptance with a fraction after DATA.
    accepted = datetime.datetime(2025, 6, 3, 10, 0, 1, 700000, tzinfo=datetime.UTC)
    hops, skew = received.chain([LMTP, POSTFIX_MX, POSTFIX_RELAY], sent_at=accepted)
    assert skew is False
    assert hops[0]["delay_seconds"] == 0.0


def test_clock_skew_is_flagged_never_a_negative_delay():
    late_relay = POSTFIX_RELAY.replace("10:00:01", "10:00:09")
    hops, skew = received.chain([LMTP, POSTFIX_MX, late_relay])
    assert skew is True
    assert hops[1]["skew"] is True and hops[1]["delay_seconds"] is None
    assert all(h["delay_seconds"] is None or h["delay_seconds"] >= 0 for h in hops)


def test_a_clear_text_hop_after_the_relay_is_seen():
    hops, _skew = received.chain([LMTP, PLAIN, POSTFIX_RELAY])
    assert received.tls_after_relay(hops) is False
    # Only the relay's own hop: nothing after it to judge.
    assert received.tls_after_relay(received.chain([POSTFIX_RELAY])[0]) is None


def test_receiving_hop_prefers_the_authserv_host():
    hops, _skew = received.chain([LMTP, POSTFIX_MX, POSTFIX_RELAY])
    assert received.receiving_hop(hops, "mx.example.net")["from_ip"] == "192.0.2.10"
    # Without a match: the newest network hop with a client address.
    assert received.receiving_hop(hops, "elsewhere.example")["by"] == "mx.example.net"


def test_unparseable_date_gives_no_delay():
    hops, skew = received.chain(["from a (a [192.0.2.1]) by b with ESMTP id 1; not a date"])
    assert hops[0]["timestamp"] is None and hops[0]["delay_seconds"] is None and not skew
