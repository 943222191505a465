# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Format django: the EMAIL_* settings Django reads, in a settings module or an environment file.

Keys and meanings: https://docs.djangoproject.com/en/5.2/ref/settings/#email-host (EMAIL_HOST,
EMAIL_PORT, EMAIL_USE_TLS, EMAIL_USE_SSL, EMAIL_HOST_USER, EMAIL_HOST_PASSWORD, EMAIL_TIMEOUT,
DEFAULT_FROM_EMAIL, SERVER_EMAIL) and https://docs.djangoproject.com/en/5.2/topics/email/#smtp-backend.
The settings-module fixture is what 'django-admin startproject' writes (Django 5.2,
django/conf/project_template/project_name/settings.py-tpl) with an email block added.
"""

from __future__ import annotations

import os

import pytest

from ansible_collections.mailops.smtp.plugins.module_utils import _formats
from ansible_collections.mailops.smtp.plugins.module_utils._formats import _common, django

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures")
MODULE = {"path": "/srv/portal/portal/mail_settings.py"}
ENV = {"path": "/srv/portal/.env"}

RELAY = {
    "name": "portal",
    "host": "smtp.example.org",
    "port": 587,
    "timeout": 20,
    "auth": {"username": "portal@example.org", "password": "pa ss\"word$"},
    "senders": {"default": '"Example Portal" <portal@example.org>', "server": "errors@example.org"},
}


def fixture(name):
    with open(os.path.join(FIXTURES, name)) as handle:
        return handle.read()


def settings_of(text):
    """What Django would see: the module executed, upper-case names only (as django.conf does)."""
    namespace = {}
    exec(compile(text, "mail_settings.py", "exec"), namespace)  # pylint: disable=exec-used
    return dict((k, v) for k, v in namespace.items() if k.isupper())


def test_module_settings_django_reads():
    text = _formats.render("django", [RELAY], None, MODULE)
    assert settings_of(text) == {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "smtp.example.org",
        "EMAIL_PORT": 587,
        "EMAIL_USE_TLS": True,
        "EMAIL_USE_SSL": False,
        "EMAIL_HOST_USER": "portal@example.org",
        "EMAIL_HOST_PASSWORD": "pa ss\"word$",
        "EMAIL_TIMEOUT": 20,
        "DEFAULT_FROM_EMAIL": '"Example Portal" <portal@example.org>',
        "SERVER_EMAIL": "errors@example.org",
    }


@pytest.mark.parametrize("security, tls, ssl", [("tls", False, True), ("none", False, False)])
def test_module_tls_modes(security, tls, ssl):
    conn = dict(RELAY, security=security, port=465 if security == "tls" else 25, auth=None)
    conn = dict((k, v) for k, v in conn.items() if v is not None)
    values = settings_of(_formats.render("django", [conn], None, MODULE))
    assert (values["EMAIL_USE_TLS"], values["EMAIL_USE_SSL"]) == (tls, ssl)
    assert values["EMAIL_HOST_USER"] == "" and values["EMAIL_HOST_PASSWORD"] == ""


def test_startproject_settings_kept_and_read():
    current = fixture("django_settings.py.txt")
    conns = _formats.parse("django", current, MODULE)
    assert conns[0]["host"] == "smtp.example.org"
    assert conns[0]["security"] == "tls" and conns[0]["port"] == 465
    assert conns[0]["auth"] == {"username": "portal@example.org", "password": "long-password"}
    assert conns[0]["senders"] == {"default": "Example Portal <portal@example.org>", "server": "errors@example.org"}
    assert conns[0]["timeout"] == 20
    text = _formats.render("django", [RELAY], current, MODULE)
    # Every line that is not a managed key stays, in place (the client certificate too).
    for line in current.splitlines():
        if not line.startswith(django.NATIVE_KEYS) and line not in ("    'long-'", "    'password'", ")"):
            assert line in text.splitlines(), line
    assert text.index("EMAIL_HOST =") < text.index("EMAIL_SSL_CERTFILE") < text.index("ADMINS")
    values = settings_of(text.replace("Path(__file__)", "Path('/srv/portal/portal/settings.py')"))
    assert values["EMAIL_HOST_PASSWORD"] == "pa ss\"word$" and values["EMAIL_USE_SSL"] is False
    assert values["EMAIL_SSL_CERTFILE"] == "/etc/portal/client.pem"
    assert _formats.parse("django", text, MODULE) == [_common.canonical(RELAY)]
    assert _formats.render("django", [RELAY], text, MODULE) == text


def test_env_file_kept_and_read():
    current = fixture("django.env")
    conns = _formats.parse("django", current, ENV)
    assert conns[0]["security"] == "starttls" and conns[0]["starttls"] == "required"
    assert conns[0]["auth"]["password"] == "p#ss word"
    assert conns[0]["senders"]["default"] == "Example Portal <portal@example.org>"
    text = _formats.render("django", [RELAY], current, ENV)
    assert "DJANGO_SECRET_KEY=change-me\nDATABASE_URL=postgres://portal@db/portal\n" in text
    assert "EMAIL_USE_TLS=true\n" in text and "EMAIL_HOST_PASSWORD=\"pa ss\\\"word\\$\"\n" in text
    assert text.count("EMAIL_HOST=") == 1
    assert _formats.parse("django", text, ENV) == [_common.canonical(RELAY)]


HOSTILE = [
    "x'\nEMAIL_BACKEND = 'django.core.mail.backends.console.EmailBackend'",
    'x"""\nimport os; os.system("id")\n"""',
    "x\\",
    "x\r\nDEBUG = True",
    "x\u2028DEBUG = True",
    "# not a comment ' \" ; $HOME `id`",
]


@pytest.mark.parametrize("password", HOSTILE)
def test_hostile_value_stays_one_value_in_the_module(password):
    conn = dict(RELAY, auth={"username": "portal@example.org", "password": password})
    text = _formats.render("django", [conn], None, MODULE)
    values = settings_of(text)
    assert values["EMAIL_HOST_PASSWORD"] == password
    assert values["EMAIL_BACKEND"] == django.BACKEND
    assert set(values) == set(django.NATIVE_KEYS)
    assert _formats.parse("django", text, MODULE)[0]["auth"]["password"] == password


@pytest.mark.parametrize("password", [p for p in HOSTILE if "\n" not in p and "\r" not in p])
def test_hostile_value_stays_one_value_in_the_env_file(password):
    conn = dict(RELAY, auth={"username": "portal@example.org", "password": password})
    text = _formats.render("django", [conn], None, ENV)
    assert _formats.parse("django", text, ENV)[0]["auth"]["password"] == password
    assert len([ln for ln in text.splitlines() if ln.startswith("EMAIL_HOST_PASSWORD=")]) == 1


def test_env_file_refuses_a_line_break_naming_the_field():
    conn = dict(RELAY, auth={"username": "portal@example.org", "password": "a\nEMAIL_HOST=evil"})
    with pytest.raises(_common.FormatError) as err:
        _formats.render("django", [conn], None, ENV)
    assert err.value.path == ("auth", "password") and "/auth/password" in str(err.value)


def test_fields_django_cannot_hold_are_written_stricter_and_kept_in_the_record():
    tls = {"verify": False, "ca_file": "/etc/ssl/ca.pem", "min_version": "1.3"}
    conn = dict(RELAY, starttls="opportunistic", tls=tls)
    text = _formats.render("django", [conn], None, MODULE)
    values = settings_of(text)
    # Django has no opportunistic STARTTLS: EMAIL_USE_TLS fails when the server offers none.
    assert values["EMAIL_USE_TLS"] is True
    assert "# mailops: " in text
    back = _formats.parse("django", text, MODULE)[0]
    assert back["starttls"] == "opportunistic" and back["tls"]["verify"] is False
    assert back["tls"]["ca_file"] == "/etc/ssl/ca.pem"


def test_errors_name_what_django_would_refuse():
    with pytest.raises(_common.FormatError, match="EMAIL_USE_TLS and EMAIL_USE_SSL"):
        _formats.parse("django", "EMAIL_HOST = 'h'\nEMAIL_USE_TLS = True\nEMAIL_USE_SSL = True\n", MODULE)
    with pytest.raises(_common.FormatError, match="EMAIL_HOST .line 2. is computed"):
        _formats.parse("django", "import os\nEMAIL_HOST = os.environ['SMTP']\n", MODULE)
    with pytest.raises(_common.FormatError, match="line of its own"):
        _formats.render("django", [RELAY], "EMAIL_HOST = 'a'; DEBUG = True\n", MODULE)
    with pytest.raises(_common.FormatError, match="not a valid Python settings module"):
        _formats.parse("django", "EMAIL_HOST = 'a\n", MODULE)
    with pytest.raises(_common.FormatError, match="holds one connector"):
        _formats.render("django", [RELAY, dict(RELAY, name="other")], None, MODULE)


def test_a_settings_file_without_email_settings_holds_no_connector():
    assert _formats.parse("django", "DEBUG = True\n", MODULE) == []
    assert _formats.parse("django", "DEBUG=1\n", ENV) == []
