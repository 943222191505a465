# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import copy
import json
import os
import re

import pytest
import yaml

from ansible_collections.mailops.smtp.plugins.module_utils._format_rules import validate_connectors
from ansible_collections.mailops.smtp.plugins.module_utils._rules import RULES, parse_mailbox
from ansible_collections.mailops.smtp.plugins.module_utils._validate import format_findings

HERE = os.path.dirname(__file__)
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", "..", ".."))
CORPUS = yaml.safe_load(open(os.path.join(HERE, "fixtures", "invalid_connectors.yml"), encoding="utf-8"))
PASSWORD = CORPUS["base"]["auth"]["password"]


def _apply(base, sets, unsets):
    conn = copy.deepcopy(base)
    for dotted, value in (sets or {}).items():
        node = conn
        parts = dotted.split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    for dotted in unsets or []:
        node = conn
        parts = dotted.split(".")
        for part in parts[:-1]:
            node = node[part]
        del node[parts[-1]]
    return conn


def _connectors(case):
    if "connectors" in case:
        return case["connectors"]
    if "connectors_from_base" in case:
        return [copy.deepcopy(CORPUS["base"]) for _copy in range(case["connectors_from_base"])]
    return [_apply(CORPUS["base"], case.get("set"), case.get("unset"))]


def test_base_is_valid():
    result = validate_connectors([CORPUS["base"]])
    assert result == {"valid": True, "errors": [], "warnings": []}


def test_corpus_has_at_least_40_invalid_definitions():
    invalid = [c for c in CORPUS["cases"] if c["errors"]]
    assert len(invalid) >= 40


@pytest.mark.parametrize("engine", ["jsonschema", "builtin"])
@pytest.mark.parametrize("case", CORPUS["cases"], ids=[c["id"] for c in CORPUS["cases"]])
def test_corpus_case(case, engine):
    result = validate_connectors(_connectors(case), case.get("forbidden"), case.get("format"), engine=engine)
    got_errors = sorted((e["rule"], e["path"]) for e in result["errors"])
    want_errors = sorted(tuple(e) for e in case["errors"])
    if case.get("exact", True):
        assert got_errors == want_errors, json.dumps(result, indent=1)
    else:
        assert set(want_errors) <= set(got_errors), json.dumps(result, indent=1)
    got_warnings = {(w["rule"], w["path"]) for w in result["warnings"]}
    assert {tuple(w) for w in case.get("warnings", [])} <= got_warnings, json.dumps(result, indent=1)
    assert result["valid"] is (not want_errors)
    for item in result["errors"] + result["warnings"]:
        assert item["rule"] in RULES
        assert item["severity"] == RULES[item["rule"]][0] or item["rule"] == "SMTP107"
        assert item["message"] and item["connector"]
        assert PASSWORD not in json.dumps(item)


def test_all_problems_reported_in_one_run():
    conns = [_apply(CORPUS["base"], {"port": 0}, None),
             _apply(CORPUS["base"], {"name": "second", "security": "ssl"}, None),
             _apply(CORPUS["base"], {"name": "third", "senders.default": "x"}, None)]
    result = validate_connectors(conns)
    assert {e["connector"] for e in result["errors"]} == {"district-relay", "second", "third"}


@pytest.mark.parametrize("where", ["auth.password", "auth.username", "unknown_field", "tls.mystery"])
@pytest.mark.parametrize("value", ["hunter2-\r\nsecret-value", 123456789, ["hunter2-secret-value"]])
def test_invalid_secret_never_echoed(where, value):
    if where == "auth.password":
        conn = _apply(CORPUS["base"], {where: value}, None)
        secret = value
    else:
        conn = _apply(CORPUS["base"], {where: value, "auth.password": "also-a-Secret-123"}, None)
        secret = value if where != "auth.username" else "also-a-Secret-123"
    result = validate_connectors([conn])
    text = json.dumps(result) + "\n".join(format_findings(result))
    needles = [secret] if not isinstance(secret, list) else secret
    for needle in needles:
        assert str(needle) not in text
        assert repr(needle) not in text


def test_password_too_long_is_not_echoed():
    conn = _apply(CORPUS["base"], {"auth.password": "Z" * 5000}, None)
    result = validate_connectors([conn])
    assert [(e["rule"], e["path"]) for e in result["errors"]] == [("SMTP004", "/0/auth/password")]
    assert "ZZZZ" not in json.dumps(result)
    assert "value hidden" in result["errors"][0]["message"]


def test_messages_name_the_field_and_what_is_valid():
    result = validate_connectors([_apply(CORPUS["base"], {"port": 70000, "security": "ssl"}, None)])
    messages = {e["path"]: e["message"] for e in result["errors"]}
    assert "port must be an integer from 1 to 65535" in messages["/0/port"]
    assert "70000" in messages["/0/port"]
    assert "none, starttls, tls" in messages["/0/security"]


def _example_connectors():
    """Every host's smtp_connectors in examples/inventories, with the inventory's variables templated."""
    from ansible.inventory.manager import InventoryManager
    from ansible.parsing.dataloader import DataLoader
    from ansible.template import Templar
    from ansible.vars.manager import VariableManager

    found = []
    for env in ("staging", "production"):
        loader = DataLoader()
        inventory = InventoryManager(loader=loader, sources=[os.path.join(ROOT, "examples", "inventories", env)])
        manager = VariableManager(loader=loader, inventory=inventory)
        for host in inventory.get_hosts():
            hostvars = manager.get_vars(host=host)
            templar = Templar(loader=loader, variables=hostvars)
            conns = templar.template(hostvars["smtp_connectors"])
            found.append((env, host.name, conns, hostvars.get("smtp_forbidden_sender_domains")))
    return found


def test_every_example_connector_is_valid():
    examples = _example_connectors()
    assert len(examples) == 10
    for env, host, conns, forbidden in examples:
        result = validate_connectors(conns, forbidden)
        assert result["valid"], (env, host, result["errors"])
        assert result["warnings"] == [], (env, host, result["warnings"])


def test_every_rule_is_documented():
    text = open(os.path.join(ROOT, "docs", "rules.md"), encoding="utf-8").read()
    documented = dict(re.findall(r"^### (SMTP\d{3}): (.+)$", text, re.M))
    assert documented == {rule: title for rule, (_sev, title) in RULES.items()}


@pytest.mark.parametrize("mailbox, domain", [
    ("noreply@example.org", "example.org"),
    ('"Example District" <noreply@example.org>', "example.org"),
    ("Example District <noreply@example.org>", "example.org"),
    ("John Q. Public <john.q.public@example.org>", "example.org"),
    ('"quoted local"@example.org', "example.org"),
    ("user+tag@sub.example.org", "sub.example.org"),
    ("postmaster@[192.0.2.1]", "[192.0.2.1]"),
    ("jörg@bücher.example", "bücher.example"),
])
def test_parse_mailbox_accepts(mailbox, domain):
    assert parse_mailbox(mailbox)[2] == domain


@pytest.mark.parametrize("mailbox", [
    "", "plain", "a@", "@example.org", "a@@example.org", "a b@example.org", "a..b@example.org",
    ".a@example.org", "Name, Inc <a@example.org>", "<a@example.org", "a@example..org", "a@-example.org",
    "x" * 65 + "@example.org",
])
def test_parse_mailbox_rejects(mailbox):
    with pytest.raises(ValueError):
        parse_mailbox(mailbox)


def test_address_character_classes_are_the_rfc_sets_on_every_code_point():
    """The classes name what they leave out; they hold exactly RFC 5322 atext (or a DNS label's
    letters, digits and hyphen) plus every non-ASCII character (RFC 6532), surrogates included."""
    # pylint: disable-next=import-outside-toplevel
    from ansible_collections.mailops.smtp.plugins.module_utils._rules import _ALNUM, _ALNUM_HYPHEN, _ATEXT

    alnum = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
    atext = alnum | set("!#$%&'*+-/=?^_`{|}~")  # RFC 5322 section 3.2.3
    every = "".join(chr(code) for code in range(0x110000))
    for pattern, ascii_members in ((_ATEXT, atext), (_ALNUM, alnum), (_ALNUM_HYPHEN, alnum | {"-"})):
        matched = set(re.findall(pattern, every))
        assert {c for c in matched if ord(c) < 0x80} == ascii_members, pattern
        assert len(matched) == len(ascii_members) + 0x110000 - 0x80, pattern


@pytest.mark.parametrize("hostile", [None, 42, "text", [[]], [None], [{}], [{"name": None, "senders": None}],
                                     [{"name": "a", "host": "h", "senders": {"default": 5}, "test": {"to": [None]}}],
                                     [{"name": "a" * 500}], [{"auth": {"username": 7, "password": None}}]])
def test_hostile_shapes_give_findings_not_exceptions(hostile):
    result = validate_connectors(hostile)
    assert result["valid"] is False
    assert all(e["path"] == "" or e["path"].startswith("/") for e in result["errors"])
