# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Declared settings against the server's EHLO: the SIZE arithmetic, mechanisms, SMTPUTF8."""

from __future__ import annotations

import base64

import pytest

from ansible_collections.mailops.smtp.plugins.module_utils._smtp.policy import parse_capabilities
from ansible_collections.mailops.smtp.plugins.module_utils._smtp.probe import (
    HEADER_ALLOWANCE,
    MIB,
    declaration_findings,
    largest_attachment,
    wire_size,
)


def mime_base64_length(n):
    """What the standard library really produces for an n-byte attachment (76-character lines, CRLF)."""
    encoded = base64.encodebytes(b"\0" * n)  # 76 characters per line, LF after each
    return len(encoded) + encoded.count(b"\n")  # as CRLF on the wire


@pytest.mark.parametrize("n", [0, 1, 2, 3, 56, 57, 58, 1000, 25 * MIB])
def test_wire_size_is_base64_with_line_breaks_plus_headers(n):
    assert wire_size(n) == mime_base64_length(n) + HEADER_ALLOWANCE


def test_a_25_mb_attachment_does_not_fit_a_25_mb_size_limit():
    assert wire_size(25 * MIB) == 35880532
    assert wire_size(25 * MIB) > 25 * MIB


def test_gmail_sized_limit_takes_a_25_mb_attachment():
    # Gmail advertises SIZE 35882577 and takes 25 MB attachments.
    assert wire_size(25 * MIB) <= 35882577


@pytest.mark.parametrize("limit", [10240000, 26214400, 35882577, 52428800, HEADER_ALLOWANCE + 100])
def test_largest_attachment_is_the_exact_boundary(limit):
    best = largest_attachment(limit)
    assert wire_size(best) <= limit
    assert wire_size(best + 3) > limit


def test_no_room_at_all():
    assert largest_attachment(1000) == 0


def caps(**kw):
    ext = {"size": str(kw.pop("size", 26214400)), "8bitmime": ""}
    ext.update(kw)
    return parse_capabilities(ext)


def connector(**kw):
    conn = {"name": "c", "host": "mx.example.org", "senders": {"default": "noreply@example.org"},
            "attachments": {"allowed": True, "max_size_mb": 25, "as_url": False}}
    conn.update(kw)
    return conn


def test_size_finding_carries_the_numbers():
    [finding] = declaration_findings(connector(), caps())
    assert finding["id"] == "attachment_exceeds_size"
    assert finding["severity"] == "error"
    assert finding["category"] == "message"
    details = finding["details"]
    assert details["wire_bytes"] == 35880532
    assert details["size_limit"] == 26214400
    assert details["largest_max_size_mb"] == 18.2
    assert "35880532" in finding["message"] and "26214400" in finding["message"]
    assert "18.2" in finding["hint"]


def test_size_is_not_judged_when_undeclared_unlimited_or_links():
    assert declaration_findings(connector(), caps(), check_attachments=False) == []
    assert declaration_findings(connector(), caps(size=0)) == []
    assert declaration_findings(connector(attachments={"allowed": True, "max_size_mb": 25, "as_url": True}),
                                caps()) == []
    assert declaration_findings(connector(attachments={"allowed": False, "max_size_mb": 25}), caps()) == []
    assert declaration_findings(connector(attachments={"max_size_mb": 10}), caps()) == []


def test_mechanisms_against_those_offered():
    conn = connector(attachments=None, auth={"username": "u", "password": "p", "mechanisms": ["PLAIN"]})
    [finding] = declaration_findings(conn, caps(auth="LOGIN"))
    assert (finding["id"], finding["severity"]) == ("auth_mechanisms_not_offered", "error")
    assert "LOGIN" in finding["hint"]
    conn["auth"]["mechanisms"] = ["CRAM-MD5", "LOGIN"]
    [finding] = declaration_findings(conn, caps(auth="LOGIN PLAIN"))
    assert (finding["id"], finding["severity"]) == ("auth_mechanisms_partly_offered", "warning")
    assert finding["details"]["missing"] == ["CRAM-MD5"]
    conn["auth"]["mechanisms"] = ["LOGIN"]
    assert declaration_findings(conn, caps(auth="LOGIN PLAIN")) == []


@pytest.mark.parametrize("sender,smtputf8,expected", [
    ("José <josé@example.org>", False, [("sender_needs_smtputf8", "error"),
                                        ("display_name_needs_encoding", "warning")]),
    ("José <josé@example.org>", True, []),
    ("Zoë <zoe@example.org>", False, [("display_name_needs_encoding", "warning")]),
    ("Zoë <zoe@example.org>", True, []),
    ("info@bücher.example", False, [("sender_domain_needs_idna", "warning")]),
    ("Plain <plain@example.org>", False, []),
])
def test_non_ascii_senders_against_smtputf8(sender, smtputf8, expected):
    extra = {"smtputf8": ""} if smtputf8 else {}
    found = declaration_findings(connector(attachments=None, senders={"default": sender}), caps(**extra))
    assert [(f["id"], f["severity"]) for f in found] == expected


def test_display_name_hint_says_whether_8bitmime_helps():
    [finding] = declaration_findings(connector(attachments=None, senders={"default": "Zoë <z@example.org>"}),
                                     parse_capabilities({}))
    assert "nor 8BITMIME" in finding["message"]
    assert "RFC 2047" in finding["hint"]
