# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""RFC 3464 delivery status notifications: which probe bounced, and why."""

from __future__ import annotations

from ansible_collections.mailops.smtp.plugins.module_utils._verdict import dsn

TOKEN = "0123456789abcdef0123456789abcdef"

POSTFIX_BOUNCE = ("""From: MAILER-DAEMON@relay.example.org (Mail Delivery System)
Subject: Undelivered Mail Returned to Sender
To: noreply@example.org
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status;
    boundary="4XyZ.1748944800/relay.example.org"

--4XyZ.1748944800/relay.example.org
Content-Description: Notification
Content-Type: text/plain; charset=us-ascii

This is the mail system at host relay.example.org.

<nobody@example.net>: host mx.example.net[192.0.2.25] said: 550 5.1.1
    <nobody@example.net>: Recipient address rejected: User unknown (in reply to
    RCPT TO command)

--4XyZ.1748944800/relay.example.org
Content-Description: Delivery report
Content-Type: message/delivery-status

Reporting-MTA: dns; relay.example.org
X-Postfix-Queue-ID: 4XyZ
Arrival-Date: Tue,  3 Jun 2025 10:00:00 +0000 (UTC)

Final-Recipient: rfc822; nobody@example.net
Original-Recipient: rfc822;nobody@example.net
Action: failed
Status: 5.1.1
Remote-MTA: dns; mx.example.net
Diagnostic-Code: smtp; 550 5.1.1 <nobody@example.net>: Recipient address
    rejected: User unknown

--4XyZ.1748944800/relay.example.org
Content-Description: Undelivered Message Headers
Content-Type: text/rfc822-headers

From: noreply@example.org
To: nobody@example.net
Subject: mailops delivery check: connector relay
Message-ID: <mailops-probe.%s@example.org>
X-Mailops-Probe: token=%s; connector=relay;
 expires=1748944920

--4XyZ.1748944800/relay.example.org--
""" % (TOKEN, TOKEN)).replace("\n", "\r\n").encode()


def test_postfix_bounce_is_tied_to_its_probe():
    report = dsn.parse(POSTFIX_BOUNCE)
    assert report["token"] == TOKEN
    assert report["status"] == "5.1.1" and report["action"] == "failed"
    assert report["recipient"] == "nobody@example.net"
    assert report["diagnostic"].startswith("smtp; 550 5.1.1 <nobody@example.net>: Recipient address rejected")
    assert report["reporting_mta"] == "relay.example.org" and report["remote_mta"] == "mx.example.net"
    assert report["expires"] == 1748944920


def test_returned_message_as_message_rfc822():
    text = POSTFIX_BOUNCE.replace(b"Content-Type: text/rfc822-headers", b"Content-Type: message/rfc822")
    assert dsn.parse(text)["token"] == TOKEN


def test_a_bounce_of_someone_elses_message_is_not_ours():
    other = POSTFIX_BOUNCE.replace(b"X-Mailops-Probe: token=", b"X-Other: token=")
    assert dsn.parse(other) is None


def test_a_plain_message_that_quotes_the_header_is_not_a_bounce():
    text = b"From: a@example.org\r\nSubject: docs\r\n\r\nX-Mailops-Probe: token=%s\r\n" % TOKEN.encode()
    assert dsn.parse(text) is None


def test_probe_header_fields():
    assert dsn.probe_token("token=%s; connector=relay; expires=1" % TOKEN) == TOKEN
    assert dsn.probe_token("token=short") is None
    assert dsn.probe_fields("token=abc; connector=relay; expires=12")["expires"] == "12"
