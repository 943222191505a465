# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Format redmine: email_delivery in config/configuration.yml (golden checks).

Keys: https://www.redmine.org/projects/redmine/wiki/EmailConfiguration and the shipped
config/configuration.yml.example, which the fixture follows (its default section, with an
SMTP block as the wiki shows and the ERB line Redmine allows). Redmine reads the file with
YAML::load(ERB.new(File.read(filename)).result) and merges 'default' with its environment's
section (lib/redmine/configuration.rb, load_from_yaml). The file is read by the real Ruby
(ERB + Psych) in the connector_app_files integration target.
"""

from __future__ import annotations

import os

import pytest

from ansible_collections.mailops.smtp.plugins.module_utils import _formats
from ansible_collections.mailops.smtp.plugins.module_utils._formats import _common, redmine

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures")

RELAY = {
    "name": "redmine",
    "host": "smtp.example.org",
    "port": 587,
    "starttls": "required",
    "timeout": 20,
    "auth": {"username": "redmine@example.org", "password": "it's <%= `id` %> \"q\" # \\", "mechanisms": ["LOGIN"]},
    "senders": {"default": "redmine@example.org"},
}


def fixture(name):
    with open(os.path.join(FIXTURES, name)) as handle:
        return handle.read()


def settings(text):
    lines = text.split("\n")
    _name, span, _section = redmine._target(lines)  # pylint: disable=protected-access
    return redmine._settings(lines, span)[0]  # pylint: disable=protected-access


def test_smtp_settings_redmine_documents():
    text = _formats.render("redmine", [RELAY])
    assert "  email_delivery:\n    delivery_method: :smtp\n" in text
    assert settings(text) == {
        "delivery_method": ":smtp", "address": "smtp.example.org", "port": 587, "enable_starttls": True, "tls": False,
        "openssl_verify_mode": "peer", "authentication": ":login", "user_name": "redmine@example.org",
        "password": "it's <%= `id` %> \"q\" # \\", "open_timeout": 20, "read_timeout": 20,
    }


def test_erb_tags_in_values_are_escaped_for_erb():
    text = _formats.render("redmine", [RELAY])
    assert '<%%= `id` %>' in text and "<%= `id`" not in text


@pytest.mark.parametrize("change, keys", [
    ({"starttls": "opportunistic"}, {"enable_starttls_auto": True, "tls": False}),
    ({"security": "tls", "port": 465}, {"enable_starttls_auto": False, "tls": True}),
    ({"security": "none", "port": 25, "tls": {"verify": False}}, {"enable_starttls_auto": False, "tls": False,
                                                                  "openssl_verify_mode": "none"}),
])
def test_tls_modes(change, keys):
    values = settings(_formats.render("redmine", [dict(RELAY, **change)]))
    for key, value in keys.items():
        assert values[key] == value, key
    assert "enable_starttls" not in values


def test_shipped_example_read_and_kept():
    current = fixture("redmine-configuration.yml")
    conn = _formats.parse("redmine", current)[0]
    assert (conn["host"], conn["port"], conn["security"], conn["starttls"]) == \
        ("smtp.example.net", 587, "starttls", "opportunistic")
    assert conn["auth"] == {"username": "redmine@example.net", "password": 'it\'s "redmine"', "mechanisms": ["LOGIN"]}
    text = _formats.render("redmine", [RELAY], current)
    block = current.split("\n")[14:24]  # the email_delivery block: managed as a whole
    for line in current.split("\n"):
        if line not in block:
            assert line in text.split("\n"), line
    assert "database_cipher_key: <%= ENV['REDMINE_CIPHER_KEY'] %>" in text
    assert text.index("  email_delivery:") < text.index("  # ==== Simple SMTP server at localhost")
    assert _formats.parse("redmine", text) == [_common.canonical(RELAY)]
    assert _formats.render("redmine", [RELAY], text) == text


def test_production_block_wins_as_in_redmine():
    current = fixture("redmine-configuration.yml").replace(
        "production:\n", "production:\n  email_delivery:\n    delivery_method: :smtp\n    smtp_settings:\n"
        "      address: prod.example.org\n      port: 2525\n")
    assert _formats.parse("redmine", current)[0]["host"] == "prod.example.org"
    text = _formats.render("redmine", [RELAY], current)
    assert 'address: "smtp.example.net"' in text  # default's block, overridden by production, stays
    assert _formats.parse("redmine", text) == [_common.canonical(RELAY)]


def test_block_added_to_default_when_missing():
    text = _formats.render("redmine", [RELAY], "default:\n  attachments_storage_path: /srv/files\n")
    assert text.split("\n")[1:3] == ["default:", "  email_delivery:"]
    assert "  attachments_storage_path: /srv/files" in text
    assert _formats.parse("redmine", text) == [_common.canonical(RELAY)]


def test_sendmail_holds_no_connector():
    assert _formats.parse("redmine", "default:\n  email_delivery:\n    delivery_method: :sendmail\n") == []


def test_computed_values_are_named():
    text = "default:\n  email_delivery:\n    smtp_settings:\n      address: <%= ENV['SMTP'] %>\n"
    with pytest.raises(_common.FormatError, match="line 4: address is computed with ERB"):
        _formats.parse("redmine", text)


@pytest.mark.parametrize("password", ["x\n      address: evil", "x\r"])
def test_line_breaks_are_refused_naming_the_field(password):
    conn = dict(RELAY, auth={"username": "u", "password": password})
    with pytest.raises(_common.FormatError) as err:
        _formats.render("redmine", [conn])
    assert err.value.path == ("auth", "password")
