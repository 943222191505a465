# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Verdicts that are settled by evidence from a second connection, and replies that used to be guessed."""

from __future__ import annotations

import pytest

from ansible_collections.mailops.smtp.plugins.module_utils._smtp.classification import (
    classify_exception,
    classify_reply,
    printable,
    settle,
)


def provisional(exc, stage, security):
    res = classify_exception(exc, stage, security)
    return res["_question"], res


SILENCE = [
    # (security, evidence, category, retryable, hint word)
    ("starttls", {"tls_version": "TLSv1.3", "plain_text": ""}, "tls_mode", False, "security: tls"),
    ("none", {"tls_version": "TLSv1.2"}, "tls_mode", False, "implicit TLS"),
    ("starttls", {"tls_error": "timed out", "plain_text": "", "plain_line": False}, "connection", True, "McAfee"),
    ("none", {"tls_error": "wrong version number", "plain_text": "220 mail", "plain_line": False,
              "plain_seconds": 2.0}, "connection", True, "tarpit"),
    ("none", {"tls_error": "x", "plain_text": "220 mail.example.org ESMTP", "plain_line": True},
     "connection", True, "overloaded"),
    ("tls", {"tls_error": "timed out", "plain_text": "220 mail.example.org ESMTP", "plain_line": True},
     "tls_mode", False, "security: starttls"),
    ("tls", {"tls_version": "TLSv1.3", "plain_text": ""}, "connection", True, "middlebox"),
]


@pytest.mark.parametrize("security,evidence,category,retryable,word", SILENCE)
def test_no_greeting_is_tls_mode_only_when_the_other_mode_works(security, evidence, category, retryable, word):
    question, res = provisional(TimeoutError("Timed out waiting for server ready message"),
                                "tls" if security == "tls" else "banner", security)
    assert question == "silence"
    verdict = settle(question, res, evidence, security)
    assert verdict["category"] == category
    assert verdict["retryable"] is retryable
    assert word in verdict["hint"]
    assert "_question" not in verdict


def test_implicit_tls_against_a_plain_port_needs_its_greeting():
    import ssl

    err = ssl.SSLError(1, "[SSL: WRONG_VERSION_NUMBER] wrong version number")
    err.reason = "WRONG_VERSION_NUMBER"
    question, res = provisional(err, "tls", "tls")
    confirmed = settle(question, res, {"plain_text": "220 mx ESMTP Postfix", "plain_line": True}, "tls")
    assert confirmed["category"] == "tls_mode"
    assert "220 mx ESMTP Postfix" in confirmed["hint"]
    other = settle(question, res, {"plain_text": "SSH-2.0-OpenSSH_9.2", "plain_line": True}, "tls")
    assert other["category"] == "connection"
    assert "neither TLS nor SMTP" in other["hint"]
    silent = settle(question, res, {"plain_text": "", "plain_line": False}, "tls")
    assert silent["category"] == "tls_protocol"


def test_garbage_after_starttls_is_not_a_mode_question():
    import ssl

    err = ssl.SSLError(1, "[SSL: WRONG_VERSION_NUMBER] wrong version number")
    err.reason = "WRONG_VERSION_NUMBER"
    res = classify_exception(err, "starttls", "starttls")
    assert "_question" not in res
    assert res["category"] == "tls_protocol"
    assert "middlebox" in res["hint"]


@pytest.mark.parametrize("evidence,category,retryable,word", [
    ({"tls_version": "TLSv1.1"}, "tls_protocol", False, "TLS 1.1"),
    ({"tls_version": "TLSv1"}, "tls_protocol", False, "TLS 1 "),
    ({"tls_version": "TLSv1.3"}, "connection", True, "second handshake succeeded"),
    ({"tls_error": "EOF"}, "tls_protocol", False, "every TLS handshake"),
])
def test_an_aborted_handshake_is_settled_by_a_lenient_one(evidence, category, retryable, word):
    question, res = provisional(ConnectionResetError("reset"), "tls", "tls")
    assert question == "handshake"
    verdict = settle(question, res, evidence, "tls", "1.2")
    assert (verdict["category"], verdict["retryable"]) == (category, retryable)
    assert word in verdict["hint"]


def test_a_drop_after_auth_is_auth_only_when_a_session_without_auth_stays_open():
    class Disconnected(Exception):
        pass

    Disconnected.__name__ = "SMTPServerDisconnected"
    question, res = provisional(Disconnected("Connection lost"), "auth", "starttls")
    assert question == "auth_drop"
    assert settle(question, res, {"session_ok": True}, "starttls")["category"] == "auth"
    unstable = settle(question, res, {"session_ok": False}, "starttls")
    assert unstable["category"] == "connection"
    assert unstable["retryable"] is True


def test_an_unknown_issuer_is_described_from_the_presented_chain():
    import ssl

    err = ssl.SSLCertVerificationError(1, "certificate verify failed: unable to get local issuer certificate")
    err.verify_code = 20
    err.verify_message = "unable to get local issuer certificate"
    question, res = provisional(err, "tls", "tls")
    assert question == "untrusted_chain"
    alone = settle(question, res, {"chain_length": 1, "issuer": "CN=Intermediate"}, "tls")
    assert "intermediate" in alone["hint"] and "CN=Intermediate" in alone["hint"]
    full = settle(question, res, {"chain_length": 2, "issuer": "CN=Private Root"}, "tls")
    assert "tls.ca_file" in full["hint"] and "2 certificates" in full["hint"]


@pytest.mark.parametrize("code,text,stage,context,category,retryable,word", [
    (530, "5.7.0 Must issue a STARTTLS command first", "mail", {"security": "none", "starttls_offered": True},
     "tls_mode", False, "security: starttls"),
    (530, "5.7.0 Must issue a STARTTLS command first", "mail", {"security": "none", "starttls_offered": False},
     "starttls_unavailable", False, "does not offer"),
    (530, "5.7.0 Must issue a STARTTLS command first", "mail",
     {"security": "starttls", "starttls_offered": False}, "starttls_unavailable", False, "does not offer"),
    (452, "4.5.3 Error: too many recipients", "rcpt", {}, "recipient", False, "fewer"),
    (452, "4.3.1 Insufficient system storage", "rcpt", {}, "throttled", True, "short of resources"),
    (452, "4.2.2 Mailbox full", "rcpt", {}, "throttled", True, "mailbox is full"),
    (554, "5.2.252 SendAsDenied; a@example.org not allowed to send as b@example.org", "data", {},
     "sender", False, "Send As"),
    (552, "5.2.3 Message exceeds maximum size", "data", {}, "message", False, "SIZE"),
    (550, "5.7.1 Client does not have permissions to send as this sender", "mail", {}, "policy", False,
     "senders"),
    (454, "4.7.0 TLS not available due to local problem", "starttls", {}, "starttls_unavailable", True,
     "TLS setup"),
])
def test_replies_decided_by_what_the_session_knows(code, text, stage, context, category, retryable, word):
    res = classify_reply(code, text, stage, context)
    assert res["category"] == category
    assert res["retryable"] is retryable
    assert word in res["hint"]


def test_mixed_codes_follow_the_last_line_and_say_so():
    res = classify_reply(550, "2.1.0 Sender syntax OK\n5.7.1 <a@example.org>: Sender address rejected", "mail")
    assert res["enhanced_code"] == "5.7.1"
    assert res["category"] == "policy"
    assert "mixed status codes" in res["hint"]
    assert "2.1.0, 5.7.1" in res["hint"]


def test_eight_bit_garbage_becomes_replacement_characters():
    garbage = b"5.1.1 unknown user \xff\xfe\xe9".decode("utf-8", "surrogateescape")
    res = classify_reply(550, garbage, "rcpt")
    assert res["category"] == "recipient"
    assert "\ufffd" in res["message"]
    res["message"].encode("utf-8")  # serialisable: no lone surrogates left
    assert printable(b"\xff") == "\ufffd"


def test_aiosmtplib_parse_failures_are_protocol_errors():
    class Malformed(Exception):
        code = -1
        message = "Malformed SMTP response line: Sender looks fine to me"

    res = classify_exception(Malformed(), "mail")
    assert res["category"] == "protocol"
    assert "three-digit" in res["hint"]


def test_a_name_without_address_is_not_a_misspelling():
    import socket

    nodata = classify_exception(socket.gaierror(getattr(socket, "EAI_NODATA", -5), "No address"), "dns")
    assert "no address record" in nodata["hint"]
    missing = classify_exception(socket.gaierror(socket.EAI_NONAME, "Name or service not known"), "dns")
    assert "does not resolve" in missing["hint"]


def _cert_error(code, message):
    import ssl

    err = ssl.SSLCertVerificationError(1, "certificate verify failed: %s" % message)
    err.verify_code = code
    err.verify_message = message
    return err


def test_a_name_mismatch_names_what_the_certificate_carries():
    question, res = provisional(_cert_error(62, "Hostname mismatch, certificate is not valid for 'mx'."), "tls", "tls")
    assert question == "certificate_names"
    verdict = settle(question, res, {"leaf_names": ["smtp.example.org", "192.0.2.25"], "server_name": "mx"}, "tls")
    assert "names smtp.example.org, 192.0.2.25, not mx" in verdict["hint"]
    assert "tls.server_name" in verdict["hint"]
    # Without the certificate the classifier's own hint stands.
    assert settle(question, res, {}, "tls")["hint"] == res["hint"]


def test_dates_are_set_against_this_machines_clock():
    question, res = provisional(_cert_error(9, "certificate is not yet valid"), "tls", "tls")
    assert question == "certificate_dates"
    early = settle(question, res, {"not_before": "2031-01-01T00:00:00Z", "not_after": "2032-01-01T00:00:00Z",
                                   "expired": False, "now": "2030-12-20T00:00:00Z"}, "tls")
    assert "2031-01-01T00:00:00Z" in early["hint"] and "2030-12-20T00:00:00Z" in early["hint"]
    late = settle(question, res, {"not_before": "2020-01-01T00:00:00Z", "not_after": "2021-01-01T00:00:00Z",
                                  "expired": True, "now": "2030-12-20T00:00:00Z"}, "tls")
    assert "has expired" in late["hint"]


@pytest.mark.parametrize("code,text,category", [
    (550, "5.7.0 Message rejected by the content policy", "policy"),
    (530, "5.7.0 Authentication required", "auth"),
    (550, "5.7.0 Authentication required for this sender", "auth"),
])
def test_5_7_0_is_authentication_only_when_it_says_so(code, text, category):
    assert classify_reply(code, text, "data")["category"] == category


@pytest.mark.parametrize("stage", ["banner", "ehlo", "mail", "rcpt"])
def test_an_early_drop_says_whether_every_connection_is_dropped(stage):
    question, res = provisional(ConnectionResetError("Connection lost"), stage, "none")
    assert question == "early_drop"
    specific = settle(question, res, {"session_ok": True}, "none")
    everything = settle(question, res, {"session_ok": False}, "none")
    assert specific["category"] == everything["category"] == "connection"
    assert specific["retryable"] and everything["retryable"]
    assert "fresh session got through EHLO" in specific["hint"]
    assert "every connection" in everything["hint"]
