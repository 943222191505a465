# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A file format is one room: the generic apply path and the connector plugins name no format."""

from __future__ import annotations

import ast
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from ansible_collections.mailops.smtp.plugins.module_utils import _apply, _formats
from ansible_collections.mailops.smtp.plugins.module_utils._formats import _base

ROOT = Path(__file__).resolve().parents[4]
GENERIC = ("plugins/module_utils/_apply.py", "plugins/action/connector.py", "plugins/modules/connector.py")
DOC_VARIABLES = ("DOCUMENTATION", "EXAMPLES", "RETURN")


FOREIGN_NAMES = ("fail_json", "exit_json", "trust_as_template", "copy_with_new_env", "template")
"""Ansible's own API names that happen to contain a format's name (Templar.template, ...)."""


def format_words():
    """Every name a format is known by: its registry name and its module's name."""
    words = set(_formats.FORMATS)
    words.update(_formats.module_of(name).__name__.rsplit(".", 1)[-1] for name in _formats.NAMES)
    return words


def mentions(source, words):
    """(line, what) for every place in source that names a format:

    a string that is a format's name or says 'format <name>', an identifier with a format's
    name as a '_'-separated part, and an import of a format module. The connector module's
    DOCUMENTATION/EXAMPLES/RETURN are user documentation and may list formats; imports of
    modules outside the collection (json, ansible.template) are not formats.
    """
    tree = ast.parse(source)
    skip = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id in DOC_VARIABLES
                                                for t in node.targets):
            skip.add(id(node.value))
    phrase = re.compile(r"\bformats?\s+(%s)\b" % "|".join(sorted(words)), re.I)
    found = []

    def parts(identifier):
        return [] if identifier in FOREIGN_NAMES else identifier.lower().split("_")

    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        texts = []
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            texts = [node.value.strip().lower()] + [m.group(1).lower() for m in phrase.finditer(node.value)]
        elif isinstance(node, ast.Name):
            texts = parts(node.id)
        elif isinstance(node, ast.Attribute):
            texts = parts(node.attr)
        elif isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            texts = parts(node.name)
        elif isinstance(node, ast.arg):
            texts = parts(node.arg)
        elif isinstance(node, ast.ImportFrom) and "mailops.smtp" in (node.module or ""):
            texts = re.split(r"[._]", node.module) + [p for a in node.names for p in re.split(r"[._]", a.name)]
            texts += [p for a in node.names for p in parts(a.asname or "")]
        hits = sorted(words.intersection(texts))
        if hits:
            found.append((getattr(node, "lineno", 0), ", ".join(hits)))
    return found


@pytest.mark.parametrize("relative", GENERIC)
def test_generic_code_names_no_format(relative):
    source = (ROOT / relative).read_text(encoding="utf-8")
    assert mentions(source, format_words()) == []


def test_the_scan_finds_a_format_branch():
    # The check itself: the branches the generic code used to have are found.
    code = ('import json\n'
            'if fmt == "postfix":\n'
            '    x = _template.SIDECAR_SUFFIX\n'
            'from ansible_collections.mailops.smtp.plugins.module_utils._formats import msmtp\n'
            'raise ValueError("keymap: not for format javamail")\n'
            'DEFAULT_POSTFIX_DIR = module.fail_json()\n')
    assert sorted(set(line for line, _what in mentions(code, format_words()))) == [2, 3, 4, 5, 6]


def test_every_format_fills_the_interface():
    for name, fmt in _formats.FORMATS.items():
        assert isinstance(fmt, _base.Format) and fmt.name == name
        assert sorted(fmt.capabilities) == sorted(_base.CAPABILITY_NAMES), name
        for cap, value in fmt.capabilities.items():
            assert value is True or (isinstance(value, _base.Lacks) and value.instead), (name, cap)
        module = sys.modules[type(fmt).__module__]
        assert callable(module.render) and callable(module.parse) and module.FORMAT is fmt, name
        for option in fmt.options.values():
            assert isinstance(option, _base.Option)


def test_format_options_are_in_the_argument_spec():
    spec = _apply.argument_spec()
    assert spec["format"]["choices"] == sorted(_formats.FORMATS)
    for fmt in _formats.FORMATS.values():
        for name, option in fmt.options.items():
            assert spec[name] == option.spec


def test_an_option_for_another_format_is_named():
    assert _formats.check_options("json", {"default_connector": "a"}) == [
        "default_connector: only for formats msmtp, postfix, not json; ignored"]
    with pytest.raises(_base.ApplyError, match="keymap: only for formats env, ini, javamail, not msmtp"):
        _formats.check_options("msmtp", {"keymap": {"host": "H"}})
    assert _formats.check_options("postfix", {"postfix_map_type": "hash", "default_connector": "a"}) == []


def test_validate_checks_the_main_file_only(tmp_path):
    # The validate command checks the product's file; a template's sidecar record is not the product's.
    path = tmp_path / "mailer.conf"
    check = "python3 -c \"import sys; sys.exit(0 if open(sys.argv[1]).read().startswith('server=') else 1)\" %s"
    params = dict(config=[{"name": "relay", "host": "smtp.example.org"}], format="template", path=str(path),
                  state="replaced", content="server=smtp.example.org\n", validate=check, lock_timeout=5)
    result = _apply.run(params, host=RunHost())
    assert result["changed"] is True and path.read_text() == "server=smtp.example.org\n"
    assert (tmp_path / "mailer.conf.mailops.json").exists()
    with pytest.raises(_base.ApplyError, match="validation command failed"):
        _apply.run(dict(params, content="nope\n"), host=RunHost())
    assert path.read_text() == "server=smtp.example.org\n"


class RunHost:
    """Runs commands for real; knows no binaries."""

    @staticmethod
    def run(cmd):
        proc = subprocess.run(shlex.split(cmd) if isinstance(cmd, str) else cmd, capture_output=True, text=True,
                              check=False)
        return proc.returncode, proc.stdout, proc.stderr

    @staticmethod
    def which(name):
        return None
