# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The classification table: what a user is told for each reply and failure."""

from __future__ import annotations

import socket
import ssl

import pytest

from ansible_collections.mailops.smtp.plugins.module_utils._smtp.classification import (
    CATEGORIES,
    SessionPolicyError,
    classify_exception,
    classify_reply,
    enhanced_code,
)


@pytest.mark.parametrize("code,text,stage,category,retryable,hint_word", [
    (535, "5.7.8 Authentication credentials invalid", "auth", "auth", False, "auth.password"),
    (534, "5.7.9 Application-specific password required", "auth", "auth", False, "app password"),
    (530, "5.7.0 Authentication required", "mail", "auth", False, "add auth"),
    (538, "5.7.11 Encryption required for requested authentication mechanism", "auth", "auth", False,
     "security: starttls"),
    (535, "5.7.139 Authentication unsuccessful, basic authentication is disabled.", "auth", "auth", False,
     "Basic authentication"),
    (421, "4.7.0 Too many messages, try again later", "mail", "throttled", True, "throttl"),
    (450, "4.7.1 Sending rate exceeded", "mail", "throttled", True, "throttl"),
    (451, "4.7.1 Greylisted, try again later", "rcpt", "throttled", True, "greylist"),
    (452, "4.2.2 Mailbox full", "rcpt", "throttled", True, "full"),
    (550, "5.1.1 <x@example.org>: Recipient address rejected: User unknown", "rcpt", "recipient", False, "test.to"),
    (552, "5.2.2 Mailbox full", "rcpt", "recipient", False, "test.to"),
    (554, "5.7.1 <x@example.org>: Relay access denied", "rcpt", "policy", False, "Relaying denied"),
    (554, "5.7.1 Service unavailable; client host [192.0.2.1] blocked using zen", "banner", "policy", False,
     "blocklisted"),
    (550, "5.7.23 SPF validation failed", "mail", "policy", False, "SPF"),
    (550, "5.7.25 no PTR record", "mail", "policy", False, "PTR"),
    (550, "5.7.26 Unauthenticated email is not accepted (DMARC)", "data", "policy", False, "DKIM"),
    (553, "5.7.1 <a@example.org>: Sender address rejected: not owned by user", "mail", "policy", False, "senders"),
    (553, "5.1.8 Sender address domain not found", "mail", "sender", False, "sender"),
    (552, "5.3.4 Message size exceeds fixed limit", "data", "message", False, "SIZE"),
    (500, "5.5.1 Command unrecognized", "ehlo", "protocol", False, "Unexpected"),
    (530, "5.7.0 Must issue a STARTTLS command first", "mail", "tls_mode", False, "security: starttls"),
])
def test_reply_classification(code, text, stage, category, retryable, hint_word):
    res = classify_reply(code, text, stage)
    assert res["category"] == category
    assert res["retryable"] is retryable
    assert res["smtp_code"] == code
    assert res["stage"] == stage
    assert hint_word.lower() in res["hint"].lower()
    assert res["category"] in CATEGORIES


def test_enhanced_code_is_parsed_only_at_the_start():
    assert enhanced_code("5.7.8 Authentication credentials invalid") == "5.7.8"
    assert enhanced_code("Error 5.7.8 later in the text") is None
    assert enhanced_code("") is None
    assert classify_reply(535, "5.7.8 bad", "auth")["enhanced_code"] == "5.7.8"


def test_temporary_auth_failure_is_retryable_auth():
    res = classify_reply(454, "4.7.0 Temporary authentication failure", "auth")
    assert res["category"] == "auth"
    assert res["retryable"] is True


def _verification_error(code, message):
    err = ssl.SSLCertVerificationError(1, "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: %s" % message)
    err.verify_code = code
    err.verify_message = message
    return err


@pytest.mark.parametrize("code,message,hint_word", [
    (10, "certificate has expired", "expired"),
    (62, "Hostname mismatch, certificate is not valid for 'mail.example.org'.", "tls.server_name"),
    (20, "unable to get local issuer certificate", "tls.ca_file"),
    (18, "self-signed certificate", "tls.ca_file"),
])
def test_certificate_failures(code, message, hint_word):
    res = classify_exception(_verification_error(code, message), "starttls")
    assert res["category"] == "tls_certificate"
    assert res["retryable"] is False
    assert hint_word in res["hint"]


def test_certificate_error_wrapped_by_connect_error_is_found_through_the_cause():
    outer = ConnectionError("Error connecting to 127.0.0.1 on port None: certificate verify failed")
    outer.__cause__ = _verification_error(10, "certificate has expired")
    res = classify_exception(outer, "tls", "tls")
    assert res["category"] == "tls_certificate"
    assert "on port None" not in res["message"]


def test_implicit_tls_to_a_plain_port_is_asked_not_guessed():
    err = ssl.SSLError(1, "[SSL: WRONG_VERSION_NUMBER] wrong version number")
    err.reason = "WRONG_VERSION_NUMBER"
    res = classify_exception(err, "tls", "tls")
    assert res["_question"] == "plain_port"
    assert res["category"] != "tls_mode"


def test_no_greeting_is_asked_not_guessed():
    res = classify_exception(TimeoutError("Timed out waiting for server ready message"), "banner", "starttls")
    assert res["_question"] == "silence"
    assert res["category"] == "connection"


def test_protocol_version_mismatch():
    err = ssl.SSLError(1, "[SSL: TLSV1_ALERT_PROTOCOL_VERSION] tlsv1 alert protocol version")
    err.reason = "TLSV1_ALERT_PROTOCOL_VERSION"
    assert classify_exception(err, "starttls")["category"] == "tls_protocol"


def test_dns_failure():
    res = classify_exception(socket.gaierror(socket.EAI_NONAME, "Name or service not known"), "dns")
    assert res["category"] == "dns"
    assert res["retryable"] is False
    temporary = classify_exception(socket.gaierror(socket.EAI_AGAIN, "Temporary failure"), "dns")
    assert temporary["retryable"] is True


def test_resolver_timeout_is_a_dns_problem():
    res = classify_exception(TimeoutError(), "dns")
    assert res["category"] == "dns"
    assert res["retryable"] is True


def test_connection_refused_and_connect_timeout():
    refused = classify_exception(ConnectionRefusedError(111, "Connection refused"), "connect")
    assert refused["category"] == "connection"
    assert refused["retryable"] is False
    assert "port" in refused["hint"]
    timeout = classify_exception(TimeoutError(), "connect")
    assert timeout["category"] == "connection"
    assert timeout["retryable"] is True
    assert "25" in timeout["hint"]


def test_policy_errors_keep_their_category_and_stage():
    err = SessionPolicyError("starttls_unavailable", "no STARTTLS", "fix it", "starttls")
    res = classify_exception(err, "ehlo")
    assert res == {"category": "starttls_unavailable", "retryable": False, "stage": "starttls",
                   "smtp_code": None, "enhanced_code": None, "message": "no STARTTLS", "hint": "fix it"}


class FakeResponseError(Exception):
    """Shaped like aiosmtplib's SMTPResponseException (code + message)."""

    def __init__(self, code, message):
        super().__init__(code, message)
        self.code = code
        self.message = message


def test_reply_exceptions_are_classified_as_replies():
    res = classify_exception(FakeResponseError(535, "5.7.8 Authentication credentials invalid"), "auth")
    assert res["category"] == "auth"
    assert res["smtp_code"] == 535
