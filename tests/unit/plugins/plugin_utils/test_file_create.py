# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The one-command first apply: files created as the module creates them, or nothing at all.

The program really runs (a POSIX shell and this Python, on real files, the request on standard
input). What it creates must be what the module would have written: the module, asked afterwards,
finds nothing to change. When anything differs from the read it was planned on, it creates nothing.
"""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys

import pytest

from ansible_collections.mailops.smtp.plugins.module_utils import _formats
from ansible_collections.mailops.smtp.plugins.plugin_utils import _file_create
from ansible_collections.mailops.smtp.tests.unit.plugins.plugin_utils.test_file_read import (
    SECRET,
    core_path_facts,
    decided_formats,
    module,
    params_for,
    planned,
    target,
    write,
)


def create(lock, changes, timeout=5, path=None):
    """What the action plugin runs: the program through a POSIX shell, the request on standard input."""
    proc = subprocess.run(["/bin/sh", "-c", _file_create.command(sys.executable)], check=True, capture_output=True,
                          input=_file_create.request(lock, timeout, changes, path))
    return _file_create.created(proc.stdout.decode("utf-8"))


def listing(directory):
    return sorted(os.listdir(directory))


@pytest.mark.parametrize("fmt", [f for f in decided_formats() if not _formats.get(f).directory])
def test_a_first_apply_creates_what_the_module_would_write(tmp_path, fmt):
    ours, theirs = tmp_path / "ours", tmp_path / "theirs"
    ours.mkdir()
    theirs.mkdir()
    params = params_for(fmt, target(ours, fmt))
    spec, path, changes, result = planned(params)
    assert result["changed"] and set(c["action"] for c in changes) <= {"create", "unchanged"}
    facts, why = create(spec.lock_directory(path), changes, path=path)
    assert why == "" and facts == core_path_facts(path)
    # The module, asked now, finds the files, their modes and their content as it wants them.
    after = module(params)
    assert after["changed"] is False, after
    other = params_for(fmt, target(theirs, fmt))
    write(other)
    assert listing(ours) == listing(theirs)  # the same files, no temporary file left
    for name in listing(ours):
        assert oct(os.stat(ours / name).st_mode) == oct(os.stat(theirs / name).st_mode), name


def test_the_request_carries_the_contents_and_the_command_does_not(tmp_path):
    params = params_for("msmtp", str(tmp_path / "msmtprc"))
    _spec, _path, changes, _result = planned(params)
    assert SECRET not in _file_create.command(sys.executable)
    assert SECRET not in repr(_file_create.request(str(tmp_path), 5, changes))  # base64 on standard input
    assert any(c["action"] == "create" for c in changes)


def test_a_file_that_appeared_since_the_read_is_left_to_the_module(tmp_path):
    params = params_for("msmtp", str(tmp_path / "msmtprc"))
    spec, path, changes, _result = planned(params)
    (tmp_path / "msmtprc").write_text("# written by someone else\n", encoding="utf-8")
    assert create(spec.lock_directory(path), changes) == (None, "LookupError: changed since the read")
    assert (tmp_path / "msmtprc").read_text(encoding="utf-8") == "# written by someone else\n"
    assert listing(tmp_path) == ["msmtprc"]


def test_a_temporary_file_of_an_interrupted_run_is_left_to_the_module(tmp_path):
    params = params_for("msmtp", str(tmp_path / "msmtprc"))
    spec, path, changes, _result = planned(params)
    (tmp_path / ".msmtprc.abcd1234.tmp").write_text("half", encoding="utf-8")
    assert create(spec.lock_directory(path), changes)[0] is None
    assert listing(tmp_path) == [".msmtprc.abcd1234.tmp"]


def test_a_failure_while_writing_removes_every_file_this_run_created(tmp_path):
    first, missing = tmp_path / "a.conf", tmp_path / "gone" / "b.conf"
    changes = [
        {"action": "create", "path": str(first), "text": "one\n", "mode": 0o600, "uid": -1, "gid": -1},
        {"action": "unchanged", "path": str(tmp_path / "c.conf"), "text": "same\n", "mode": 0o644, "uid": -1, "gid": -1},
        {"action": "create", "path": str(missing), "text": "two\n", "mode": 0o600, "uid": -1, "gid": -1},
    ]
    facts, why = create(str(tmp_path), changes)
    assert facts is None and "No such file or directory" in why
    assert listing(tmp_path) == []


def test_a_directory_locked_by_another_run_is_left_to_the_module(tmp_path):
    params = params_for("msmtp", str(tmp_path / "msmtprc"))
    spec, path, changes, _result = planned(params)
    holder = os.open(str(tmp_path), os.O_RDONLY)
    try:
        fcntl.flock(holder, fcntl.LOCK_EX)
        facts, why = create(spec.lock_directory(path), changes, timeout=0)
    finally:
        os.close(holder)
    assert facts is None and why.startswith("lock")
    assert listing(tmp_path) == []


@pytest.mark.parametrize("output", ["", "not json", "[]", '{"created": "yes"}', '{"why": "x"}'])
def test_output_that_is_not_the_programs_means_not_created(output):
    assert _file_create.created(output)[0] is None
