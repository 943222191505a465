# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A run of mailops.smtp.connector on a host loads only what it uses.

The registry imports a format's module when the format is first used, while the module payload
still ships every format; and the module trusts the controller's validation only for exactly
the arguments the action plugin checked.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ansible_collections.mailops.smtp.plugins.module_utils import _apply, _formats
from ansible_collections.mailops.smtp.plugins.modules import connector as connector_module
from ansible_collections.mailops.smtp.tests.unit.plugins.hosts import run_module

ROOT = Path(__file__).resolve().parents[4]
FORMATS_DIR = ROOT / "plugins" / "module_utils" / "_formats"
COLLECTIONS = ROOT.parents[2]
PACKAGE = "ansible_collections.mailops.smtp.plugins.module_utils._formats"
SECRET = "Light-Sentinel-51c2"
CONN = {"name": "relay", "host": "smtp.example.org", "port": 587, "auth": {"username": "u@example.org",
                                                                           "password": SECRET},
        "senders": {"default": "app@example.org"}}


def format_files():
    return sorted(p.stem for p in FORMATS_DIR.glob("*.py") if not p.stem.startswith("_"))


def test_every_format_name_maps_to_its_module_and_every_module_has_a_name():
    modules = []
    for name in _formats.NAMES:
        module = _formats.module_of(name)
        assert module.__name__.startswith(PACKAGE + ".")
        assert module.FORMAT.name == name and _formats.FORMATS[name] is module.FORMAT
        modules.append(module.__name__.rsplit(".", 1)[-1])
    assert sorted(modules) == format_files()
    assert len(set(_formats.NAMES)) == len(_formats.NAMES)
    with pytest.raises(KeyError):
        _formats.module_of("sendmail")
    assert "sendmail" not in _formats.FORMATS and ["msmtp"] not in _formats.FORMATS
    assert _formats.FORMATS.get("sendmail") is None


def test_a_format_is_imported_when_it_is_first_used():
    code = (
        "import sys\n"
        "from ansible_collections.mailops.smtp.plugins.module_utils import _apply, _formats\n"
        "def loaded():\n"
        "    return sorted(m.rsplit('.', 1)[-1] for m in sys.modules if m.startswith(%r + '.')\n"
        "                  and not m.rsplit('.', 1)[-1].startswith('_'))\n"
        "print(loaded())\n"
        "assert 'json' in _formats.FORMATS and sorted(_formats.FORMATS) == sorted(_formats.NAMES)\n"
        "spec = _apply.argument_spec('msmtp')\n"
        "print(loaded())\n"
        "print(sorted(k for k in spec if k in ('default_connector', 'keymap', 'postmap')))\n"
        "print('_validate' in ' '.join(sys.modules), 'jsonschema' in sys.modules)\n" % PACKAGE)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(COLLECTIONS)] + sys.path))
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=False)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == ["[]", "['msmtp']", "['default_connector']", "False False"]


def test_the_full_argument_spec_has_every_format_option():
    full = _apply.argument_spec()
    for name in _formats.NAMES:
        one = _apply.argument_spec(name)
        assert set(one) <= set(full)
        assert set(one) - set(_apply.argument_spec("json")) == set(_formats.FORMATS[name].options)
    assert full[_apply.CONTROLLER_CHECK] == {"type": "str", "no_log": True}


def test_the_digest_survives_the_trip_to_the_module_and_nothing_else_does():
    args = {"format": "msmtp", "path": "/etc/msmtprc", "state": "replaced", "config": [CONN]}
    digest = _apply.controller_digest(args)
    received = json.loads(json.dumps(dict(args, controller_check=digest, _ansible_check_mode=False)))
    assert _apply.controller_checked(received)
    changed = json.loads(json.dumps(received))
    changed["config"][0]["auth"]["password"] = SECRET + "x"
    assert not _apply.controller_checked(changed)
    assert not _apply.controller_checked(dict(received, state="overridden"))
    assert not _apply.controller_checked(dict(received, format="json"))
    assert not _apply.controller_checked(dict(received, controller_check=None))
    assert not _apply.controller_checked(dict(args))
    # Data that JSON cannot carry as it is gets no digest (the module then checks for itself).
    assert _apply.controller_digest(dict(args, config=[{1: "a", "b": 2}])) is None


def test_a_vouched_run_writes_and_hides_the_digest(tmp_path):
    args = {"format": "msmtp", "path": str(tmp_path / "msmtprc"), "config": [CONN]}
    result, text = run_module(connector_module, dict(args, controller_check=_apply.controller_digest(args)))
    assert result["changed"] is True and not result.get("failed"), text
    assert "account relay" in (tmp_path / "msmtprc").read_text()
    # ansible-core 2.21 returns no invocation; where it does, the digest is masked like a secret.
    shown = result.get("invocation", {}).get("module_args", {})
    assert shown.get("controller_check", "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER") == "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"
    assert SECRET not in text and _apply.controller_digest(args) not in text


def test_a_digest_of_other_arguments_does_not_open_the_door(tmp_path):
    good = {"format": "msmtp", "path": str(tmp_path / "msmtprc"), "config": [CONN]}
    bad = dict(good, config=[dict(CONN, port=70000, host="smtp.example.org\nhost evil.example")])
    result, text = run_module(connector_module, dict(bad, controller_check=_apply.controller_digest(good)))
    assert result.get("failed") is True, text
    assert "/config/0/port" in result["msg"] and "/config/0/host" in result["msg"]
    assert os.listdir(str(tmp_path)) == []
    # Without the action plugin, an option of another format is judged by the module itself.
    result, text = run_module(connector_module, dict(good, keymap={"host": "SMTP_HOST"}))
    assert result.get("failed") is True and "keymap: only for formats env, ini, javamail" in result["msg"], text


def test_the_payload_ships_every_format_and_the_host_imports_one(tmp_path):
    """Through the action plugin, as a task runs it; the payload kept and run again by hand."""
    remote = tmp_path / "remote"
    remote.mkdir()
    env = dict(os.environ, ANSIBLE_KEEP_REMOTE_FILES="1", ANSIBLE_REMOTE_TMP=str(remote),
               ANSIBLE_COLLECTIONS_PATH=str(COLLECTIONS), ANSIBLE_HOME=str(tmp_path / "home"),
               ANSIBLE_LOCALHOST_WARNING="0", ANSIBLE_INVENTORY_UNPARSED_WARNING="0", ANSIBLE_NOCOLOR="1")
    args = {"format": "msmtp", "path": str(tmp_path / "msmtprc"), "config": [CONN]}
    # A file to update: the action plugin creates absent files itself (_file_create), an update runs the module.
    (tmp_path / "msmtprc").write_text("# written before\n")
    # ansible-test gives the tests an ansible package without its command line: run the real one.
    env.pop("PYTHONPATH", None)
    proc = subprocess.run([str(Path(sys.executable).parent / "ansible"), "localhost", "-c", "local", "-e",
                           "ansible_python_interpreter=%s" % sys.executable, "-m", "mailops.smtp.connector",
                           "-a", json.dumps(args)], capture_output=True, text=True, env=env, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "account relay" in (tmp_path / "msmtprc").read_text()
    payloads = list(remote.glob("*/AnsiballZ_connector.py"))
    assert len(payloads) == 1, list(remote.rglob("*"))
    payload = payloads[0]

    explode = subprocess.run([sys.executable, str(payload), "explode"], capture_output=True, text=True,
                             cwd=str(payload.parent), check=False)
    assert explode.returncode == 0, explode.stderr
    shipped = payload.parent / "debug_dir" / "ansible_collections" / "mailops" / "smtp" / "plugins" / \
        "module_utils" / "_formats"
    assert sorted(p.stem for p in shipped.glob("*.py") if not p.stem.startswith("_")) == format_files()

    again = subprocess.run([sys.executable, "-X", "importtime", str(payload)], capture_output=True, text=True,
                           cwd=str(tmp_path), check=False)
    assert json.loads(again.stdout)["changed"] is False, again.stdout
    imported = [line.rsplit("|", 1)[-1].strip() for line in again.stderr.splitlines() if "|" in line]
    formats = sorted(m.rsplit(".", 1)[-1] for m in imported if m.startswith(PACKAGE + ".")
                     and not m.rsplit(".", 1)[-1].startswith("_"))
    assert formats == ["msmtp"]
    assert not [m for m in imported if m.endswith(("._validate", "._rules", "._format_rules"))
                or m.split(".")[0] == "jsonschema"]
