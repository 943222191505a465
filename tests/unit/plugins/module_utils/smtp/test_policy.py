# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Link policy: when credentials and mail may go on the wire."""

from __future__ import annotations

import ssl

import pytest

from ansible_collections.mailops.smtp.plugins.module_utils._smtp import policy
from ansible_collections.mailops.smtp.plugins.module_utils._smtp.classification import SessionPolicyError


def conn(**kw):
    base = {"name": "c", "host": "smtp.example.org", "port": 587, "security": "starttls", "starttls": "required",
            "senders": {"default": "a@example.org"}}
    base.update(kw)
    return base


def test_required_starttls_without_offer_stops_the_session():
    with pytest.raises(SessionPolicyError) as info:
        policy.starttls_decision(conn(), advertised=False)
    assert info.value.category == "starttls_unavailable"
    assert "strip" in info.value.hint


def test_starttls_decisions():
    assert policy.starttls_decision(conn(), advertised=True) == "upgrade"
    assert policy.starttls_decision(conn(starttls="opportunistic"), advertised=False) == "clear"


@pytest.mark.parametrize("connector,encrypted,fell_back,allowed", [
    (conn(), True, False, True),
    (conn(starttls="opportunistic"), False, True, False),
    (conn(starttls="opportunistic", host="127.0.0.1"), False, True, False),
    (conn(starttls="opportunistic", allow_plaintext_auth=True), False, True, True),
    (conn(security="none", host="127.0.0.1"), False, False, True),
    (conn(security="none"), False, False, False),
    (conn(security="none", allow_plaintext_auth=True), False, False, True),
])
def test_credentials_only_on_allowed_links(connector, encrypted, fell_back, allowed):
    if allowed:
        policy.check_auth_allowed(connector, encrypted, fell_back)
    else:
        with pytest.raises(SessionPolicyError) as info:
            policy.check_auth_allowed(connector, encrypted, fell_back)
        assert info.value.category == "plaintext_auth_refused"
        assert "allow_plaintext_auth" in info.value.hint


def test_mechanism_choice_follows_declared_order_then_default():
    assert policy.choose_mechanism(["LOGIN", "PLAIN"], ["PLAIN", "LOGIN"]) == "LOGIN"
    assert policy.choose_mechanism(None, ["LOGIN", "PLAIN"]) == "PLAIN"
    assert policy.choose_mechanism(None, ["login", "cram-md5"]) == "CRAM-MD5"
    with pytest.raises(SessionPolicyError) as info:
        policy.choose_mechanism(["CRAM-MD5"], ["PLAIN"])
    assert "PLAIN" in info.value.hint
    with pytest.raises(SessionPolicyError) as info:
        policy.choose_mechanism(None, [])
    assert "does not advertise AUTH" in info.value.hint


def test_capabilities_summary():
    caps = policy.parse_capabilities({"size": "35882577", "auth": "LOGIN PLAIN XOAUTH2", "pipelining": "",
                                      "8bitmime": "", "smtputf8": "", "starttls": ""})
    assert caps["size_limit"] == 35882577
    assert caps["auth_mechanisms"] == ["LOGIN", "PLAIN", "XOAUTH2"]
    assert caps["pipelining"] and caps["8bitmime"] and caps["smtputf8"] and caps["starttls"]
    assert not caps["chunking"]
    assert policy.parse_capabilities({})["size_limit"] is None


def test_tls_context_verifies_by_default_and_applies_min_version():
    ctx = policy.tls_context(conn())
    assert ctx.verify_mode == ssl.CERT_REQUIRED
    assert ctx.check_hostname is True
    assert ctx.minimum_version == ssl.TLSVersion.TLSv1_2
    ctx13 = policy.tls_context(conn(tls={"min_version": "1.3"}))
    assert ctx13.minimum_version == ssl.TLSVersion.TLSv1_3
    off = policy.tls_context(conn(tls={"verify": False}))
    assert off.verify_mode == ssl.CERT_NONE


def test_server_name_prefers_tls_server_name():
    assert policy.server_name(conn(host="192.0.2.1", tls={"server_name": "mx.example.org"})) == "mx.example.org"
    assert policy.server_name(conn(host="[2001:db8::25]")) == "2001:db8::25"


def test_version_comparison():
    assert policy.version_at_least("TLSv1.3", "1.2")
    assert policy.version_at_least("TLSv1.2", "1.2")
    assert not policy.version_at_least("TLSv1.2", "1.3")
    assert not policy.version_at_least("SSLv3", "1.2")
