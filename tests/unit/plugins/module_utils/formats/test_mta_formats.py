# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The MTA formats: what each writes, what it keeps of files it shares, and hostile values."""

from __future__ import annotations

import subprocess

import pytest

from ansible_collections.mailops.smtp.plugins.module_utils import _formats
from ansible_collections.mailops.smtp.plugins.module_utils._formats import _common, dma, exim4, opensmtpd

RELAY = {
    "name": "district-relay",
    "host": "smtp.example.org",
    "port": 587,
    "tls": {"ca_file": "/etc/ssl/private-ca.pem"},
    "auth": {"username": "mailer@example.org", "password": "pa ss\"wo:rd^$"},
    "senders": {"default": '"Example District" <noreply@example.org>'},
}

# The shape of a Debian update-exim4.conf.conf as debconf writes it (key='value', comments).
DEBIAN_UE4CC = """\
# /etc/exim4/update-exim4.conf.conf
#
# Edit this file and /etc/mailname by hand and execute update-exim4.conf
# yourself or use 'dpkg-reconfigure exim4-config'

dc_eximconfig_configtype='internet'
dc_other_hostnames='host.example.org'
dc_local_interfaces='127.0.0.1 ; ::1'
dc_readhost=''
dc_relay_domains=''
dc_minimaldns='false'
dc_relay_nets=''
dc_smarthost=''
CFILEMODE='644'
dc_use_split_config='false'
dc_hide_mailname=''
dc_mastermind=''
dc_localdelivery='mail_spool'
"""

# The shape of the passwd.client Debian ships: comments only.
DEBIAN_PASSWD = """\
# password file used when the local exim is authenticating to a remote
# host as a client.
#
### target.mail.server.example:login:password
"""


def shell_values(text):
    """What update-exim4.conf sees: the file sourced by a real shell."""
    keys = ("dc_eximconfig_configtype", "dc_smarthost", "dc_other_hostnames", "dc_local_interfaces")
    script = text + "\n" + "".join('printf "%%s\\0" "$%s"\n' % k for k in keys)
    out = subprocess.run(["sh", "-c", script], capture_output=True, check=True).stdout.decode()
    return dict(zip(keys, out.split("\0")[:len(keys)], strict=True))


def test_exim4_files_and_kept_lines():
    files = _formats.render("exim4", [RELAY], {"update-exim4.conf.conf": DEBIAN_UE4CC,
                                               "passwd.client": DEBIAN_PASSWD})
    ue4cc = files["update-exim4.conf.conf"]
    assert shell_values(ue4cc) == {"dc_eximconfig_configtype": "satellite", "dc_smarthost": "smtp.example.org::587",
                                   "dc_other_hostnames": "host.example.org",
                                   "dc_local_interfaces": "127.0.0.1 ; ::1"}
    # every line that is not a managed key is kept, in order
    kept = [ln for ln in DEBIAN_UE4CC.splitlines() if not ln.startswith(("dc_smarthost", "dc_eximconfig"))]
    assert [ln for ln in ue4cc.splitlines() if ln in kept] == kept
    assert ue4cc.count("dc_smarthost=") == 1 and "pa ss" not in ue4cc
    assert files["passwd.client"].startswith(DEBIAN_PASSWD)
    assert files["passwd.client"].splitlines()[-1] == 'smtp.example.org:mailer@example.org:pa ss"wo:rd^$'
    macros = exim4.read_macros(files["exim4.conf.localmacros"])
    assert macros == {exim4.REQUIRE_TLS: "*", exim4.VERIFY_CERTS: "/etc/ssl/private-ca.pem"}
    assert _formats.parse("exim4", files) == [_common.canonical(RELAY)]
    assert _formats.render("exim4", [RELAY], files) == files


def test_exim4_keeps_smarthost_configtype_and_writes_split_macros():
    current = DEBIAN_UE4CC.replace("'internet'", "'smarthost'").replace("split_config='false'", "split_config='true'")
    files = _formats.render("exim4", [RELAY], {"update-exim4.conf.conf": current})
    assert shell_values(files["update-exim4.conf.conf"])["dc_eximconfig_configtype"] == "smarthost"
    assert "exim4.conf.localmacros" not in files
    assert exim4.REQUIRE_TLS in files["conf.d/main/000_localmacros"]


@pytest.mark.parametrize("change, macros", [
    ({"security": "tls", "port": 465}, {exim4.REQUIRE_TLS: "*", exim4.PROTOCOL: "smtps"}),
    ({"starttls": "opportunistic"}, {}),
    ({"tls": {"verify": False}}, {exim4.REQUIRE_TLS: "*", exim4.VERIFY_HOSTS: ""}),
    ({"security": "none", "port": 25, "allow_plaintext_auth": True},
     {exim4.AVOID_TLS: "*", exim4.NOTLS_PASSWORDS: "1"}),
])
def test_exim4_tls_macros(change, macros):
    conn = dict(RELAY, **change)
    if "tls" not in change:
        conn.pop("tls")
    files = _formats.render("exim4", [conn], {})
    assert exim4.read_macros(files.get("exim4.conf.localmacros")) == macros
    assert _formats.parse("exim4", files) == [_common.canonical(conn)]


def test_exim4_user_macros_kept_and_managed_ones_replaced():
    current = ("# site macros\nMAIN_TLS_ENABLE = yes\nREMOTE_SMTP_SMARTHOST_HOSTS_REQUIRE_TLS = \\\n  other.example\n"
               "REMOTE_SMTP_HELO_DATA = mx.example.org\n")
    files = _formats.render("exim4", [RELAY], {"exim4.conf.localmacros": current})
    text = files["exim4.conf.localmacros"]
    assert text.startswith("# site macros\nMAIN_TLS_ENABLE = yes\nREMOTE_SMTP_HELO_DATA = mx.example.org\n")
    assert "other.example" not in text and text.count(exim4.REQUIRE_TLS) == 1


def test_exim4_other_passwd_lines_kept_and_old_host_dropped():
    current = DEBIAN_PASSWD + "other.example.org:u:p\nold.example.org:me:old\n"
    old = DEBIAN_UE4CC.replace("dc_smarthost=''", "dc_smarthost='old.example.org::587'")
    files = _formats.render("exim4", [RELAY], {"update-exim4.conf.conf": old, "passwd.client": current})
    assert "other.example.org:u:p" in files["passwd.client"]
    assert "old.example.org" not in files["passwd.client"]


def test_exim4_wildcard_passwd_line_is_read():
    files = {"update-exim4.conf.conf": DEBIAN_UE4CC.replace("'internet'", "'satellite'").replace(
        "dc_smarthost=''", "dc_smarthost='mail.example.net::587'"), "passwd.client": DEBIAN_PASSWD + "*:me:pw\n"}
    conn = _formats.parse("exim4", files, {"default_name": "site"})[0]
    assert (conn["name"], conn["host"], conn["port"], conn["auth"]) == (
        "site", "mail.example.net", 587, {"username": "me", "password": "pw"})
    assert conn["security"] == "starttls" and conn["starttls"] == "opportunistic" and conn["tls"]["verify"]


def test_exim4_no_connector_restores_local_delivery():
    files = _formats.render("exim4", [RELAY], {"update-exim4.conf.conf": DEBIAN_UE4CC,
                                               "passwd.client": DEBIAN_PASSWD})
    gone = _formats.render("exim4", [], files)
    assert _formats.parse("exim4", gone) == []
    assert shell_values(gone["update-exim4.conf.conf"])["dc_eximconfig_configtype"] == "local"
    assert gone["passwd.client"] == DEBIAN_PASSWD
    assert gone["exim4.conf.localmacros"] == ""


@pytest.mark.parametrize("field, value", [
    (("host",), "2001:db8::25"),
    (("auth", "username"), "user:name"),
    (("auth", "username"), "user\nsmtp.evil.example:x:y"),
    (("auth", "password"), "pw\nREMOTE_SMTP_SMARTHOST_HOSTS_AVOID_TLS = *"),
    (("tls", "ca_file"), "/etc/ca.pem\nREMOTE_SMTP_SMARTHOST_HOSTS_AVOID_TLS = *"),
    (("tls", "ca_file"), "/etc/${run{/bin/sh}}"),
    (("host",), "smtp.example.org'; touch /tmp/x; '"),
])
def test_exim4_hostile_values_refused_with_the_field(field, value):
    conn = dict(RELAY, auth=dict(RELAY["auth"]), tls=dict(RELAY["tls"]))
    node = conn
    for key in field[:-1]:
        node = node[key]
    node[field[-1]] = value
    with pytest.raises(_common.FormatError) as err:
        _formats.render("exim4", [conn], {})
    assert str(err.value).startswith("/0/" + "/".join(field) + ":")
    assert "pa ss" not in str(err.value)


def test_exim4_hostile_text_fields_stay_in_the_comment():
    conn = dict(RELAY, description="x'\ndc_smarthost='evil.example::25' # $(touch /tmp/x)")
    files = _formats.render("exim4", [conn], {})
    assert shell_values(files["update-exim4.conf.conf"])["dc_smarthost"] == "smtp.example.org::587"
    assert _formats.parse("exim4", files)[0]["description"] == conn["description"]


def test_exim4_one_smarthost_only():
    with pytest.raises(_common.FormatError, match="^/1/name: .*one smarthost"):
        _formats.render("exim4", [RELAY, dict(RELAY, name="second")], {})


def test_exim4_reads_hand_written_quoting():
    text = 'dc_eximconfig_configtype="satellite"\ndc_smarthost=mail.example.net::2525 # comment\n'
    conn = _formats.parse("exim4", {"update-exim4.conf.conf": text})[0]
    assert (conn["host"], conn["port"]) == ("mail.example.net", 2525)


def remote_words(text):
    """The words nullmailer reads from the remote line (shell quoting), by a real shell."""
    line = [ln for ln in text.splitlines() if ln and not ln.startswith("#")]
    assert len(line) == 1
    out = subprocess.run(["sh", "-c", 'printf "%s\\0" ' + line[0]], capture_output=True, check=True).stdout.decode()
    return out.split("\0")[:-1]


def test_nullmailer_remote_line_and_comments_kept():
    current = "# relays for this container\nold.example.org smtp --port=25\n"
    text = _formats.render("nullmailer", [RELAY], current)
    assert text.startswith("# relays for this container\n")
    assert "old.example.org" not in text
    assert remote_words(text) == ["smtp.example.org", "smtp", "--port=587", "--starttls",
                                  "--x509cafile=/etc/ssl/private-ca.pem", "--user=mailer@example.org",
                                  '--pass=pa ss"wo:rd^$']
    assert _formats.parse("nullmailer", text) == [_common.canonical(RELAY)]
    assert _formats.render("nullmailer", [RELAY], text) == text


@pytest.mark.parametrize("change, options", [
    ({"security": "tls", "port": 465, "tls": {"verify": False}}, ["--port=465", "--tls", "--insecure"]),
    ({"security": "none", "port": 25, "tls": {}}, ["--port=25"]),
    ({"starttls": "opportunistic"}, ["--port=587", "--starttls"]),
])
def test_nullmailer_tls_options(change, options):
    conn = dict(RELAY, auth={"username": "u", "password": "p", "mechanisms": ["LOGIN"]}, **change)
    words = remote_words(_formats.render("nullmailer", [conn]))
    assert [w for w in words[2:] if not w.startswith(("--user", "--pass", "--x509"))] == options + ["--auth-login"]
    assert _formats.parse("nullmailer", _formats.render("nullmailer", [conn])) == [_common.canonical(conn)]


def test_nullmailer_reads_the_documented_forms():
    text = ("# comment\nsmarthost.dom smtp port=2525 starttls user=user pass='my pass phrase'\n"
            "backup.example.org\nqmqp.example.org qmqp\n")
    first, second = _formats.parse("nullmailer", text, {"default_name": "relay"})
    assert (first["name"], first["port"], first["security"], first["auth"]["password"]) == (
        "relay", 2525, "starttls", "my pass phrase")
    assert (second["name"], second["host"], second["port"], second["security"]) == (
        "relay-2", "backup.example.org", 25, "none")


@pytest.mark.parametrize("field, value", [
    (("auth", "password"), "pw\nevil.example.org smtp"),
    (("auth", "username"), "u\rx"),
])
def test_nullmailer_line_breaks_refused_with_the_field(field, value):
    conn = dict(RELAY, auth=dict(RELAY["auth"], **{field[-1]: value}))
    with pytest.raises(_common.FormatError) as err:
        _formats.render("nullmailer", [conn])
    assert str(err.value).startswith("/0/" + "/".join(field) + ":") and "pw" not in str(err.value)


def test_nullmailer_shell_syntax_stays_one_word():
    conn = dict(RELAY, auth={"username": "u", "password": "x' --insecure # $(id) `id` \\"})
    text = _formats.render("nullmailer", [conn])
    assert "--insecure" not in remote_words(text)
    assert remote_words(text)[-1] == "--pass=x' --insecure # $(id) `id` \\"
    assert _formats.parse("nullmailer", text)[0]["auth"]["password"] == conn["auth"]["password"]


def test_nullmailer_one_connector_only():
    with pytest.raises(_common.FormatError, match="^/1/name: "):
        _formats.render("nullmailer", [RELAY, dict(RELAY, name="second")])


# The shape of the dma.conf Debian installs (/usr/share/dma/dma.conf): settings in comments.
DEBIAN_DMA = """\
# Your smarthost (also called relayhost).  Leave blank if you don't want
# smarthost support.
#SMARTHOST mail.example.com

# Use this SMTP port.  Most users will be fine with the default (25)
#PORT 25

# Uncomment if you want TLS/SSL support
#SECURETRANSFER

# Uncomment if you want STARTTLS support (only used in combination with
# SECURETRANSFER)
#STARTTLS
MAILNAME /etc/mailname

#NULLCLIENT
"""


def test_dma_files_and_kept_lines():
    files = _formats.render("dma", [RELAY], {"dma.conf": DEBIAN_DMA, "auth.conf": "# Format: user|host:password\n"},
                            {"path": "/etc/dma"})
    conf = files["dma.conf"]
    assert conf.startswith(DEBIAN_DMA.rstrip("\n") + "\n")
    assert dma.read_conf(conf) == {"MAILNAME": "/etc/mailname", "SMARTHOST": "smtp.example.org", "PORT": "587",
                                   "AUTHPATH": "/etc/dma/auth.conf", "SECURETRANSFER": "", "STARTTLS": ""}
    assert files["auth.conf"] == ("# Format: user|host:password\n" + _common.header_lines()[0] +
                                  '\nmailer@example.org|smtp.example.org:pa ss"wo:rd^$\n')
    assert "pa ss" not in conf
    assert _formats.parse("dma", files) == [_common.canonical(RELAY)]
    assert _formats.render("dma", [RELAY], files, {"path": "/etc/dma"}) == files


@pytest.mark.parametrize("change, flags", [
    ({"security": "tls", "port": 465}, ["SECURETRANSFER"]),
    ({"starttls": "opportunistic"}, ["SECURETRANSFER", "STARTTLS", "OPPORTUNISTIC_TLS"]),
    ({"security": "none", "port": 25}, ["INSECURE"]),
])
def test_dma_flags(change, flags):
    conn = dict(RELAY, **change)
    files = _formats.render("dma", [RELAY], {}, {"path": "/etc/dma"})
    files = _formats.render("dma", [conn], files, {"path": "/etc/dma"})
    assert [k for k in dma.read_conf(files["dma.conf"]) if k in dma.FLAG_KEYS] == flags
    assert _formats.parse("dma", files) == [_common.canonical(conn)]


def test_dma_no_connector_leaves_the_packaged_file():
    files = _formats.render("dma", [RELAY], {"dma.conf": DEBIAN_DMA}, {"path": "/etc/dma"})
    gone = _formats.render("dma", [], files, {"path": "/etc/dma"})
    assert gone["dma.conf"] == DEBIAN_DMA.rstrip("\n") + "\n"
    assert _formats.parse("dma", gone) == []


@pytest.mark.parametrize("field, value", [
    (("auth", "username"), "user|x"),
    (("auth", "username"), "user\nSMARTHOST evil.example"),
    (("auth", "password"), "pw\nevil|smtp.example.org:x"),
    (("host",), "2001:db8::25"),
])
def test_dma_hostile_values_refused_with_the_field(field, value):
    conn = dict(RELAY, auth=dict(RELAY["auth"]))
    node = conn
    for key in field[:-1]:
        node = node[key]
    node[field[-1]] = value
    with pytest.raises(_common.FormatError) as err:
        _formats.render("dma", [conn], {}, {"path": "/etc/dma"})
    assert str(err.value).startswith("/0/" + "/".join(field) + ":") and "pa ss" not in str(err.value)


def test_dma_description_cannot_add_a_setting():
    conn = dict(RELAY, description="x\nINSECURE\nSMARTHOST evil.example")
    files = _formats.render("dma", [conn], {}, {"path": "/etc/dma"})
    assert "INSECURE" not in dma.read_conf(files["dma.conf"])
    assert dma.read_conf(files["dma.conf"])["SMARTHOST"] == "smtp.example.org"


@pytest.mark.parametrize("fmt", ["exim4", "nullmailer", "dma"])
def test_mta_secret_encodings_cover_what_is_written(fmt):
    """Masking finds the password in the text however the format quoted it."""
    password = "Mta pw\"'^:#$x \\ end"
    conn = dict(RELAY, auth={"username": "mailer", "password": password})
    spec = _formats.get(fmt)
    out = spec.render_files([conn], {}, {"path": "/etc/x"}) if spec.directory else {"f": spec.render([conn])}
    text = "\n".join(v for v in out.values() if v)
    masked = text
    for variant in sorted(spec.secret_encodings(password), key=len, reverse=True):
        masked = masked.replace(variant, "********")
    assert "Mta pw" not in masked


# The smtpd.conf Debian's opensmtpd package installs (/etc/smtpd.conf).
DEBIAN_SMTPD = """\
#\t$OpenBSD: smtpd.conf,v 1.10 2018/05/24 11:40:17 gilles Exp $

# This is the smtpd server system-wide configuration file.
# See smtpd.conf(5) for more information.

table aliases file:/etc/aliases

listen on localhost

action "local" maildir alias <aliases>
action "relay" relay

match for local action "local"
match from local for any action "relay"
"""
SMTPD_OPTIONS = {"path": "/etc/smtpd.conf"}


def smtpd_action(files):
    """The words of the relay action as smtpd.conf's lexer reads them."""
    actions = [opensmtpd.words(joined) for _f, _l, joined in opensmtpd.logical_lines(files["smtpd.conf"])
               if opensmtpd.words(joined)[:2] == ["action", "relay"]]
    assert len(actions) == 1
    return actions[0]


def test_opensmtpd_files_and_kept_lines():
    files = _formats.render("opensmtpd", [RELAY], {"smtpd.conf": DEBIAN_SMTPD, "smtpd.secrets": "# relays\n"},
                            SMTPD_OPTIONS)
    conf = files["smtpd.conf"]
    kept = [ln for ln in DEBIAN_SMTPD.splitlines() if ln != 'action "relay" relay']
    assert [ln for ln in conf.splitlines() if ln in kept] == kept
    assert smtpd_action(files) == ["action", "relay", "relay", "host", "smtp+tls://mailops@smtp.example.org:587",
                                   "auth", "<mailops_secrets>", "ca", "mailops_ca", "mail-from",
                                   "noreply@example.org"]
    # the table and the CA are declared before the action that names them, the match rule after it
    lines = conf.splitlines()
    action_at = [i for i, ln in enumerate(lines) if ln.startswith('action "relay"')][0]
    table_at = lines.index('table mailops_secrets "file:/etc/smtpd.secrets"')
    ca_at = lines.index('ca mailops_ca cert "/etc/ssl/private-ca.pem"')
    assert table_at < ca_at < action_at < lines.index('match from local for any action "relay"')
    assert conf.count("match from local for any action") == 1 and "pa ss" not in conf
    assert files["smtpd.secrets"] == "# relays\n%s\nmailops mailer@example.org:pa ss\"wo:rd^$\n" % (
        _common.header_lines()[0])
    assert _formats.parse("opensmtpd", files) == [_common.canonical(RELAY)]
    assert _formats.render("opensmtpd", [RELAY], files, SMTPD_OPTIONS) == files


@pytest.mark.parametrize("change, url, options", [
    ({"security": "tls", "port": 465}, "smtps://mailops@smtp.example.org:465", ["ca"]),
    ({"starttls": "opportunistic", "auth": None}, "smtp://smtp.example.org:587", ["ca"]),
    ({"tls": {"verify": False}}, "smtp+tls://mailops@smtp.example.org:587", ["tls"]),
    ({"security": "none", "port": 25, "auth": None, "tls": {}}, "smtp+notls://smtp.example.org:25", []),
    ({"host": "2001:db8::25"}, "smtp+tls://mailops@[2001:db8::25]:587", ["ca"]),
])
def test_opensmtpd_schemes(change, url, options):
    conn = dict(RELAY, **change)
    if conn.get("auth", 1) is None:
        del conn["auth"]
    files = _formats.render("opensmtpd", [conn], {}, SMTPD_OPTIONS)
    action = smtpd_action(files)
    assert action[4] == url
    assert [w for w in action[5:] if w in ("tls", "ca")] == options
    assert _formats.parse("opensmtpd", files) == [_common.canonical(conn)]


def test_opensmtpd_keeps_unmanaged_action_options_and_continuations():
    current = DEBIAN_SMTPD.replace('action "relay" relay', 'action "relay" relay \\\n    helo mx.example.org srs')
    files = _formats.render("opensmtpd", [RELAY], {"smtpd.conf": current}, SMTPD_OPTIONS)
    assert smtpd_action(files)[-3:] == ["helo", "mx.example.org", "srs"]
    gone = _formats.render("opensmtpd", [], files, SMTPD_OPTIONS)
    assert 'action "relay" relay helo mx.example.org srs\n' in gone["smtpd.conf"]
    assert _formats.parse("opensmtpd", gone) == []


def test_opensmtpd_no_connector_restores_the_packaged_file():
    files = _formats.render("opensmtpd", [RELAY], {"smtpd.conf": DEBIAN_SMTPD}, SMTPD_OPTIONS)
    gone = _formats.render("opensmtpd", [], files, SMTPD_OPTIONS)
    assert gone["smtpd.conf"] == DEBIAN_SMTPD
    assert gone["smtpd.secrets"] == ""


def test_opensmtpd_new_file_and_other_secrets_kept():
    files = _formats.render("opensmtpd", [RELAY], {"smtpd.secrets": "other user:pw\nmailops old:old\n"},
                            {"path": "/srv/mail/smtpd.conf"})
    assert files["smtpd.secrets"].startswith("other user:pw\n") and "old:old" not in files["smtpd.secrets"]
    assert 'table mailops_secrets "file:/srv/mail/smtpd.secrets"' in files["smtpd.conf"]
    assert files["smtpd.conf"].endswith('match from local for any action "relay"\n')


def test_opensmtpd_reads_hand_written_forms():
    conf = ('table secrets file:/etc/mail/secrets\naction relay relay host smtp+tls://bob@mail.example.net tls \\\n'
            '  auth <secrets> # relay of the site\nmatch from local for any action relay\n')
    conn = _formats.parse("opensmtpd", {"smtpd.conf": conf, "smtpd.secrets": "bob: me@example.net:pw\n"},
                          {"default_name": "site"})[0]
    assert (conn["name"], conn["host"], conn["port"], conn["security"], conn["starttls"]) == (
        "site", "mail.example.net", 25, "starttls", "required")
    assert conn["auth"] == {"username": "me@example.net", "password": "pw"}


@pytest.mark.parametrize("field, value", [
    (("auth", "username"), "user:name"),
    (("auth", "username"), "user\nmailops evil:x"),
    (("auth", "password"), "pw\nmailops evil:x"),
    (("host",), 'smtp.example.org" auth <x>'),
    (("host",), "smtp.example.org\naction evil relay"),
    (("tls", "ca_file"), '/etc/ca.pem" tls no-verify "'),
    (("senders", "default"), 'a"b@example.org'),
    (("auth",), "none"),
    (("auth",), "opportunistic"),
])
def test_opensmtpd_hostile_values_refused_with_the_field(field, value):
    conn = dict(RELAY, auth=dict(RELAY["auth"]), tls=dict(RELAY["tls"]), senders=dict(RELAY["senders"]))
    if field == ("auth",):
        conn.update(dict(security="none", port=25) if value == "none" else dict(starttls="opportunistic"))
    else:
        node = conn
        for key in field[:-1]:
            node = node[key]
        node[field[-1]] = value
    with pytest.raises(_common.FormatError) as err:
        _formats.render("opensmtpd", [conn], {}, SMTPD_OPTIONS)
    assert str(err.value).startswith("/0/" + "/".join(field) + ":") and "pa ss" not in str(err.value)


def test_opensmtpd_text_fields_cannot_add_a_directive():
    conn = dict(RELAY, description='x\naction "relay" relay host "smtp+notls://evil.example" # \\')
    files = _formats.render("opensmtpd", [conn], {}, SMTPD_OPTIONS)
    assert smtpd_action(files)[4] == "smtp+tls://mailops@smtp.example.org:587"
    assert _formats.parse("opensmtpd", files)[0]["description"] == conn["description"]


def test_opensmtpd_one_connector_and_its_secret_only_in_the_table():
    with pytest.raises(_common.FormatError, match="^/1/name: "):
        _formats.render("opensmtpd", [RELAY, dict(RELAY, name="second")], {}, SMTPD_OPTIONS)
    spec = _formats.get("opensmtpd")
    files = spec.render_files([RELAY], {}, SMTPD_OPTIONS)
    assert [k for k, v in files.items() if "pa ss" in (v or "")] == ["smtpd.secrets"]
    assert spec.holds_secret("smtpd.secrets", [RELAY], SMTPD_OPTIONS)
    assert not spec.holds_secret("smtpd.conf", [RELAY], SMTPD_OPTIONS)
    assert spec.files("/etc/smtpd.conf") == {"smtpd.conf": "/etc/smtpd.conf", "smtpd.secrets": "/etc/smtpd.secrets"}
