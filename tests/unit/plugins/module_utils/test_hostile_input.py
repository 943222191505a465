# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Hostile input at every door: validate, the connector module and the check modules.

Connectors are generated from the schema and broken on purpose (wrong types, bounds, unknown
keys, control and bidi characters in every string, huge values, deep nesting, missing fields).
validate must name each defect with its rule and pointer and never raise; the modules, called
without the action plugin in front, must refuse the same connectors, write nothing and open no
connection.
"""

from __future__ import annotations

import copy
import json
import os
import select
import socket
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ansible_collections.mailops.smtp.plugins.module_utils._formats import _common
from ansible_collections.mailops.smtp.plugins.module_utils._rules import RULES, ecma_regex, parse_mailbox
from ansible_collections.mailops.smtp.plugins.module_utils._schema_data import CONNECTOR_SCHEMA
from ansible_collections.mailops.smtp.plugins.module_utils._validate import (
    _schema_findings,
    door_check,
    validate_connectors,
)
from ansible_collections.mailops.smtp.plugins.modules import connector as connector_module
from ansible_collections.mailops.smtp.plugins.modules import dns_check, probe, test_send, tls_check
from ansible_collections.mailops.smtp.tests.unit.plugins.hosts import run_module

SENTINEL = "Sentinel-7f3a9c-Pw"
CHECK_MODULES = {"probe": probe, "tls_check": tls_check, "test_send": test_send, "dns_check": dns_check}
FORMATS = ["env", "ini", "javamail", "json", "msmtp", "postfix", "yaml"]

CONTROLS = ["\n", "\r", "\r\n", "\x00", "\x0b", "\x1b", "\x7f", "\x85", "\t"]
# Format characters and separators that change how text reads (joiners are tested in the corpus).
INVISIBLES = ["\u202e", "\u202a", "\u202b", "\u202c", "\u202d", "\u2066", "\u2067", "\u2068", "\u2069",
              "\u200b", "\u200e", "\u200f", "\ufeff", "\u2028", "\u2029", "\u061c", "\u2060", "\ud800"]


def full_connector(port=2525):
    """A valid connector with every field of the schema set, so every field can be broken."""
    return {
        "name": "district-relay",
        "description": "Relay of the district portal",
        "host": "127.0.0.1",
        "port": port,
        "security": "starttls",
        "starttls": "required",
        "tls": {"verify": True, "ca_file": "/etc/ssl/private-ca.pem", "server_name": "smtp.example.org",
                "min_version": "1.2"},
        "timeout": 5,
        "auth": {"username": "mailer@example.org", "password": SENTINEL, "mechanisms": ["PLAIN", "LOGIN"]},
        "senders": {"default": '"Example District" <noreply@example.org>', "portal": "portal@example.org"},
        "reply_to": "replies@example.org",
        "display_name_from_user": True,
        "always_send_as_default": False,
        "allow_custom_sender": False,
        "delivery": {"retry_interval_minutes": 5, "max_errors": 10, "throttle_per_second": 50},
        "attachments": {"allowed": True, "max_size_mb": 25, "as_url": False},
        "mime_strict": True,
        "webhook_url": "https://hooks.example.org/smtp-events",
        "suppressions_file": "/etc/mailer/suppressions.txt",
        "test": {"to": ["mail-tests@example.org"], "sender": "default"},
        "port_mismatch_ok": False,
        "allow_plaintext_auth": False,
    }


def _leaves(value, schema, parts=()):
    """(path, schema) of every value in a connector, objects and lists included."""
    out = [(parts, schema)] if parts else []
    if isinstance(value, dict):
        for key, sub in value.items():
            sub_schema = schema.get("properties", {}).get(key, schema.get("additionalProperties"))
            out.extend(_leaves(sub, sub_schema if isinstance(sub_schema, dict) else {}, parts + (key,)))
    elif isinstance(value, list):
        for i, sub in enumerate(value):
            out.extend(_leaves(sub, schema.get("items", {}), parts + (i,)))
    return out


LEAVES = _leaves(full_connector(), CONNECTOR_SCHEMA)
STRINGS = [(p, s) for p, s in LEAVES if s.get("type") == "string"]
NUMBERS = [(p, s) for p, s in LEAVES if s.get("type") in ("integer", "number")]
OBJECTS = [()] + [p for p, s in LEAVES if s.get("type") == "object" and s.get("additionalProperties") is False]
REQUIRED = [("name",), ("host",), ("senders",), ("senders", "default"), ("auth", "username"), ("auth", "password"),
            ("test", "to")]
WRONG = {
    "string": [5, 2.5, True, None, ["x"], {"x": 1}],
    "integer": ["587", 2.5, True, None, [1], {"a": 1}],
    "number": ["25", True, None, [1], {"a": 1}],
    "boolean": ["yes", "true", 1, 0, None, [True]],
    "object": ["x", 1, True, None, ["a"]],
    "array": ["x", 1, True, None, {"a": 1}],
}


def _pointer(parts):
    return "/0" + "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def _set(conn, parts, value):
    node = conn
    for part in parts[:-1]:
        node = node[part]
    node[parts[-1]] = value


def _get(conn, parts):
    node = conn
    for part in parts:
        node = node[part]
    return node


def _nest(depth, leaf, as_list):
    value = leaf
    for _i in range(depth):
        value = [value] if as_list else {"x": value}
    return value


@st.composite
def mutation(draw):
    """One defect: (kind, path, function that applies it, rules that may report it)."""
    kind = draw(st.sampled_from(["type", "bounds", "unknown", "control", "invisible", "huge", "nesting",
                                 "missing", "enum"]))
    if kind == "type":
        path, schema = draw(st.sampled_from(LEAVES))
        value = draw(st.sampled_from(WRONG[schema["type"]]))
        return kind, path, lambda c: _set(c, path, copy.deepcopy(value)), {"SMTP003"}
    if kind == "bounds":
        path, schema = draw(st.sampled_from(NUMBERS))
        low, high = schema.get("minimum", 0), schema.get("maximum", 10 ** 6)
        value = draw(st.one_of(st.integers(high + 1, high + 10 ** 40), st.integers(-10 ** 40, low - 1),
                               st.sampled_from([float("inf"), float("-inf"), float("nan")])))
        if schema["type"] == "integer" and isinstance(value, float):
            value = high + 1
        return kind, path, lambda c: _set(c, path, value), {"SMTP004", "SMTP003"}
    if kind == "unknown":
        level = draw(st.sampled_from(OBJECTS))
        key = draw(st.text(min_size=1, max_size=40))
        names = CONNECTOR_SCHEMA if not level else _schema_at(level)
        key = key if key not in names.get("properties", {}) else key + "_unknown"
        value = draw(st.sampled_from(["x", 1, None, SENTINEL + "-misplaced", {"deep": [1]}]))
        return kind, level + (key,), lambda c: _get(c, level).__setitem__(key, value), {"SMTP001"}
    if kind in ("control", "invisible"):
        choices = STRINGS if kind == "control" else [(p, s) for p, s in STRINGS if p != ("auth", "password")]
        path, _schema = draw(st.sampled_from(choices))
        char = draw(st.sampled_from(CONTROLS if kind == "control" else INVISIBLES))
        where = draw(st.sampled_from(["start", "middle", "end"]))

        def inject(conn, path=path, char=char, where=where):
            text = _get(conn, path)
            pos = {"start": 0, "middle": len(text) // 2, "end": len(text)}[where]
            _set(conn, path, text[:pos] + char + text[pos:])
        return kind, path, inject, {"SMTP105"} if kind == "control" else {"SMTP117"}
    if kind == "huge":
        path, schema = draw(st.sampled_from(STRINGS + NUMBERS))
        size = draw(st.integers(5000, 200000))
        if schema["type"] == "string":
            return kind, path, lambda c: _set(c, path, _get(c, path) + "a" * size), \
                {"SMTP004", "SMTP005", "SMTP006", "SMTP104", "SMTP110", "SMTP111"}
        return kind, path, lambda c: _set(c, path, 10 ** size // 10 ** (size - 400)), {"SMTP004"}
    if kind == "nesting":
        path, _schema = draw(st.sampled_from(LEAVES))
        depth = draw(st.integers(2, 400))
        as_list = draw(st.booleans())
        # A nested mapping where an object belongs is an unknown key inside it (SMTP001).
        return kind, path, lambda c: _set(c, path, _nest(depth, "x", as_list)), {"SMTP003", "SMTP001"}
    if kind == "missing":
        path = draw(st.sampled_from(REQUIRED))
        return kind, path, lambda c: _get(c, path[:-1]).pop(path[-1]), {"SMTP002"}
    path, value, rules = draw(st.sampled_from([
        (("security",), "ssl", {"SMTP005"}), (("starttls",), "yes", {"SMTP005"}),
        (("tls", "min_version"), "1.0", {"SMTP005"}), (("tls", "min_version"), 1.2, {"SMTP003"}),
        (("auth", "mechanisms", 0), "XOAUTH2", {"SMTP005"}), (("host",), "smtp example.org", {"SMTP006"}),
        (("name",), "District Relay", {"SMTP006"}), (("tls", "ca_file"), "relative/ca.pem", {"SMTP006"}),
        (("webhook_url",), "ftp://hooks.example.org/", {"SMTP006"}), (("senders", "default"), "nobody", {"SMTP104"}),
        (("test", "sender"), "Default", {"SMTP006"}), (("test", "to", 0), "x", {"SMTP004", "SMTP110"}),
    ]))
    return "enum", path, lambda c: _set(c, path, value), rules


def _schema_at(parts):
    schema = CONNECTOR_SCHEMA
    for part in parts:
        schema = schema["properties"][part]
    return schema


@st.composite
def hostile_connectors(draw):
    """A connector with one to three defects, each in a different top-level field."""
    conn = full_connector()
    applied, used = [], set()
    for kind, path, apply_it, rules in draw(st.lists(mutation(), min_size=1, max_size=3)):
        top = path[0] if path else None
        if top in used or (kind == "unknown" and len(path) == 1 and "<top>" in used):
            continue
        used.add(top if len(path) > 1 or kind != "unknown" else "<top>")
        if kind != "unknown":
            used.add(top)
        apply_it(conn)
        applied.append((kind, path, rules))
    return conn, applied


class _Connections:
    """Every TCP or UDP connection attempt made in this process while active."""

    def __init__(self):
        self.attempts = []
        self._saved = {}

    def __enter__(self):
        for name in ("connect", "connect_ex", "sendto"):
            original = getattr(socket.socket, name)
            self._saved[name] = original

            def spy(sock, *args, _original=original, _name=name):
                if sock.family in (socket.AF_INET, socket.AF_INET6):
                    self.attempts.append((_name, args[-1]))
                return _original(sock, *args)
            setattr(socket.socket, name, spy)
        return self

    def __exit__(self, *exc):
        for name, original in self._saved.items():
            setattr(socket.socket, name, original)


@pytest.fixture(scope="module")
def listener():
    """A listening socket of our own: a check module that connects would show up in its backlog."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(50)
    yield sock
    sock.close()


def _nothing_accepted(sock):
    readable, _w, _x = select.select([sock], [], [], 0)
    return not readable


# --------------------------------------------------------------------------- the property


def test_hostile_connectors_are_refused_at_every_door(tmp_path_factory, listener):
    port = listener.getsockname()[1]
    tried = []

    @settings(max_examples=1000, deadline=None, derandomize=True,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(case=hostile_connectors(), fmt=st.sampled_from(FORMATS), check=st.sampled_from(sorted(CHECK_MODULES)))
    def check(case, fmt, check):
        conn, applied = case
        if conn.get("port") == 2525:
            conn["port"] = port
        tried.append(1)

        # validate (both schema engines): every defect named with rule and pointer, nothing raised.
        results = {engine: validate_connectors([conn], engine=engine) for engine in ("jsonschema", "builtin")}
        js, builtin = results["jsonschema"], results["builtin"]
        found = sorted((e["rule"], e["path"]) for e in js["errors"])
        assert found == sorted((e["rule"], e["path"]) for e in builtin["errors"])
        assert not js["valid"]
        for kind, path, rules in applied:
            where = _pointer(path)
            hits = [rule for rule, at in found if at == where or (kind == "nesting" and at.startswith(where + "/"))]
            assert set(hits) & rules, (kind, where, rules, found)
        for item in js["errors"] + js["warnings"]:
            assert item["rule"] in RULES and item["path"].startswith("/0") and item["message"]
        assert SENTINEL not in json.dumps(js)

        # The connector module, without the action plugin: refused, nothing written.
        work = tmp_path_factory.mktemp("door")
        target = str(work) if fmt == "postfix" else str(work / "smtp.conf")
        result, text = run_module(connector_module, {"format": fmt, "path": target, "config": [conn],
                                                     "postmap": False, "postfix_check": False})
        assert result.get("failed") is True and result.get("msg"), text[:2000]
        assert "Traceback" not in text and SENTINEL not in text
        assert os.listdir(str(work)) == []

        # A check module: refused before any connection.
        with _Connections() as spy:
            result, text = run_module(CHECK_MODULES[check], {"connectors": [conn]})
        assert result.get("failed") is True and result.get("msg"), text[:2000]
        assert "Traceback" not in text and SENTINEL not in text
        assert spy.attempts == [], spy.attempts
        assert _nothing_accepted(listener)

    check()  # pylint: disable=no-value-for-parameter
    print("hostile connectors tried: %d" % len(tried), file=sys.stderr)
    assert len(tried) >= 1000


def test_the_full_connector_is_valid_and_reaches_the_server(listener):
    """The base of every hostile case is valid, and a check module given it does connect: the spy works."""
    conn = full_connector(listener.getsockname()[1])
    conn["security"] = "none"
    conn.pop("starttls")
    conn.pop("tls")
    conn["timeout"] = 1
    assert validate_connectors([conn])["errors"] == []
    assert door_check([conn], "connectors") is None
    with _Connections() as spy:
        run_module(probe, {"connectors": [conn], "retries": 0})
    assert spy.attempts
    assert not _nothing_accepted(listener)
    # A silent server gets three connections before the verdict: the probe's own, then two fresh ones that
    # look for a clear-text greeting and for a TLS handshake. Take them all, so that the later tests of
    # this module start from an empty backlog.
    while not _nothing_accepted(listener):
        accepted, _addr = listener.accept()
        accepted.close()


# --------------------------------------------------------------------------- patterns: ECMA-262 `$`


@pytest.mark.parametrize("field, value", [
    ("host", "smtp.example.org\n"),
    ("name", "district-relay\n"),
    ("webhook_url", "https://hooks.example.org/x\n"),
    ("suppressions_file", "/etc/mailer/s.txt\n"),
])
def test_schema_patterns_refuse_a_trailing_newline(field, value):
    """The schema alone (no character rule) refuses a final newline, as ECMA-262 does."""
    conn = full_connector()
    conn[field] = value
    for engine in ("jsonschema", "builtin"):
        found = {(f["rule"], f["path"]) for f in _schema_findings(conn, 0, "x", engine)}
        assert ("SMTP006", "/0/" + field) in found


@pytest.mark.parametrize("pattern, text, matches", [
    ("^[a-z]+$", "abc", True),
    ("^[a-z]+$", "abc\n", False),
    ("^[$a-z]+$", "a$b", True),
    (r"^a\$$", "a$", True),
    (r"^[^\]$]+$", "ab", True),
    (r"^[^\]$]+$", "a$", False),
    ("^[]a]+$", "]a", True),
])
def test_ecma_regex(pattern, text, matches):
    assert bool(ecma_regex(pattern).search(text)) is matches


def test_mailbox_grammar_is_anchored_at_the_very_end():
    from ansible_collections.mailops.smtp.plugins.module_utils import _rules
    assert _rules._ADDR_SPEC.match("a@example.org")
    assert _rules._ADDR_SPEC.match("a@example.org\n") is None
    assert _rules._PHRASE.match("Example District\n") is None
    with pytest.raises(ValueError):
        parse_mailbox("Example\n District <a@example.org>")


def test_formats_quote_a_value_with_a_trailing_newline():
    """A key/value format writes such a value quoted and escaped, never as a second line."""
    assert _common.maybe_quote("smtp.example.org") == "smtp.example.org"
    assert _common.maybe_quote("smtp.example.org\n") == '"smtp.example.org\\n"'
    assert _common.key_path("senders.portal\n") is None


def test_door_message_names_rule_and_pointer_and_hides_the_password():
    conn = full_connector()
    conn["host"] = "smtp.example.org\n"
    conn["auth"]["password"] = SENTINEL + "\n"
    message = door_check([conn], "config")
    assert "SMTP105" in message and "/config/0/host" in message and "/config/0/auth/password" in message
    assert SENTINEL not in message


@pytest.mark.parametrize("recipient", ["inbox@example.org\r\nBcc: x@example.net", "\u202eorg.example@inbox",
                                       "Inbox <inbox@example.org>", "inbox@example.org\n", "no-at-sign"])
def test_test_send_refuses_hostile_recipients_before_connecting(listener, recipient):
    conn = full_connector(listener.getsockname()[1])
    with _Connections() as spy:
        result, text = run_module(test_send, {"connectors": [conn], "to": ["ok@example.org", recipient],
                                              "send": "always"})
    assert result["failed"] is True and "/to/1" in result["msg"], text
    assert spy.attempts == [] and _nothing_accepted(listener)
