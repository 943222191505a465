# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The capability matrix: one declaration per format, from which validation and docs derive."""

from __future__ import annotations

import copy
import importlib.util
import json
from pathlib import Path

import pytest

from ansible_collections.mailops.smtp.plugins.module_utils import _apply, _formats
from ansible_collections.mailops.smtp.plugins.module_utils._format_rules import validate_connectors
from ansible_collections.mailops.smtp.plugins.module_utils._formats import _base
from ansible_collections.mailops.smtp.plugins.module_utils._schema_data import CONNECTOR_SCHEMA
from ansible_collections.mailops.smtp.tests.unit.plugins.hosts import NoHost

ROOT = Path(__file__).resolve().parents[4]
BASE = {"name": "relay", "host": "smtp.example.org", "port": 587,
        "auth": {"username": "mailer@example.org", "password": "Cap-S3cret"},
        "senders": {"default": "noreply@example.org"}}

# A connector that asks for each capability (and the field that asks).
ASKS = {
    "implicit_tls": ({"security": "tls", "port": 465}, "/0/security"),
    "starttls_required": ({"starttls": "required"}, "/0/starttls"),
    "starttls_opportunistic": ({"starttls": "opportunistic", "allow_plaintext_auth": True}, "/0/starttls"),
    "verify_on": ({"tls": {"verify": True}}, "/0/tls/verify"),
    "verify_off": ({"tls": {"verify": False}}, "/0/tls/verify"),
    "ca_file": ({"tls": {"ca_file": "/etc/ssl/private-ca.pem"}}, "/0/tls/ca_file"),
    "min_tls_version": ({"tls": {"min_version": "1.3"}}, "/0/tls/min_version"),
    "auth_mechanisms": ({"auth": dict(BASE["auth"], mechanisms=["PLAIN"])}, "/0/auth/mechanisms"),
    "envelope_sender": ({}, "/0/senders/default"),
}
RULE = {("weaker", False): "SMTP120", ("weaker", True): "SMTP121", ("stricter", False): "SMTP122",
        ("stricter", True): "SMTP122", ("refused", False): "SMTP123", ("refused", True): "SMTP123"}

LACKS = [(name, cap) for name, fmt in sorted(_formats.FORMATS.items()) for cap, value in fmt.capabilities.items()
         if value is not True and cap != "multiple_connectors"]


def asking(capability, accept=False):
    conn = copy.deepcopy(BASE)
    conn.update(copy.deepcopy(ASKS[capability][0]))
    if accept:
        conn["accept_weaker"] = [capability]
    return conn


def findings(result):
    return [(f["rule"], f["path"]) for f in result["errors"] + result["warnings"]]


def test_every_capability_has_a_connector_that_asks_for_it():
    assert sorted(ASKS) == sorted(_base.CONNECTOR_CAPABILITIES)
    for capability, (_settings, where) in ASKS.items():
        conn = _apply._common.canonical(asking(capability))
        assert (capability, tuple(where.split("/")[2:])) in _base.demands(conn)


def test_accept_weaker_lists_exactly_the_connector_capabilities():
    enum = CONNECTOR_SCHEMA["properties"]["accept_weaker"]["items"]["enum"]
    assert enum == list(_base.CONNECTOR_CAPABILITIES)


def test_generic_formats_express_everything():
    for name in ("env", "json", "yaml", "ini", "template"):
        assert _formats.FORMATS[name].capabilities == _base.EVERYTHING


@pytest.mark.skipif(not LACKS, reason="no format lacks a capability")
@pytest.mark.parametrize("fmt,capability", LACKS, ids=["%s-%s" % pair for pair in LACKS])
@pytest.mark.parametrize("accept", [False, True], ids=["declared", "accepted"])
def test_a_lacking_capability_is_found_where_it_is_asked(fmt, capability, accept):
    lack = _formats.FORMATS[fmt].capabilities[capability]
    result = validate_connectors([asking(capability, accept)], fmt=fmt)
    rule = RULE[(lack.effect, accept)]
    assert (rule, ASKS[capability][1]) in findings(result)
    found = [f for f in result["errors"] + result["warnings"] if f["rule"] == rule]
    assert any("format %s" % fmt in f["message"] and lack.instead in f["message"] for f in found)
    # Without the format, the same connector draws no capability finding.
    assert not [r for r, _p in findings(validate_connectors([asking(capability, accept)])) if r.startswith("SMTP12")]


@pytest.mark.parametrize("fmt", sorted(n for n, f in _formats.FORMATS.items()
                                       if f.capabilities["multiple_connectors"] is not True))
def test_a_format_for_one_connector_refuses_two(fmt):
    second = dict(copy.deepcopy(BASE), name="second")
    result = validate_connectors([copy.deepcopy(BASE), second], fmt=fmt)
    assert ("SMTP123", "/1") in findings(result)


def test_the_module_refuses_what_the_program_cannot_enforce(tmp_path):
    # Called directly, without the action plugin in front: refused, and nothing is written.
    path = tmp_path / "mail.properties"
    params = dict(config=[asking("ca_file")], format="javamail", path=str(path), state="replaced", lock_timeout=5)
    with pytest.raises(_base.ApplyError) as err:
        _apply.run(params, host=None)
    assert "SMTP120 relay /0/tls/ca_file" in str(err.value) and "trust store" in str(err.value)
    assert not path.exists() and "Cap-S3cret" not in str(err.value)
    with pytest.raises(_base.ApplyError, match="SMTP120"):
        _apply.run(dict(params, state="rendered"), host=None)


def test_an_accepted_downgrade_warns_on_every_run(tmp_path):
    path = tmp_path / "mail.properties"
    params = dict(config=[asking("ca_file", accept=True)], format="javamail", path=str(path), state="replaced",
                  lock_timeout=5)
    first = _apply.run(params, host=NoHost())
    second = _apply.run(params, host=NoHost())
    assert first["changed"] is True and second["changed"] is False
    for result in (first, second):
        assert [w for w in result["warnings"] if w.startswith("SMTP121 relay /0/tls/ca_file: format javamail")]
    gathered = _apply.run(dict(params, state="gathered"), host=NoHost())["gathered"]
    assert gathered[0]["accept_weaker"] == ["ca_file"]


def test_stricter_is_a_warning_and_is_written(tmp_path):
    path = tmp_path / "msmtprc"
    params = dict(config=[asking("starttls_opportunistic")], format="msmtp", path=str(path), state="replaced",
                  lock_timeout=5)
    result = _apply.run(params, host=NoHost())
    assert result["changed"] is True and "tls_starttls on" in path.read_text()
    assert [w for w in result["warnings"] if w.startswith("SMTP122 relay /0/starttls: format msmtp enforces more")]


def test_the_matrix_in_the_docs_is_current():
    spec = importlib.util.spec_from_file_location("capability_matrix", str(ROOT / "tools" / "capability_matrix.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    current = (ROOT / "docs" / "formats.md").read_text(encoding="utf-8")
    assert module.render_doc(current) == current, "docs/formats.md is stale: run python tools/sync_schema.py"
    table = current.split(module.BEGIN, 1)[1]
    for name in _formats.FORMATS:
        assert "| `%s` |" % name in table


def test_findings_never_carry_the_password():
    result = validate_connectors([asking("ca_file")], fmt="javamail")
    assert "Cap-S3cret" not in json.dumps(result)
