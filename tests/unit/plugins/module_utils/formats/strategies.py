# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Hypothesis strategies: connectors that the schema accepts."""

from __future__ import annotations

import re

from hypothesis import strategies as st

from ansible_collections.mailops.smtp.plugins.module_utils._formats._base import CONNECTOR_CAPABILITIES

LOWER = "abcdefghijklmnopqrstuvwxyz"
DIGITS = "0123456789"


def word(first, rest, max_rest):
    """Text of the language [first][rest]{0,max_rest}, built from its characters (a regex strategy draws
    the same texts several times more slowly)."""
    return st.builds(lambda a, b: a + b, st.sampled_from(first), st.text(alphabet=rest, max_size=max_rest))


LABEL = word(LOWER, LOWER + DIGITS, 10)
DOMAIN = st.builds(lambda a, b: "%s.%s" % (a, b), LABEL, st.sampled_from(["org", "net", "example"]))
ADDRESS = st.builds(lambda local, d: "%s@%s" % (local, d), word(LOWER + DIGITS, LOWER + DIGITS + "._+-", 12), DOMAIN)
# Printable text, any script, no control characters (the model's header values forbid CR/LF).
TEXT = st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=30)
SECRET = TEXT.filter(lambda s: s == s.strip() and s.strip())
DISPLAY = st.text(st.characters(whitelist_categories=("Lu", "Ll", "Nd", "Zs"), max_codepoint=0x24F),
                  min_size=1, max_size=20).map(lambda s: s.strip() or "x")
MAILBOX = st.one_of(ADDRESS, st.builds(lambda n, a: '"%s" <%s>' % (n, a), DISPLAY, ADDRESS))
PURPOSE = word(LOWER, LOWER + DIGITS + "_", 12).filter(lambda p: p != "default")
HOST = st.one_of(DOMAIN, st.sampled_from(["127.0.0.1", "192.0.2.10", "localhost", "smtp.example.org",
                                          "smtp.example.org.", "2001:db8::25"]))
PATH = st.builds(lambda tail: "/" + tail, st.text(alphabet=LOWER + DIGITS + "/_.-", min_size=1, max_size=30))
# Connector names as the schema allows them ([a-z0-9][a-z0-9_.-]*), "default" excepted.
NAME_FIRST, NAME_REST = LOWER + DIGITS, LOWER + DIGITS + "_.-"


def _optional(draw, key, strategy, out):
    if draw(st.booleans()):
        out[key] = draw(strategy)


@st.composite
def connectors(draw, name=None, simple_secrets=False):
    """One connector; simple_secrets keeps user names and passwords to what every format can hold."""
    conn = {"name": name or draw(word(NAME_FIRST, NAME_REST, 15).filter(lambda n: n != "default")),
            "host": draw(HOST)}
    senders = {"default": draw(MAILBOX)}
    for purpose in draw(st.lists(PURPOSE, max_size=3, unique=True)):
        senders[purpose] = draw(MAILBOX)
    conn["senders"] = senders
    _optional(draw, "description", TEXT, conn)
    _optional(draw, "port", st.integers(1, 65535), conn)
    _optional(draw, "security", st.sampled_from(["none", "starttls", "tls"]), conn)
    _optional(draw, "starttls", st.sampled_from(["opportunistic", "required"]), conn)
    if draw(st.booleans()):
        tls = {}
        _optional(draw, "verify", st.booleans(), tls)
        _optional(draw, "ca_file", PATH, tls)
        _optional(draw, "server_name", DOMAIN, tls)
        _optional(draw, "min_version", st.sampled_from(["1.2", "1.3"]), tls)
        conn["tls"] = tls
    _optional(draw, "timeout", st.integers(1, 300), conn)
    if draw(st.booleans()):
        user = draw(ADDRESS if simple_secrets else SECRET.filter(lambda s: ":" not in s))
        auth = {"username": user, "password": draw(SECRET)}
        if draw(st.booleans()):
            auth["mechanisms"] = draw(st.lists(st.sampled_from(["PLAIN", "LOGIN", "CRAM-MD5"]), min_size=1,
                                               max_size=3, unique=True))
        conn["auth"] = auth
    _optional(draw, "reply_to", st.one_of(st.sampled_from(["none", "sender"]), ADDRESS), conn)
    for flag in ("display_name_from_user", "always_send_as_default", "allow_custom_sender", "mime_strict",
                 "port_mismatch_ok", "allow_plaintext_auth"):
        _optional(draw, flag, st.booleans(), conn)
    if draw(st.booleans()):
        delivery = {}
        _optional(draw, "retry_interval_minutes", st.integers(1, 1440), delivery)
        _optional(draw, "max_errors", st.integers(1, 1000), delivery)
        _optional(draw, "throttle_per_second", st.integers(1, 999), delivery)
        conn["delivery"] = delivery
    if draw(st.booleans()):
        att = {}
        _optional(draw, "allowed", st.booleans(), att)
        _optional(draw, "max_size_mb", st.one_of(st.integers(0, 100), st.integers(0, 1000).map(lambda x: x / 10.0)),
                  att)
        _optional(draw, "as_url", st.booleans(), att)
        conn["attachments"] = att
    _optional(draw, "accept_weaker", st.lists(st.sampled_from(CONNECTOR_CAPABILITIES), min_size=1, max_size=3,
                                              unique=True), conn)
    _optional(draw, "webhook_url", st.builds(lambda d: "https://%s/hook" % d, DOMAIN), conn)
    _optional(draw, "suppressions_file", PATH, conn)
    if draw(st.booleans()):
        test = {"to": draw(st.lists(ADDRESS, min_size=1, max_size=3, unique=True))}
        if draw(st.booleans()):
            test["sender"] = draw(st.sampled_from(sorted(senders)))
        conn["test"] = test
    return conn


@st.composite
def connector_lists(draw, min_size=1, max_size=4, simple_secrets=False):
    # Names as the schema allows them; unique also once upper-cased with '.'/'-' as '_' (env keys).
    names = draw(st.lists(word(NAME_FIRST, NAME_REST, 10).filter(lambda n: n != "default"),
                          min_size=min_size, max_size=max_size,
                          unique_by=lambda n: re.sub(r"[^a-z0-9]", "_", n)))
    return [draw(connectors(name=n, simple_secrets=simple_secrets)) for n in names]
