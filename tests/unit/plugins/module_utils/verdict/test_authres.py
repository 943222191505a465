# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Authentication-Results (RFC 8601): parsing, and trust only for the receiver's authserv-id."""

from __future__ import annotations

from ansible_collections.mailops.smtp.plugins.module_utils._verdict import authres

OPENDKIM = ("mx.example.net; dkim=pass (2048-bit key; unprotected) header.d=example.org header.i=@example.org "
            "header.a=rsa-sha256 header.s=s2048 header.b=AbCdEfGh")
OPENDMARC = "mx.example.net; dmarc=pass (p=reject dis=none) header.from=example.org"
FORGED = "mx.example.net.evil.test; dkim=pass header.d=example.org; spf=pass smtp.mailfrom=example.org"


def test_parse_keeps_methods_properties_and_comments():
    parsed = authres.parse(OPENDKIM)
    assert parsed["authserv_id"] == "mx.example.net"
    (entry,) = parsed["results"]
    assert entry["method"] == "dkim" and entry["result"] == "pass"
    assert entry["properties"]["header.d"] == "example.org" and entry["properties"]["header.s"] == "s2048"
    assert entry["comment"] == "2048-bit key; unprotected"


def test_several_methods_version_and_reason():
    parsed = authres.parse('mx.example.net 1; spf=fail reason="not permitted" smtp.mailfrom=a@example.org; '
                           'dkim=none; dmarc=fail header.from=example.org')
    methods = [(r["method"], r["result"]) for r in parsed["results"]]
    assert methods == [("spf", "fail"), ("dkim", "none"), ("dmarc", "fail")]
    assert parsed["results"][0]["reason"] == "not permitted"


def test_none_means_no_results():
    assert authres.parse("mx.example.net; none")["results"] == []


def test_only_the_configured_authserv_id_is_trusted():
    split = authres.trusted([FORGED, OPENDKIM, OPENDMARC], "MX.example.net")
    assert [r["method"] for r in split["trusted"]] == ["dkim", "dmarc"]
    (ignored,) = split["ignored"]
    assert ignored["authserv_id"] == "mx.example.net.evil.test"
    assert "not by the receiving system" in ignored["reason"]


def test_without_an_authserv_id_nothing_is_trusted():
    split = authres.trusted([OPENDKIM], None)
    assert split["trusted"] == [] and len(split["ignored"]) == 1
    assert "authserv_id" in split["ignored"][0]["reason"]
