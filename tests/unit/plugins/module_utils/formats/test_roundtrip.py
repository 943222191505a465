# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Property: for every format with a parser, parsed(rendered(x)) == x, and rendering is deterministic."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ansible_collections.mailops.smtp.plugins.module_utils import _formats
from ansible_collections.mailops.smtp.plugins.module_utils._formats import _common, yamlfile
from ansible_collections.mailops.smtp.tests.unit.depth import knob
from ansible_collections.mailops.smtp.tests.unit.plugins.module_utils.formats.strategies import connector_lists, connectors

# The thorough units stage runs the formats of the programs' own files (exim4 ... opensmtpd, the
# applications) at 1000 examples each; the data formats that came first (json, yaml, env, ini,
# msmtp, javamail, postfix), whose list strategies cost the most per example, at up to 300.
SETTINGS = settings(max_examples=knob("MAILOPS_HYPOTHESIS_EXAMPLES", 100), deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
DATA_SETTINGS = settings(SETTINGS, max_examples=min(300, knob("MAILOPS_HYPOTHESIS_EXAMPLES", 100)))


def canonical(conns):
    return [_common.canonical(c) for c in conns]


@pytest.mark.parametrize("fmt", ["json", "yaml", "env", "ini", "msmtp"])
@DATA_SETTINGS
@given(conns=connector_lists())
def test_many_connectors_round_trip(fmt, conns):
    text = _formats.render(fmt, conns)
    assert _formats.parse(fmt, text) == canonical(conns)
    # Deterministic, and rendering over its own output changes nothing (idempotence).
    assert _formats.render(fmt, conns) == text
    assert _formats.render(fmt, conns, text) == text
    assert text.endswith("\n") and _common.MANAGED_MARK in text


@DATA_SETTINGS
@given(conns=connector_lists())
def test_yaml_without_pyyaml_round_trip(monkeypatch, conns):
    """Hosts without PyYAML read the files with the built-in reader."""
    monkeypatch.setattr(yamlfile, "_pyyaml", None)
    assert yamlfile.parse(yamlfile.render(conns)) == canonical(conns)


# One connector per file, every model field: native keys plus the format's record.
APP_FORMATS = [("django", {"path": "/srv/app/mail_settings.py"}), ("django", {"path": "/srv/app/.env"}),
               ("gitea", None), ("gitea", {"path": "/srv/gitea/gitea.env"}), ("gitlab", None), ("nextcloud", None),
               ("redmine", None)]
GRAFANA_FORMATS = [("grafana", {"path": "/etc/grafana/grafana.ini"}), ("grafana", {"path": "/etc/default/grafana-server"})]


@pytest.mark.parametrize("fmt, options", APP_FORMATS)
@SETTINGS
@given(conn=connectors())
def test_application_round_trip(fmt, options, conn):
    text = _formats.render(fmt, [conn], None, options)
    assert _formats.parse(fmt, text, options) == canonical([conn])
    assert _formats.render(fmt, [conn], None, options) == text
    assert _formats.render(fmt, [conn], text, options) == text
    assert text.endswith("\n") and _common.MANAGED_MARK in text


def _dotenv_ok(conn):
    """dotenv's documented limit: no value with both ' and \\ (mastodon)."""
    return not any("'" in str(v) and "\\" in str(v) for _p, v in _common.flatten(_common.canonical(conn)))


@SETTINGS
@given(conn=connectors().filter(_dotenv_ok))
def test_mastodon_round_trip(conn):
    text = _formats.render("mastodon", [conn])
    assert _formats.parse("mastodon", text) == canonical([conn])
    assert _formats.render("mastodon", [conn], text) == text


def _grafana_ok(conn):
    """Grafana's documented limits: implicit TLS exactly on port 465, no ${...} in values (it expands them)."""
    norm = _common.canonical(conn)
    texts = [str(v) for _p, v in _common.flatten(norm)]
    return (norm["port"] == 465) == (norm["security"] == "tls") and not any("${" in t or "$__" in t for t in texts)


@pytest.mark.parametrize("fmt, options", GRAFANA_FORMATS)
@SETTINGS
@given(conn=connectors().map(lambda c: dict(c, port=465) if c.get("security") == "tls" else c).filter(_grafana_ok))
def test_grafana_round_trip(fmt, options, conn):
    text = _formats.render(fmt, [conn], None, options)
    assert _formats.parse(fmt, text, options) == canonical([conn])
    assert _formats.render(fmt, [conn], text, options) == text


@DATA_SETTINGS
@given(conn=connectors())
def test_javamail_round_trip(conn):
    text = _formats.render("javamail", [conn])
    assert _formats.parse("javamail", text) == canonical([conn])
    assert _formats.render("javamail", [conn], text) == text


def _postfix_ok(conns):
    """The documented limits of the postfix format (one relay per connector, shared globals)."""
    relays = set()
    for conn in canonical(conns):
        relay = (conn["host"].rstrip("."), conn["port"])
        if relay in relays:
            return False
        relays.add(relay)
    norm = canonical(conns)
    if any(c["security"] == "tls" for c in norm) and any(c["security"] != "tls" for c in norm):
        return False
    cafile = norm[0]["tls"].get("ca_file")
    return all(c["tls"].get("ca_file") == cafile or c["security"] == "none" for c in norm)


@DATA_SETTINGS
@given(conns=connector_lists(max_size=3, simple_secrets=True).filter(_postfix_ok))
def test_postfix_round_trip(conns):
    files = _formats.render("postfix", conns)
    present = dict((k, v) for k, v in files.items() if v is not None)
    assert _formats.parse("postfix", present) == canonical(conns)
    assert _formats.render("postfix", conns, present) == files


@pytest.mark.parametrize("fmt", ["env", "ini", "javamail"])
@DATA_SETTINGS
@given(conn=connectors(simple_secrets=True), data=st.data())
def test_keymap_round_trip_of_mapped_fields(fmt, conn, data):
    fields = data.draw(st.lists(st.sampled_from(["host", "port", "security", "auth.username", "auth.password",
                                                 "senders.default", "timeout", "tls.verify"]),
                                min_size=1, unique=True))
    keymap = dict((f, "APP_" + f.upper().replace(".", "_")) for f in fields)
    options = {"keymap": keymap, "default_name": conn["name"]}
    text = _formats.render(fmt, [conn], "# other\nOTHER_SETTING=1\n" if fmt == "env" else None, options)
    back = _formats.parse(fmt, text, options)
    want = _common.canonical(conn)
    flat_back = dict(_common.flatten(back[0])) if back else {}
    flat_want = dict(_common.flatten(want))
    for field in fields:
        path = tuple(field.split("."))
        if path in flat_want:
            assert flat_back.get(path) == flat_want[path], field
    if fmt == "env":
        assert "OTHER_SETTING=1" in text


def _exim4_ok(conn):
    """The documented limits of the exim4 and dma formats: a host name or IPv4 smarthost."""
    return ":" not in conn["host"]


@SETTINGS
@given(conn=connectors().filter(_exim4_ok))
def test_exim4_round_trip(conn):
    files = _formats.render("exim4", [conn], {})
    present = dict((k, v) for k, v in files.items() if v is not None)
    assert _formats.parse("exim4", present) == canonical([conn])
    assert _formats.render("exim4", [conn], present) == files


@SETTINGS
@given(conn=connectors())
def test_nullmailer_round_trip(conn):
    text = _formats.render("nullmailer", [conn])
    assert _formats.parse("nullmailer", text) == canonical([conn])
    assert _formats.render("nullmailer", [conn], text) == text


def _dma_ok(conn):
    """The documented limits of the dma format: also no '|' in the user name (auth.conf's separator), and no
    '#' first (auth.conf's comment)."""
    user = (conn.get("auth") or {}).get("username", "")
    return _exim4_ok(conn) and "|" not in user and not user.startswith("#")


def test_dma_refuses_a_user_name_that_auth_conf_would_read_as_a_comment():
    conn = {"name": "relay", "host": "smtp.example.org", "senders": {"default": "a@example.org"},
            "auth": {"username": "#ops", "password": "pw"}}
    with pytest.raises(_common.FormatError, match=r"/0/auth/username: auth.conf cannot hold a user name that starts"):
        _formats.render("dma", [conn], {}, {"path": "/etc/dma"})


@SETTINGS
@given(conn=connectors().filter(_dma_ok))
def test_dma_round_trip(conn):
    files = _formats.render("dma", [conn], {}, {"path": "/etc/dma"})
    present = dict((k, v) for k, v in files.items() if v is not None)
    assert _formats.parse("dma", present) == canonical([conn])
    assert _formats.render("dma", [conn], present, {"path": "/etc/dma"}) == files


def _opensmtpd_ok(conn):
    """The documented limits of the opensmtpd format: credentials only with mandatory TLS."""
    norm = _common.canonical(conn)
    return not (norm.get("auth") and (norm["security"] == "none" or norm.get("starttls") == "opportunistic"))


@SETTINGS
@given(conn=connectors().filter(_opensmtpd_ok))
def test_opensmtpd_round_trip(conn):
    options = {"path": "/etc/smtpd.conf"}
    files = _formats.render("opensmtpd", [conn], {}, options)
    present = dict((k, v) for k, v in files.items() if v is not None)
    assert _formats.parse("opensmtpd", present) == canonical([conn])
    assert _formats.render("opensmtpd", [conn], present, options) == files
