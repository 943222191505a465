# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Format grafana: [smtp] in grafana.ini and the GF_SMTP_* environment form (golden checks).

Grafana is not packaged here, so the keys are checked against its documentation and source:
- keys and the triple-quote rule: https://grafana.com/docs/grafana/latest/setup-grafana/configure-grafana/#smtp
  and conf/sample.ini (the [smtp] section the fixture copies, shipped as /etc/grafana/grafana.ini);
- GF_<SECTION>_<KEY> environment overrides:
  https://grafana.com/docs/grafana/latest/setup-grafana/configure-grafana/#override-configuration-with-environment-variables
- startTLS_policy values (NoStartTLS, MandatoryStartTLS, anything else = OpportunisticStartTLS) and
  implicit TLS exactly on port 465: getStartTLSPolicy() in pkg/services/notifications/smtp.go and
  NewDialer() (SSL: port == 465) in github.com/go-mail/mail;
- value expansion ($__env{..}, $__file{..}, ${..}): pkg/setting/expanders.go.
"""

from __future__ import annotations

import os

import pytest

from ansible_collections.mailops.smtp.plugins.module_utils import _formats
from ansible_collections.mailops.smtp.plugins.module_utils._formats import _common, _goini, grafana

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures")
INI = {"path": "/etc/grafana/grafana.ini"}
ENV = {"path": "/srv/grafana/grafana.env"}

RELAY = {
    "name": "grafana",
    "host": "smtp.example.org",
    "port": 587,
    "starttls": "required",
    "auth": {"username": "grafana@example.org", "password": "p#ss;word \"q\""},
    "senders": {"default": '"Example Grafana" <grafana@example.org>'},
}


def fixture(name):
    with open(os.path.join(FIXTURES, name)) as handle:
        return handle.read()


def smtp_section(text):
    """[smtp] as go-ini reads it: key -> value (triple quotes and inline comments handled)."""
    values = {}
    section = None
    for line in text.split("\n"):
        if line.startswith("["):
            section = line.strip()[1:-1]
            continue
        if section == "smtp" and line.strip() and line.strip()[0] not in "#;":
            key, _sep, raw = line.partition("=")
            values[key.strip()] = _goini.decode(raw)
    return values


def test_ini_keys_grafana_documents():
    values = smtp_section(_formats.render("grafana", [RELAY], None, INI))
    assert values == {
        "enabled": "true",
        "host": "smtp.example.org:587",
        "user": "grafana@example.org",
        "password": "p#ss;word \"q\"",
        "skip_verify": "false",
        "from_address": "grafana@example.org",
        "from_name": "Example Grafana",
        "startTLS_policy": "MandatoryStartTLS",
    }


def test_password_with_hash_or_semicolon_is_triple_quoted_as_grafana_documents():
    text = _formats.render("grafana", [RELAY], None, INI)
    assert 'password = """p#ss;word "q\""""' in text


@pytest.mark.parametrize("change, policy", [
    ({"starttls": "opportunistic"}, "OpportunisticStartTLS"),
    ({"security": "none", "auth": None}, "NoStartTLS"),
])
def test_starttls_policies(change, policy):
    conn = dict((k, v) for k, v in dict(RELAY, **change).items() if v is not None)
    assert smtp_section(_formats.render("grafana", [conn], None, INI))["startTLS_policy"] == policy


def test_implicit_tls_is_port_465_and_other_ports_are_refused():
    conn = dict(RELAY, security="tls", port=465)
    values = smtp_section(_formats.render("grafana", [conn], None, INI))
    assert values["host"] == "smtp.example.org:465" and "startTLS_policy" not in values
    with pytest.raises(_common.FormatError) as err:
        _formats.render("grafana", [dict(RELAY, security="tls", port=4650)], None, INI)
    assert err.value.path == ("port",) and "465" in str(err.value)
    with pytest.raises(_common.FormatError):
        _formats.render("grafana", [dict(RELAY, port=465)], None, INI)


def test_unknown_policy_reads_as_opportunistic():
    conns = _formats.parse("grafana", "[smtp]\nhost = h.example.org:25\nstartTLS_policy = Mandatory\n", INI)
    assert conns[0]["security"] == "starttls" and conns[0]["starttls"] == "opportunistic"
    conns = _formats.parse("grafana", "[smtp]\nhost = h.example.org:25\n", INI)
    assert conns[0]["starttls"] == "opportunistic"


def test_ipv6_host_in_brackets():
    text = _formats.render("grafana", [dict(RELAY, host="2001:db8::25")], None, INI)
    assert smtp_section(text)["host"] == "[2001:db8::25]:587"
    assert _formats.parse("grafana", text, INI)[0]["host"] == "2001:db8::25"


def test_shipped_sample_ini_read_and_kept():
    current = fixture("grafana.ini")
    conn = _formats.parse("grafana", current, INI)[0]
    assert conn["host"] == "smtp.example.org" and conn["port"] == 587
    assert conn["security"] == "starttls" and conn["starttls"] == "opportunistic"
    assert conn["auth"] == {"username": "grafana@example.org", "password": "#pass;word"}
    assert conn["senders"]["default"] == '"Example Grafana" <grafana@example.org>'
    text = _formats.render("grafana", [RELAY], current, INI)
    for line in current.splitlines():
        if line.startswith(";") or line.startswith("#") or line.startswith("["):
            assert line in text.splitlines(), line
    assert "http_port = 3000" in text and "[smtp.static_headers]" in text
    # Managed keys replaced in place: host stays after its commented default, before [emails].
    assert text.index(";host = localhost:25") < text.index("host = smtp.example.org:587") < text.index("[emails]")
    assert text.count("\npassword = ") == 1
    assert _formats.parse("grafana", text, INI) == [_common.canonical(RELAY)]
    assert _formats.render("grafana", [RELAY], text, INI) == text


def test_section_added_when_missing():
    text = _formats.render("grafana", [RELAY], "[server]\nhttp_port = 3000\n", INI)
    assert text.index("[server]") < text.index("[smtp]")
    assert _formats.parse("grafana", text, INI) == [_common.canonical(RELAY)]


def test_env_form():
    current = fixture("grafana.env")
    conn = _formats.parse("grafana", current, ENV)[0]
    assert conn["security"] == "tls" and conn["port"] == 465
    assert conn["auth"]["password"] == "s3cret; #not a comment"
    text = _formats.render("grafana", [RELAY], current, ENV)
    assert "GF_SECURITY_ADMIN_USER=admin\n" in text and "GF_SERVER_ROOT_URL=https://grafana.example.org/\n" in text
    assert "GF_SMTP_STARTTLS_POLICY=MandatoryStartTLS\n" in text
    assert "GF_SMTP_HOST=smtp.example.org:587\n" in text
    assert _formats.parse("grafana", text, ENV) == [_common.canonical(RELAY)]


@pytest.mark.parametrize("password", ["$__file{/etc/shadow}", "${HOME}", "a$__env{X}b"])
@pytest.mark.parametrize("options", [INI, ENV])
def test_values_grafana_would_expand_are_refused(password, options):
    conn = dict(RELAY, auth={"username": "grafana@example.org", "password": password})
    with pytest.raises(_common.FormatError) as err:
        _formats.render("grafana", [conn], None, options)
    assert err.value.path == ("auth", "password") and "/auth/password" in str(err.value)
    assert password not in str(err.value)


@pytest.mark.parametrize("password", ["x\n[server]\nhttp_port = 1", "x\rhost = evil:25"])
def test_line_breaks_are_refused(password):
    conn = dict(RELAY, auth={"username": "grafana@example.org", "password": password})
    with pytest.raises(_common.FormatError) as err:
        _formats.render("grafana", [conn], None, INI)
    assert err.value.path == ("auth", "password")


@pytest.mark.parametrize("password", ['"""', 'a"""b', '`x`', "'q'", "x\\", " lead", "; c", "[smtp]", "x\u2028y"])
def test_hostile_values_stay_one_value(password):
    conn = dict(RELAY, auth={"username": "grafana@example.org", "password": password})
    text = _formats.render("grafana", [conn], None, INI)
    assert smtp_section(text)["password"] == password
    assert set(smtp_section(text)) == set(grafana.NATIVE_KEYS)
    assert _formats.parse("grafana", text, INI)[0]["auth"]["password"] == password
