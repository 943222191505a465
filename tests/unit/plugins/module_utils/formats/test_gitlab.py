# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Format gitlab: gitlab_rails['smtp_*'] in Omnibus GitLab's gitlab.rb (golden checks).

GitLab is not packaged here, so the keys are checked against its documentation:
https://docs.gitlab.com/omnibus/settings/smtp/ (smtp_enable, smtp_address, smtp_port, smtp_user_name,
smtp_password, smtp_domain, smtp_authentication, smtp_enable_starttls_auto, smtp_tls,
smtp_openssl_verify_mode 'none' | 'peer' | ..., smtp_ca_file, gitlab_email_from,
gitlab_email_display_name) and the template Omnibus installs as /etc/gitlab/gitlab.rb
(files/gitlab-config-template/gitlab.rb.template), which the fixture follows. The Ruby
literals themselves are evaluated by the real Ruby in the connector_app_files integration target.
"""

from __future__ import annotations

import os

import pytest

from ansible_collections.mailops.smtp.plugins.module_utils import _formats
from ansible_collections.mailops.smtp.plugins.module_utils._formats import _common, gitlab

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures")

RELAY = {
    "name": "gitlab",
    "host": "smtp.example.org",
    "port": 465,
    "security": "tls",
    "tls": {"ca_file": "/etc/gitlab/trusted-certs/relay-ca.pem"},
    "auth": {"username": "gitlab@example.org", "password": "it's a \\ \"pass\" #{`id`}", "mechanisms": ["PLAIN"]},
    "senders": {"default": '"Example GitLab" <gitlab@example.org>'},
}


def fixture(name):
    with open(os.path.join(FIXTURES, name)) as handle:
        return handle.read()


def assignments(text):
    out = {}
    for number, line in enumerate(text.split("\n"), 1):
        match = gitlab._ASSIGN.match(line)  # pylint: disable=protected-access
        if match:
            out[match.group("key")] = gitlab.read_literal(match.group("val"), match.group("key"), number)
    return out


def test_keys_gitlab_documents():
    assert assignments(_formats.render("gitlab", [RELAY])) == {
        "smtp_enable": True,
        "smtp_address": "smtp.example.org",
        "smtp_port": 465,
        "smtp_user_name": "gitlab@example.org",
        "smtp_password": "it's a \\ \"pass\" #{`id`}",
        "smtp_authentication": "plain",
        "smtp_enable_starttls_auto": False,
        "smtp_tls": True,
        "smtp_openssl_verify_mode": "peer",
        "smtp_ca_file": "/etc/gitlab/trusted-certs/relay-ca.pem",
        "gitlab_email_from": "gitlab@example.org",
        "gitlab_email_display_name": "Example GitLab",
    }


def test_strings_are_single_quoted_ruby():
    text = _formats.render("gitlab", [RELAY])
    assert "gitlab_rails['smtp_password'] = 'it\\'s a \\\\ \"pass\" #{`id`}'\n" in text


@pytest.mark.parametrize("change, auto, tls, verify", [
    ({"security": "starttls", "port": 587, "starttls": "opportunistic"}, True, False, "peer"),
    ({"security": "starttls", "port": 587, "starttls": "required"}, True, False, "peer"),
    ({"security": "none", "port": 25, "tls": {"verify": False}}, False, False, "none"),
])
def test_tls_modes(change, auto, tls, verify):
    values = assignments(_formats.render("gitlab", [dict(RELAY, **change)]))
    assert (values["smtp_enable_starttls_auto"], values["smtp_tls"], values["smtp_openssl_verify_mode"]) == \
        (auto, tls, verify)


def test_template_gitlab_rb_read_and_kept():
    current = fixture("gitlab.rb")
    conn = _formats.parse("gitlab", current)[0]
    assert (conn["host"], conn["port"], conn["security"], conn["starttls"]) == \
        ("smtp.example.org", 587, "starttls", "opportunistic")
    assert conn["auth"] == {"username": "gitlab@example.org", "password": 's3cret "quoted" pass',
                            "mechanisms": ["LOGIN"]}
    assert conn["senders"]["default"] == '"Example GitLab" <gitlab@example.org>'
    text = _formats.render("gitlab", [RELAY], current)
    for line in current.split("\n"):
        match = gitlab._ASSIGN.match(line)  # pylint: disable=protected-access
        if not match or match.group("key") not in gitlab.NATIVE_KEYS:
            assert line in text.split("\n"), line
    assert "external_url 'https://gitlab.example.org'" in text and "gitlab_rails['smtp_domain'] = \"example.org\"" in text
    assert text.index("gitlab_rails['smtp_address']") < text.index("### Backup Settings")
    assert _formats.parse("gitlab", text) == [_common.canonical(RELAY)]
    assert _formats.render("gitlab", [RELAY], text) == text


def test_no_auth_removes_the_credentials():
    current = fixture("gitlab.rb")
    conn = dict((k, v) for k, v in RELAY.items() if k != "auth")
    text = _formats.render("gitlab", [conn], current)
    assert "smtp_user_name" not in assignments(text) and "smtp_password" not in assignments(text)


@pytest.mark.parametrize("line, message", [
    ("gitlab_rails['smtp_password'] = \"#{ENV['PW']}\"", "interpolates Ruby code"),
    ("gitlab_rails['smtp_password'] = ENV['PW']", "not a literal"),
    ("gitlab_rails['smtp_password'] = 'a' + 'b'", "unexpected text"),
    ("gitlab_rails['smtp_password'] = 'open", "unterminated"),
])
def test_values_that_are_not_literals_are_named(line, message):
    with pytest.raises(_common.FormatError, match=message) as err:
        _formats.parse("gitlab", "gitlab_rails['smtp_address'] = 'h'\n" + line + "\n")
    assert "smtp_password" in str(err.value) and "line 2" in str(err.value)


@pytest.mark.parametrize("password", ["x\ngitlab_rails['smtp_address'] = 'evil'", "x\r"])
def test_line_breaks_are_refused_naming_the_field(password):
    conn = dict(RELAY, auth={"username": "u", "password": password})
    with pytest.raises(_common.FormatError) as err:
        _formats.render("gitlab", [conn])
    assert err.value.path == ("auth", "password")


def test_double_quoted_escapes_are_read():
    text = "gitlab_rails['smtp_address'] = 'h'\ngitlab_rails['smtp_user_name'] = \"a\\tb\\\"c\"; # note\n"
    assert _formats.parse("gitlab", text)[0]["auth"]["username"] == 'a\tb"c'
