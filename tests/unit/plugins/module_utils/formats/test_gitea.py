# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Format gitea: [mailer] in Gitea's / Forgejo's app.ini (golden checks).

Gitea is not packaged here, so the keys are checked against its documentation and source:
- keys: https://docs.gitea.com/administration/config-cheat-sheet#mailer-mailer (PROTOCOL smtp, smtps,
  smtp+starttls; SMTP_ADDR, SMTP_PORT, USER, PASSWD, FROM, ENVELOPE_FROM, FORCE_TRUST_SERVER_CERT,
  USE_CLIENT_CERT, CLIENT_CERT_FILE, CLIENT_KEY_FILE), the same in Forgejo:
  https://forgejo.org/docs/latest/admin/config-cheat-sheet/#mailer-mailer
- quoting with backquotes for special characters: https://docs.gitea.com/administration/email-setup
- PROTOCOL inferred from SMTP_PORT when empty (25 smtp, 465 smtps, 587 smtp+starttls, else smtps):
  modules/setting/mailer.go; smtp+starttls going on in clear text when the server offers no STARTTLS
  ("falling back to regular SMTP"): services/mailer/sender/smtp.go.
The fixture is an installer-written app.ini with the [mailer] comments of custom/conf/app.example.ini.
The environment form: GITEA__SECTION_NAME__KEY_NAME, the section part case-insensitive
(contrib/environment-to-ini/README; https://docs.gitea.com/installation/install-with-docker, "Managing
Deployments With Environment Variables"); gitea.env is a Compose env_file in that form.
"""

from __future__ import annotations

import os
import subprocess

import pytest

from ansible_collections.mailops.smtp.plugins.module_utils import _formats
from ansible_collections.mailops.smtp.plugins.module_utils._formats import _common, _goini, gitea

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures")

RELAY = {
    "name": "git",
    "host": "smtp.example.org",
    "port": 465,
    "security": "tls",
    "auth": {"username": "git@example.org", "password": "p#ss;`word`"},
    "senders": {"default": '"Example Git" <git@example.org>'},
}


def fixture(name):
    with open(os.path.join(FIXTURES, name)) as handle:
        return handle.read()


def section(text, name):
    """One section as go-ini reads it."""
    values = {}
    current = None
    for line in text.split("\n"):
        match = _goini.SECTION.match(line)
        if match:
            current = match.group("name")
            continue
        key = _goini.KEY.match(line)
        if current == name and key and line.strip()[0] not in "#;":
            values[key.group("key")] = _goini.decode(key.group("val"))
    return values


def test_mailer_keys_gitea_documents():
    assert section(_formats.render("gitea", [RELAY]), "mailer") == {
        "ENABLED": "true",
        "PROTOCOL": "smtps",
        "SMTP_ADDR": "smtp.example.org",
        "SMTP_PORT": "465",
        "FORCE_TRUST_SERVER_CERT": "false",
        "USER": "git@example.org",
        "PASSWD": "p#ss;`word`",
        "FROM": '"Example Git" <git@example.org>',
        "ENVELOPE_FROM": "",
    }


@pytest.mark.parametrize("change, protocol", [
    ({"security": "starttls", "port": 587, "starttls": "opportunistic"}, "smtp+starttls"),
    ({"security": "starttls", "port": 587, "starttls": "required"}, "smtp+starttls"),
    ({"security": "none", "port": 25}, "smtp"),
])
def test_protocols(change, protocol):
    text = _formats.render("gitea", [dict(RELAY, **change)])
    assert section(text, "mailer")["PROTOCOL"] == protocol


def test_required_starttls_is_written_as_gitea_s_opportunistic_and_the_declared_value_kept():
    conn = dict(RELAY, security="starttls", port=587, starttls="required")
    text = _formats.render("gitea", [conn])
    assert section(text, "mailer")["PROTOCOL"] == "smtp+starttls"
    assert '"starttls":"required"' in text  # in the record: what was declared, not what Gitea does
    # Without the record, the file says what Gitea really does.
    bare = "\n".join(ln for ln in text.split("\n") if "mailops: " not in ln)
    assert _formats.parse("gitea", bare)[0]["starttls"] == "opportunistic"


def test_installer_app_ini_read_and_kept():
    current = fixture("gitea-app.ini")
    conn = _formats.parse("gitea", current)[0]
    assert conn["host"] == "smtp.example.org" and conn["port"] == 587
    assert conn["security"] == "starttls" and conn["starttls"] == "opportunistic"  # inferred from 587
    assert conn["auth"] == {"username": "git@example.org", "password": "mail#pass;word"}
    assert conn["senders"]["default"] == '"Example Git" <git@example.org>'
    text = _formats.render("gitea", [RELAY], current)
    for line in current.split("\n"):
        if not _goini.KEY.match(line) or line.startswith(";") or line.split("=")[0].strip() not in gitea.MANAGED_KEYS:
            assert line in text.split("\n"), line
    # [database] has USER and PASSWD too: untouched.
    assert section(text, "database") == section(current, "database")
    assert section(text, "mailer")["CLIENT_CERT_FILE"] == "custom/mailer/cert.pem"
    assert text.index("SMTP_ADDR = smtp.example.org") < text.index(";;   25:  insecure SMTP")
    assert _formats.parse("gitea", text) == [_common.canonical(RELAY)]
    assert _formats.render("gitea", [RELAY], text) == text


def test_legacy_host_read_and_replaced():
    current = "[mailer]\nENABLED = true\nHOST = smtp.example.org:465\nIS_TLS_ENABLED = true\nUSER = u@example.org\n"
    conn = _formats.parse("gitea", current)[0]
    assert (conn["host"], conn["port"], conn["security"]) == ("smtp.example.org", 465, "tls")
    assert conn["senders"]["default"] == "u@example.org"  # Gitea's FROM defaults to USER
    text = _formats.render("gitea", [RELAY], current)
    assert "HOST" not in text.replace("SMTP_ADDR", "") and "IS_TLS_ENABLED" not in text


@pytest.mark.parametrize("protocol", ["sendmail", "dummy"])
def test_a_mailer_that_is_not_smtp_holds_no_connector(protocol):
    assert _formats.parse("gitea", "[mailer]\nENABLED = true\nPROTOCOL = %s\n" % protocol) == []


@pytest.mark.parametrize("password", ['"""', "`x`", "a ; b", "#", "[server]", " lead", "x\\", "x\u2028y", "'q'"])
def test_hostile_values_stay_one_value(password):
    conn = dict(RELAY, auth={"username": "git@example.org", "password": password})
    text = _formats.render("gitea", [conn], fixture("gitea-app.ini"))
    assert section(text, "mailer")["PASSWD"] == password
    assert section(text, "database")["PASSWD"] == "db#pass;word"
    assert _formats.parse("gitea", text)[0]["auth"]["password"] == password


@pytest.mark.parametrize("password", ["x\n[server]\nHTTP_PORT = 1", "x\rPROTOCOL = smtp"])
def test_line_breaks_are_refused_naming_the_field(password):
    conn = dict(RELAY, auth={"username": "git@example.org", "password": password})
    with pytest.raises(_common.FormatError) as err:
        _formats.render("gitea", [conn])
    assert err.value.path == ("auth", "password") and "/auth/password" in str(err.value)


ENV = {"path": "/srv/gitea/gitea.env"}


def test_env_form_names_the_keys_gitea_documents():
    text = _formats.render("gitea", [RELAY], None, ENV)
    assigned = dict(line.split("=", 1) for line in text.split("\n") if line.startswith("GITEA__"))
    assert sorted(assigned) == sorted("GITEA__mailer__" + k for k in gitea.NATIVE_KEYS)
    assert assigned["GITEA__mailer__ENABLED"] == "true"
    assert assigned["GITEA__mailer__PROTOCOL"] == "smtps"
    assert assigned["GITEA__mailer__SMTP_ADDR"] == "smtp.example.org"
    assert assigned["GITEA__mailer__SMTP_PORT"] == "465"
    assert assigned["GITEA__mailer__USER"] == "git@example.org"
    assert _formats.parse("gitea", text, ENV) == [_common.canonical(RELAY)]


def test_env_form_is_what_a_shell_loads():
    """A systemd EnvironmentFile or `set -a; . file` gives Gitea exactly the declared values."""
    conn = dict(RELAY, auth={"username": "git@example.org", "password": "p$a`s\"s\\w;#d 'x'"})
    text = _formats.render("gitea", [conn], None, ENV)
    out = subprocess.run(["bash", "-c", 'set -a; eval "$1"; printf "%s\\0" "$GITEA__mailer__PASSWD" "$GITEA__mailer__FROM"',
                          "bash", text], capture_output=True, text=True, check=True).stdout
    assert out.split("\0")[:2] == [conn["auth"]["password"], conn["senders"]["default"]]


def test_env_file_read_whatever_the_section_case_and_kept():
    current = fixture("gitea.env")
    conn = _formats.parse("gitea", current, ENV)[0]
    assert (conn["host"], conn["port"], conn["security"]) == ("old.example.org", 465, "tls")
    assert conn["auth"] == {"username": "git@example.org", "password": "s3cret; #not a comment"}
    text = _formats.render("gitea", [RELAY], current, ENV)
    lines = text.split("\n")
    for kept in ("USER_UID=1000", "GITEA__database__DB_TYPE=postgres", "GITEA__database__PASSWD=db-pass",
                 "GITEA__server__ROOT_URL=https://git.example.org/"):
        assert kept in lines
    # The upper-case section spellings are rewritten in the canonical one, in place; no key twice.
    assert not any(line.startswith("GITEA__MAILER__") for line in lines)
    assert [line.split("=")[0] for line in lines].count("GITEA__mailer__SMTP_ADDR") == 1
    assert lines.index("GITEA__mailer__SMTP_ADDR=smtp.example.org") < lines.index("GITEA__server__ROOT_URL=https://git.example.org/")
    assert _formats.parse("gitea", text, ENV) == [_common.canonical(RELAY)]
    assert _formats.render("gitea", [RELAY], text, ENV) == text


def test_an_ini_path_or_none_is_app_ini():
    assert "[mailer]" in _formats.render("gitea", [RELAY], None, {"path": "/etc/gitea/app.ini"})
    assert "[mailer]" in _formats.render("gitea", [RELAY])
    assert "[mailer]" not in _formats.render("gitea", [RELAY], None, ENV)


@pytest.mark.parametrize("password", ["x\nGITEA__mailer__PROTOCOL=smtp", "x\rY"])
def test_env_form_refuses_line_breaks_naming_the_field(password):
    conn = dict(RELAY, auth={"username": "git@example.org", "password": password})
    with pytest.raises(_common.FormatError) as err:
        _formats.render("gitea", [conn], None, ENV)
    assert err.value.path == ("auth", "password")
