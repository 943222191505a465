# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The reload each format declares, and the reload return value of mailops.smtp.connector on real files."""

from __future__ import annotations

import os

import pytest

from ansible_collections.mailops.smtp.plugins.module_utils import _apply, _formats
from ansible_collections.mailops.smtp.plugins.module_utils._formats import _base

RELAY = {"name": "relay", "host": "smtp.example.org", "port": 587,
         "auth": {"username": "mailer@example.org", "password": "Rel0ad-S3cret"},
         "senders": {"default": "noreply@example.org"}}


class NoCommands:
    """The host seam for formats whose steps need no program: any command is a test failure."""

    def run(self, cmd):
        raise AssertionError("unexpected command %r" % (cmd,))

    def which(self, name):
        return None


def params(**kw):
    out = dict(config=[RELAY], format="json", path=None, state="replaced", template=None, content=None,
               diff_content=None, keymap=None, running_config=None, default_connector=None, backup=False,
               mode=None, owner=None, group=None, validate=None, postfix_map_type="hash", postmap=False,
               postfix_check=False, lock_timeout=5)
    out.update(kw)
    return out


def test_every_format_declares_a_reload_with_a_reason():
    for name, spec in _formats.FORMATS.items():
        steps = spec.reload(spec.default_path or "/srv/app/mail.conf", {})
        assert isinstance(steps, _base.Reload), name
        assert steps.why and "\n" not in steps.why, name
        assert steps.action in (None, "reloaded", "restarted"), name
        assert all(isinstance(c, tuple) and c and all(isinstance(w, str) for w in c) for c in steps.commands), name
        # services without an action would be named for nothing
        assert steps.action or not steps.services, name


@pytest.mark.parametrize("fmt,commands,services,action", [
    ("exim4", [["update-exim4.conf"]], ["exim4"], "reloaded"),
    ("postfix", [], ["postfix"], "reloaded"),
    ("gitlab", [["gitlab-ctl", "reconfigure"]], [], None),
    ("grafana", [], ["grafana-server"], "restarted"),
    ("gitea", [], ["gitea"], "restarted"),
    ("mastodon", [], ["mastodon-sidekiq", "mastodon-web"], "restarted"),
    ("django", [], [], "restarted"),
    ("redmine", [], [], "restarted"),
    ("javamail", [], [], "restarted"),
])
def test_what_each_program_needs_at_its_default_path(fmt, commands, services, action):
    spec = _formats.get(fmt)
    out = spec.reload(spec.default_path or "/srv/app/mail.conf", {}).result(True)
    assert (out["needed"], out["commands"], out["services"], out["action"]) == (True, commands, services, action)


@pytest.mark.parametrize("fmt", ["nullmailer", "dma", "msmtp", "nextcloud"])
def test_programs_that_read_their_files_each_time_need_nothing(fmt):
    spec = _formats.get(fmt)
    out = spec.reload(spec.default_path or "/srv/app/mail.conf", {}).result(True)
    assert out["needed"] is False and out["commands"] == [] and out["action"] is None


def test_a_private_configuration_directory_is_named_in_the_command():
    assert _formats.get("exim4").reload("/srv/exim4/", {}).commands == (("update-exim4.conf", "--confdir", "/srv/exim4"),)
    postfix = _formats.get("postfix").reload("/srv/postfix-out", {})
    assert postfix.commands == (("postfix", "-c", "/srv/postfix-out", "reload"),) and postfix.action is None


def test_a_reload_action_must_be_known():
    with pytest.raises(ValueError):
        _base.Reload("x", action="bounced")


def test_reload_is_needed_once_per_change_and_in_check_mode(tmp_path):
    conf = tmp_path / "exim4"
    conf.mkdir()
    p = params(format="exim4", path=str(conf))
    checked = _apply.run(p, NoCommands(), check_mode=True)
    assert checked["changed"] and checked["reload"]["needed"] and not os.listdir(str(conf))
    written = _apply.run(p, NoCommands())
    assert written["reload"] == {
        "needed": True, "commands": [["update-exim4.conf", "--confdir", str(conf)]], "services": ["exim4"],
        "action": "reloaded", "why": "exim4 reads the configuration update-exim4.conf builds from these files"}
    again = _apply.run(p, NoCommands())
    assert again["changed"] is False and again["reload"]["needed"] is False
    gone = _apply.run(params(format="exim4", path=str(conf), state="deleted", config=[]), NoCommands())
    assert gone["changed"] and gone["reload"]["needed"]


def test_an_application_file_asks_for_a_restart_and_nullmailer_for_nothing(tmp_path):
    grafana = _apply.run(params(format="grafana", path=str(tmp_path / "grafana.ini")), NoCommands())
    assert grafana["reload"]["needed"] and grafana["reload"]["services"] == ["grafana-server"]
    remotes = _apply.run(params(format="nullmailer", path=str(tmp_path / "remotes")), NoCommands())
    assert remotes["changed"] and remotes["reload"]["needed"] is False and "reload_needed" in remotes


def test_gathered_returns_no_reload(tmp_path):
    path = str(tmp_path / "smtp.json")
    _apply.run(params(path=path), NoCommands())
    assert "reload" not in _apply.run(params(path=path, state="gathered"), NoCommands())
