# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Format nextcloud: the mail_* entries of config/config.php (golden checks).

Nextcloud is not packaged here, so the keys are checked against its documentation:
https://docs.nextcloud.com/server/latest/admin_manual/configuration_server/email_configuration.html
(mail_smtpmode, mail_smtphost, mail_smtpport, mail_smtpsecure '' or 'ssl', mail_smtpauth, mail_smtpname,
mail_smtppassword, mail_from_address, mail_domain, mail_smtptimeout, mail_smtpstreamoptions) and
config.sample.php. The fixture is a config.php as Nextcloud writes it (var_export) after the
installer and the admin "Email server" form. The PHP literals themselves are read by the real
PHP in the connector_app_files integration target.
"""

from __future__ import annotations

import os

import pytest

from ansible_collections.mailops.smtp.plugins.module_utils import _formats
from ansible_collections.mailops.smtp.plugins.module_utils._formats import _common, nextcloud

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures")

RELAY = {
    "name": "cloud",
    "host": "smtp.example.org",
    "port": 465,
    "security": "tls",
    "timeout": 20,
    "tls": {"verify": False, "ca_file": "/etc/ssl/relay-ca.pem"},
    "auth": {"username": "cloud@example.org", "password": "it's \\ ?> $x \"q\""},
    "senders": {"default": "cloud@example.org"},
}


def fixture(name):
    with open(os.path.join(FIXTURES, name)) as handle:
        return handle.read()


def config(text):
    return nextcloud.read_config(text)[0]


def test_entries_nextcloud_documents():
    values = config(_formats.render("nextcloud", [RELAY]))
    assert values == {
        "mail_smtpmode": "smtp",
        "mail_smtphost": "smtp.example.org",
        "mail_smtpport": 465,
        "mail_smtpsecure": "ssl",
        "mail_smtpauth": True,
        "mail_smtpname": "cloud@example.org",
        "mail_smtppassword": "it's \\ ?> $x \"q\"",
        "mail_smtptimeout": 20,
        "mail_from_address": "cloud",
        "mail_domain": "example.org",
        "mail_smtpstreamoptions": {"ssl": {"verify_peer": False, "verify_peer_name": False,
                                           "allow_self_signed": True, "cafile": "/etc/ssl/relay-ca.pem"}},
    }


def test_new_file_starts_with_php_open_tag():
    text = _formats.render("nextcloud", [RELAY])
    assert text.startswith("<?php\n// Managed by mailops.smtp")
    assert "// mailops: " in text and "?>" not in text.split("// mailops: ")[1].split("\n")[0]


@pytest.mark.parametrize("security, secure", [("starttls", ""), ("none", "")])
def test_starttls_and_none_are_both_nextcloud_s_auto_starttls(security, secure):
    conn = dict(RELAY, security=security, port=587)
    assert config(_formats.render("nextcloud", [conn]))["mail_smtpsecure"] == secure


def test_tls_value_is_read_as_what_nextcloud_does():
    """Nextcloud ignores mail_smtpsecure 'tls': STARTTLS when offered, clear text otherwise."""
    conn = _formats.parse("nextcloud", fixture("nextcloud-config.php"))[0]
    assert conn["security"] == "starttls" and conn["starttls"] == "opportunistic"


def test_written_config_php_read_and_kept():
    current = fixture("nextcloud-config.php")
    conn = _formats.parse("nextcloud", current)[0]
    assert (conn["host"], conn["port"]) == ("smtp.example.org", 587)
    assert conn["auth"] == {"username": "cloud@example.org", "password": "it's \"secret\""}
    assert conn["senders"]["default"] == "cloud@example.org"
    text = _formats.render("nextcloud", [RELAY], current)
    before, after = config(current), config(text)
    for key, value in before.items():
        if key not in nextcloud.NATIVE_KEYS:
            assert after[key] == value, key
    assert list(after)[:5] == list(before)[:5]
    assert "'mail_sendmailmode' => 'smtp'," in text and "'mail_smtpauthtype' => 'LOGIN'," in text
    assert text.index("'installed' => true") < text.index("'mail_smtphost'") < text.index("'maintenance'")
    assert _formats.parse("nextcloud", text) == [_common.canonical(RELAY)]
    assert _formats.render("nextcloud", [RELAY], text) == text


def test_other_modes_hold_no_connector():
    assert _formats.parse("nextcloud", "<?php\n$CONFIG = array (\n  'mail_smtpmode' => 'sendmail',\n);\n") == []


@pytest.mark.parametrize("text, message", [
    ("<?php\n$CONFIG = array (\n  'mail_smtphost' => getenv('SMTP'),\n);\n", "not a literal"),
    ("<?php\n$CONFIG = array (\n  'mail_smtphost' => \"$host\",\n);\n", "interpolates"),
    ("<?php\n$CONFIG = array (\n  'mail_smtphost' => 'open,\n);\n", "unterminated"),
])
def test_what_cannot_be_read_is_named_with_its_line(text, message):
    with pytest.raises(_common.FormatError, match=message) as err:
        _formats.parse("nextcloud", text)
    assert "line 3" in str(err.value)


def test_short_array_syntax_and_comments():
    text = "<?php\n// site config\n$CONFIG = [\n  /* mail */ 'mail_smtphost' => \"smtp.example.org\", # host\n" \
           "  'mail_smtpport' => 2525,\n];\n"
    conn = _formats.parse("nextcloud", text)[0]
    assert (conn["host"], conn["port"]) == ("smtp.example.org", 2525)


@pytest.mark.parametrize("password", ["x\n  'mail_smtphost' => 'evil',", "x\r"])
def test_line_breaks_are_refused_naming_the_field(password):
    conn = dict(RELAY, auth={"username": "u", "password": password})
    with pytest.raises(_common.FormatError) as err:
        _formats.render("nextcloud", [conn])
    assert err.value.path == ("auth", "password")
