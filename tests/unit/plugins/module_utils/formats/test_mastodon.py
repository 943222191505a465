# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Format mastodon: SMTP_* in .env.production (golden checks).

Keys: https://docs.joinmastodon.org/admin/config/#smtp (SMTP_SERVER, SMTP_PORT, SMTP_LOGIN,
SMTP_PASSWORD, SMTP_FROM_ADDRESS, SMTP_AUTH_METHOD, SMTP_CA_FILE, SMTP_OPENSSL_VERIFY_MODE,
SMTP_ENABLE_STARTTLS auto/always/never, SMTP_TLS, SMTP_SSL, SMTP_DELIVERY_METHOD) and how
config/environments/production.rb turns them into the mailer settings. The fixture is a
.env.production as 'rake mastodon:setup' writes it. The real dotenv gem reads the written file
in the connector_app_files integration target.
"""

from __future__ import annotations

import os

import pytest

from ansible_collections.mailops.smtp.plugins.module_utils import _formats
from ansible_collections.mailops.smtp.plugins.module_utils._formats import _common, _native, mastodon

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures")

RELAY = {
    "name": "social",
    "host": "smtp.example.org",
    "port": 587,
    "starttls": "required",
    "tls": {"ca_file": "/etc/ssl/relay-ca.pem"},
    "auth": {"username": "mastodon@example.org", "password": "$(id) ${HOME} $HOME \\n # \"q\"", "mechanisms": ["LOGIN"]},
    "senders": {"default": "Mastodon <notifications@social.example.org>"},
}


def fixture(name):
    with open(os.path.join(FIXTURES, name)) as handle:
        return handle.read()


def variables(text):
    out = {}
    for number, line in enumerate(text.split("\n"), 1):
        match = _native.ENV_ASSIGN.match(line)
        if match:
            out[match.group("key")] = mastodon.read_value(match.group("val"), match.group("key"), number)
    return out


def test_variables_mastodon_documents():
    assert variables(_formats.render("mastodon", [RELAY])) == {
        "SMTP_DELIVERY_METHOD": "smtp",
        "SMTP_SERVER": "smtp.example.org",
        "SMTP_PORT": "587",
        "SMTP_LOGIN": "mastodon@example.org",
        "SMTP_PASSWORD": "$(id) ${HOME} $HOME \\n # \"q\"",
        "SMTP_AUTH_METHOD": "login",
        "SMTP_ENABLE_STARTTLS": "always",
        "SMTP_TLS": "false",
        "SMTP_OPENSSL_VERIFY_MODE": "peer",
        "SMTP_CA_FILE": "/etc/ssl/relay-ca.pem",
        "SMTP_FROM_ADDRESS": "Mastodon <notifications@social.example.org>",
    }


def test_values_are_single_quoted_so_dotenv_expands_nothing():
    assert "SMTP_PASSWORD='$(id) ${HOME} $HOME \\n # \"q\"'\n" in _formats.render("mastodon", [RELAY])


@pytest.mark.parametrize("change, starttls, tls", [
    ({"starttls": "opportunistic"}, "auto", "false"),
    ({"security": "tls", "port": 465}, "never", "true"),
    ({"security": "none", "port": 25, "auth": None}, "never", "false"),
])
def test_tls_modes(change, starttls, tls):
    conn = dict((k, v) for k, v in dict(RELAY, **change).items() if v is not None)
    values = variables(_formats.render("mastodon", [conn]))
    assert (values["SMTP_ENABLE_STARTTLS"], values["SMTP_TLS"]) == (starttls, tls)


def test_setup_written_env_read_and_kept():
    current = fixture("mastodon.env.production")
    conn = _formats.parse("mastodon", current)[0]
    assert (conn["security"], conn["starttls"], conn["tls"]["verify"]) == ("starttls", "opportunistic", False)
    assert conn["auth"] == {"username": "mastodon@example.org", "password": "it's s3cret", "mechanisms": ["PLAIN"]}
    text = _formats.render("mastodon", [RELAY], current)
    for line in current.split("\n"):
        match = _native.ENV_ASSIGN.match(line)
        if not match or match.group("key") not in mastodon.MANAGED_KEYS:
            assert line in text.split("\n"), line
    assert text.index("SMTP_SERVER=") < text.index("SMTP_FROM_ADDRESS=")
    assert _formats.parse("mastodon", text) == [_common.canonical(RELAY)]
    assert _formats.render("mastodon", [RELAY], text) == text


def test_a_value_with_a_quote_is_double_quoted_with_dollar_escaped():
    conn = dict(RELAY, auth={"username": "u", "password": "it's $HOME"})
    text = _formats.render("mastodon", [conn])
    assert 'SMTP_PASSWORD="it\'s \\$HOME"\n' in text
    assert _formats.parse("mastodon", text)[0]["auth"]["password"] == "it's $HOME"


@pytest.mark.parametrize("password", ["it's a \\", "x\nSMTP_SERVER=evil"])
def test_what_dotenv_cannot_hold_is_refused_naming_the_field(password):
    conn = dict(RELAY, auth={"username": "u", "password": password})
    with pytest.raises(_common.FormatError) as err:
        _formats.render("mastodon", [conn])
    assert err.value.path == ("auth", "password")


def test_values_dotenv_would_expand_are_named():
    with pytest.raises(_common.FormatError, match="line 2: SMTP_PASSWORD is expanded by dotenv"):
        _formats.parse("mastodon", "SMTP_SERVER=h\nSMTP_PASSWORD=\"it's $ecret\"\n")
