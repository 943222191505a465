# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""test_send's state file: fingerprints that change with settings and never hold a secret."""

from __future__ import annotations

import json
import os
import stat

import pytest

from ansible_collections.mailops.smtp.plugins.module_utils._smtp import state

PASSWORD = "correct-horse-battery-staple"


def conn(**kw):
    base = {"name": "relay", "host": "smtp.example.org", "port": 587, "security": "starttls",
            "auth": {"username": "u@example.org", "password": PASSWORD},
            "senders": {"default": "a@example.org"}, "test": {"to": ["t@example.org"]}}
    base.update(kw)
    return base


def test_fingerprint_tracks_settings_and_secret_without_revealing_it(tmp_path):
    key = state.load_key(str(tmp_path / "s.json"))
    first = state.fingerprint(conn(), key)
    assert first == state.fingerprint(conn(), key)
    assert first != state.fingerprint(conn(port=465, security="tls"), key)
    changed_pw = conn()
    changed_pw["auth"] = dict(changed_pw["auth"], password="another")
    assert first != state.fingerprint(changed_pw, key)
    assert first != state.fingerprint(conn(), key, {"purposes": ["portal"]})


def test_defaults_do_not_change_the_fingerprint(tmp_path):
    key = state.load_key(str(tmp_path / "s.json"))
    explicit = conn(tls={"verify": True, "min_version": "1.2"}, timeout=30)
    assert state.fingerprint(conn(), key) == state.fingerprint(explicit, key)


def test_fingerprint_depends_on_the_local_key(tmp_path):
    assert state.fingerprint(conn(), "a" * 64) != state.fingerprint(conn(), "b" * 64)


def test_files_are_private_and_hold_no_secret(tmp_path):
    path = str(tmp_path / "sub" / "state.json")
    key = state.load_key(path)
    assert state.load_key(path) == key
    state.record_successes(path, {"relay": {"fingerprint": state.fingerprint(conn(), key), "tested_at": "x"}})
    for name in ("state.json", "state.json.key"):
        mode = stat.S_IMODE(os.stat(str(tmp_path / "sub" / name)).st_mode)
        assert mode == 0o600, name
    text = (tmp_path / "sub" / "state.json").read_text()
    assert PASSWORD not in text
    assert json.loads(text)["connectors"]["relay"]["tested_at"] == "x"


def test_record_successes_merges_with_what_others_wrote(tmp_path):
    path = str(tmp_path / "state.json")
    state.record_successes(path, {"a": {"fingerprint": "1"}})
    state.record_successes(path, {"b": {"fingerprint": "2"}})
    assert sorted(state.load_state(path)["connectors"]) == ["a", "b"]


def test_missing_state_is_empty_and_broken_state_is_an_error_naming_the_file(tmp_path):
    path = tmp_path / "state.json"
    assert state.load_state(str(path))["connectors"] == {}
    path.write_text("{not json")
    with pytest.raises(state.StateError) as info:
        state.load_state(str(path))
    assert str(path) in str(info.value)
    assert "state_file" in str(info.value)
