# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What validation says about a connector written for an application that cannot enforce it.

The capability declarations of the application formats, as the issue lists them: Gitea's
smtp+starttls, GitLab's enable_starttls_auto and Nextcloud's auto STARTTLS fall back to clear
text (required STARTTLS is refused unless accepted); Django's EMAIL_USE_TLS is stricter than
opportunistic; Grafana can require it (MandatoryStartTLS).
"""

from __future__ import annotations

import pytest

from ansible_collections.mailops.smtp.plugins.module_utils import _format_rules

BASE = {"name": "app", "host": "smtp.example.org", "port": 587, "auth": {"username": "u", "password": "Cap-S3cret"},
        "senders": {"default": "app@example.org"}}


def findings(fmt, **change):
    return [(f["rule"], f["path"]) for f in _format_rules.format_rules([dict(BASE, **change)], fmt)]


@pytest.mark.parametrize("fmt", ["gitea", "gitlab", "nextcloud"])
def test_required_starttls_is_refused_where_the_program_falls_back_to_clear_text(fmt):
    assert ("SMTP120", "/0/starttls") in findings(fmt, starttls="required")
    assert ("SMTP121", "/0/starttls") in findings(fmt, starttls="required", accept_weaker=["starttls_required"])
    assert not [f for f in findings(fmt, starttls="opportunistic", allow_plaintext_auth=True) if f[1] == "/0/starttls"]


@pytest.mark.parametrize("fmt", ["django", "grafana", "redmine", "mastodon"])
def test_required_starttls_passes_where_the_program_enforces_it(fmt):
    assert not [f for f in findings(fmt, starttls="required") if f[1] == "/0/starttls"]


def test_django_is_stricter_than_opportunistic_and_than_verify_off():
    assert ("SMTP122", "/0/starttls") in findings("django", starttls="opportunistic")
    assert ("SMTP122", "/0/tls/verify") in findings("django", tls={"verify": False})


@pytest.mark.parametrize("fmt", ["django", "grafana", "gitea"])
def test_a_private_ca_file_is_refused_where_the_program_takes_none(fmt):
    assert ("SMTP120", "/0/tls/ca_file") in findings(fmt, tls={"ca_file": "/etc/ssl/ca.pem"})


@pytest.mark.parametrize("fmt", ["gitlab", "nextcloud", "redmine", "mastodon"])
def test_a_private_ca_file_is_written_where_the_program_takes_one(fmt):
    assert not [f for f in findings(fmt, tls={"ca_file": "/etc/ssl/ca.pem"}) if f[1] == "/0/tls/ca_file"]


def test_tls_1_3_is_refused_where_no_setting_enforces_it():
    for fmt in ("django", "grafana", "gitea", "gitlab", "nextcloud", "redmine", "mastodon"):
        assert ("SMTP120", "/0/tls/min_version") in findings(fmt, tls={"min_version": "1.3"}), fmt
        assert not [f for f in findings(fmt) if f[1] == "/0/tls/min_version"], fmt


def test_redmine_sender_lives_in_its_database():
    assert ("SMTP120", "/0/senders/default") in findings("redmine")
    assert ("SMTP121", "/0/senders/default") in findings("redmine", accept_weaker=["envelope_sender"])


@pytest.mark.parametrize("fmt", ["django", "grafana", "gitea", "gitlab", "nextcloud", "redmine", "mastodon"])
def test_one_connector_per_file(fmt):
    rules = [f["rule"] for f in _format_rules.format_rules([BASE, dict(BASE, name="other")], fmt)]
    assert "SMTP123" in rules
