# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What each format writes where, and what it keeps of a file it does not own entirely."""

from __future__ import annotations

import configparser

import pytest

from ansible_collections.mailops.smtp.plugins.module_utils import _formats
from ansible_collections.mailops.smtp.plugins.module_utils._formats import _common, javamail, postfix

RELAY = {
    "name": "district-relay",
    "host": "smtp.example.org",
    "port": 587,
    "tls": {"ca_file": "/etc/ssl/private-ca.pem", "min_version": "1.3"},
    "timeout": 20,
    "auth": {"username": "mailer@example.org", "password": "pa ss\"word$", "mechanisms": ["LOGIN"]},
    "senders": {"default": '"Example District" <noreply@example.org>', "portal": "portal@example.org"},
}
SECOND = {
    "name": "gradebook",
    "host": "smtp2.example.org",
    "port": 2525,
    "tls": {"ca_file": "/etc/ssl/private-ca.pem"},
    "auth": {"username": "grades@example.org", "password": "other-secret"},
    "senders": {"default": "grades@example.org"},
}


def lines(text):
    return [ln for ln in text.splitlines() if ln and not ln.startswith("#")]


def test_postfix_main_cf_keys_and_other_lines_kept():
    current = "# my comment\nmyhostname = mx.example.org\nrelayhost =\nsmtp_tls_security_level = may\n" \
              "smtpd_recipient_restrictions =\n    permit_mynetworks,\n    reject\n"
    files = _formats.render("postfix", [RELAY], {"main.cf": current}, {"config_dir": "/etc/postfix"})
    main = files["main.cf"]
    assert "# my comment\nmyhostname = mx.example.org\n" in main
    assert "smtpd_recipient_restrictions =\n    permit_mynetworks,\n    reject\n" in main
    values = postfix.read_main(main)
    assert values["relayhost"] == "[smtp.example.org]:587"
    assert values["smtp_tls_security_level"] == "secure"
    assert values["smtp_tls_CAfile"] == "/etc/ssl/private-ca.pem"
    assert values["smtp_tls_mandatory_protocols"] == ">=TLSv1.3"
    assert values["smtp_sasl_auth_enable"] == "yes"
    assert values["smtp_sasl_password_maps"] == "hash:/etc/postfix/sasl_passwd"
    assert values["smtp_sasl_mechanism_filter"] == "login"
    assert values["smtp_connect_timeout"] == "20s"
    assert "smtp_tls_wrappermode" not in values
    # the managed key is replaced where it was, not duplicated
    assert main.count("relayhost") == 1 and main.index("relayhost") < main.index("smtpd_recipient")
    assert files["sasl_passwd"].splitlines()[-1] == "[smtp.example.org]:587 mailer@example.org:pa ss\"word$"
    assert "pa ss" not in files["mailops-smtp.json"]


@pytest.mark.parametrize("security,starttls,verify,level,wrapper", [
    ("none", "required", True, "none", False),
    ("starttls", "opportunistic", True, "may", False),
    ("starttls", "required", True, "secure", False),
    ("starttls", "required", False, "encrypt", False),
    ("tls", "required", True, "secure", True),
    ("tls", "required", False, "encrypt", True),
])
def test_postfix_tls_level(security, starttls, verify, level, wrapper):
    conn = {"name": "r", "host": "relay.example.org", "security": security, "starttls": starttls,
            "tls": {"verify": verify}, "senders": {"default": "a@example.org"}}
    values = postfix.read_main(_formats.render("postfix", [conn])["main.cf"])
    assert values["smtp_tls_security_level"] == level
    assert ("smtp_tls_wrappermode" in values) is wrapper
    assert values["relayhost"] == "[relay.example.org]:%d" % (465 if security == "tls" else 25)


def test_postfix_several_connectors_sender_dependent():
    files = _formats.render("postfix", [RELAY, SECOND], {}, {"map_type": "texthash", "config_dir": "/srv/pf"})
    values = postfix.read_main(files["main.cf"])
    assert values["sender_dependent_relayhost_maps"] == "texthash:/srv/pf/sender_relay"
    assert values["smtp_sender_dependent_authentication"] == "yes"
    assert lines(files["sender_relay"]) == ["grades@example.org [smtp2.example.org]:2525"]
    sasl = lines(files["sasl_passwd"])
    assert "[smtp2.example.org]:2525 grades@example.org:other-secret" in sasl
    assert "portal@example.org mailer@example.org:pa ss\"word$" in sasl
    assert lines(files["tls_policy"]) == ["[smtp.example.org]:587 secure protocols=>=TLSv1.3",
                                          "[smtp2.example.org]:2525 secure protocols=>=TLSv1.2"]


def test_postfix_default_connector_option_and_removed_tables():
    files = _formats.render("postfix", [RELAY, SECOND], {}, {"default_connector": "gradebook"})
    assert postfix.read_main(files["main.cf"])["relayhost"] == "[smtp2.example.org]:2525"
    current = dict((k, v) for k, v in files.items() if v)
    # Back to one connector: the tables only several connectors need are removed again.
    again = _formats.render("postfix", [RELAY], current)
    assert again["sender_relay"] is None and again["tls_policy"] is None
    assert "sender_dependent_relayhost_maps" not in again["main.cf"]


def test_postfix_no_connectors_removes_managed_keys():
    files = _formats.render("postfix", [RELAY], {"main.cf": "myhostname = a\n"})
    current = dict((k, v) for k, v in files.items() if v)
    empty = _formats.render("postfix", [], current)
    assert empty["main.cf"] == "myhostname = a\n"
    assert empty["sasl_passwd"] is None and empty["mailops-smtp.json"] is None


@pytest.mark.parametrize("second,field", [
    (dict(SECOND, host="smtp.example.org", port=587), "/1/host"),
    (dict(SECOND, tls={}), "/1/tls/ca_file"),
    (dict(SECOND, tls={"ca_file": "/other.pem"}), "/1/tls/ca_file"),
    (dict(SECOND, security="tls", port=465), "/1/security"),
])
def test_postfix_limits_name_the_field(second, field):
    with pytest.raises(_common.FormatError) as err:
        _formats.render("postfix", [RELAY, second])
    assert str(err.value).startswith(field)
    assert "pa ss" not in str(err.value)


def test_postfix_parses_hand_written_main_cf():
    conns = _formats.parse("postfix", "relayhost = smtp.example.org:587\nsmtp_tls_security_level = encrypt\n")
    assert conns[0]["host"] == "smtp.example.org" and conns[0]["port"] == 587
    assert conns[0]["security"] == "starttls" and conns[0]["tls"]["verify"] is False
    assert _formats.parse("postfix", "myhostname = a\n") == []


def test_javamail_keys_and_types():
    conn = dict(RELAY, security="tls", port=465, tls={"verify": False})
    props = javamail.read_properties(_formats.render("javamail", [conn]))
    assert props["mail.smtp.host"] == "smtp.example.org"
    assert props["mail.smtp.port"] == "465"
    assert props["mail.smtp.auth"] == "true"
    assert props["mail.smtp.ssl.enable"] == "true"
    assert props["mail.smtp.starttls.enable"] == "false"
    assert props["mail.smtp.ssl.checkserveridentity"] == "false"
    assert props["mail.smtp.ssl.trust"] == "*"
    assert props["mail.smtp.connectiontimeout"] == "20000" and props["mail.smtp.timeout"] == "20000"
    assert props["mail.smtp.from"] == "noreply@example.org"
    assert props["mail.from"] == '"Example District" <noreply@example.org>'
    assert props["mail.mime.address.strict"] == "true"
    assert props["mail.smtp.auth.mechanisms"] == "LOGIN"
    # booleans are the literal strings Boolean.parseBoolean accepts, numbers plain decimal
    for key, value in props.items():
        if key.endswith((".enable", ".required", ".auth", ".strict", ".checkserveridentity")):
            assert value in ("true", "false"), key
        if key.endswith(("timeout", ".port")):
            assert value.isdigit(), key


def test_javamail_keeps_other_properties_and_escapes():
    current = "# app settings\napp.name = Portal\nmail.smtp.host=old.example.org\nlong.value = a \\\n   b\n"
    text = _formats.render("javamail", [dict(RELAY, description="line1\nline2 = x")], current)
    assert "app.name = Portal\n" in text and "long.value = a \\\n   b\n" in text
    props = javamail.read_properties(text)
    assert props["long.value"] == "a b"
    assert props["mail.smtp.host"] == "smtp.example.org"
    assert props["mailops.description"] == "line1\nline2 = x"


def test_javamail_one_connector_per_file():
    with pytest.raises(_common.FormatError, match="one connector"):
        _formats.render("javamail", [RELAY, SECOND])


def test_msmtp_accounts_and_default():
    text = _formats.render("msmtp", [RELAY, SECOND], None, {"default_connector": "gradebook"})
    assert "account district-relay\n" in text and "account gradebook\n" in text
    assert text.rstrip().endswith("account default : gradebook")
    assert 'password "pa ss\\"word$"' in text
    assert "tls_priorities NORMAL:-VERS-ALL:+VERS-TLS1.3\n" in text
    assert "auth login\n" in text


def test_env_keeps_unmanaged_lines_and_shell_reads_it(tmp_path):
    import subprocess
    current = "APP_MODE=production\n# comment\nMAILOPS_SMTP_OLD__HOST=x\n"
    text = _formats.render("env", [RELAY], current)
    assert text.startswith("# Managed by mailops.smtp")
    assert "APP_MODE=production\n# comment\n" in text and "MAILOPS_SMTP_OLD__HOST" not in text
    env_file = tmp_path / "smtp.env"
    env_file.write_text(text)
    out = subprocess.run(["sh", "-c", '. "$1"; printf %s "$MAILOPS_SMTP_DISTRICT_RELAY__AUTH_PASSWORD"', "sh",
                          str(env_file)], check=True, capture_output=True, text=True).stdout
    assert out == RELAY["auth"]["password"]


def test_ini_readable_by_configparser():
    text = _formats.render("ini", [RELAY, SECOND], "[other]\nkey = value\n")
    parser = configparser.ConfigParser(interpolation=None)
    parser.read_string(text)
    assert parser["other"]["key"] == "value"
    assert parser["district-relay"]["host"] == "smtp.example.org"
    assert parser["district-relay"]["senders.default"] == '"Example District" <noreply@example.org>'
    assert parser["gradebook"]["port"] == "2525"


def test_keymap_errors_name_the_entry():
    with pytest.raises(_common.FormatError, match=r"^keymap\.hots: not a model field; valid fields: name, "):
        _formats.render("env", [RELAY], None, {"keymap": {"hots": "SMTP_HOST"}})
    with pytest.raises(_common.FormatError, match="one connector per file"):
        _formats.render("env", [RELAY, SECOND], None, {"keymap": {"host": "SMTP_HOST"}})


def test_keymap_env_product_keys():
    keymap = {"host": "SMTP_HOST", "port": "SMTP_PORT", "auth.password": "SMTP_PASS", "senders.default": "MAIL_FROM"}
    text = _formats.render("env", [RELAY], "SMTP_HOST=old\nOTHER=1\n", {"keymap": keymap})
    assert lines(text) == ["SMTP_HOST=smtp.example.org", "OTHER=1", "SMTP_PORT=587",
                           'SMTP_PASS="pa ss\\"word\\$"',
                           'MAIL_FROM="\\"Example District\\" <noreply@example.org>"']
    back = _formats.parse("env", text, {"keymap": keymap, "default_name": "district-relay"})
    assert back[0]["host"] == "smtp.example.org" and back[0]["auth"]["password"] == "pa ss\"word$"


@pytest.mark.parametrize("fmt", ["json", "yaml", "env", "ini", "msmtp", "javamail"])
def test_empty_or_foreign_file_parses_to_nothing(fmt):
    assert _formats.parse(fmt, "") == []


def test_template_is_rendered_by_the_action_plugin():
    with pytest.raises(_common.FormatError, match="action plugin"):
        _formats.render("template", [RELAY])


@pytest.mark.parametrize("purpose", ["no", "No", "on", "off", "yes", "y", "n", "true", "null", "0", "1_0", "0x1f", "_ok",
                                     "alerts"])
def test_yaml_writes_sender_purposes_that_yaml_readers_take_for_booleans_or_numbers_quoted(purpose, monkeypatch):
    # YAML 1.1 readers (PyYAML, and the applications that read the file) read a bare no, on or 0 as a
    # boolean or a number: such a key is written quoted, and reads back as the same text either way.
    import yaml

    from ansible_collections.mailops.smtp.plugins.module_utils._formats import yamlfile

    conn = {"name": "relay", "host": "smtp.example.org", "senders": {"default": "a@example.org", purpose: "b@example.org"}}
    text = _formats.render("yaml", [conn])
    assert purpose in yaml.safe_load(text)["connectors"][0]["senders"]
    assert _formats.parse("yaml", text)[0]["senders"][purpose] == "b@example.org"
    monkeypatch.setattr(yamlfile, "_pyyaml", None)  # a host without PyYAML: the collection's own reader
    assert _formats.parse("yaml", text)[0]["senders"][purpose] == "b@example.org"
    quoted = '"%s": "b@example.org"' % purpose in text
    assert quoted is (purpose not in ("_ok", "alerts"))
