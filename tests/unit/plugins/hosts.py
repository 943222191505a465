# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Stand-ins for the connector module's target seam (_apply.Host) in tests, and a module run in-process."""

from __future__ import annotations

import contextlib
import io
import json
from unittest import mock

import pytest
from ansible.module_utils import basic

try:  # ansible-core >= 2.19
    from ansible.module_utils._internal._json import _profiles
except ImportError:
    _profiles = None


def _module_decoding():
    """The parameters decoded as in a module's own process.

    Once controller code is imported in a process (other tests in the same pytest run), ansible-core
    2.19+ refuses any string that is not valid UTF-8 while it decodes a module's parameters, before
    the module sees them; a module's process does not, and the module then refuses the value itself.
    """
    if _profiles is None or not hasattr(_profiles, "_string_encoding_check_enabled"):
        return contextlib.nullcontext()
    return mock.patch.object(_profiles, "_string_encoding_check_enabled", lambda: False)


def run_module(module, args):
    """Run a module's main() in this process as AnsibleModule would from a task; returns its JSON result and text."""
    basic._ANSIBLE_ARGS = json.dumps({"ANSIBLE_MODULE_ARGS": args}).encode("utf-8", "surrogatepass")
    basic._ANSIBLE_PROFILE = "legacy"
    out = io.StringIO()
    with contextlib.redirect_stdout(out), pytest.raises(SystemExit), _module_decoding():
        module.main()
    text = out.getvalue()
    return json.loads(text), text


class NoHost:
    """A host with no programs: for formats that run none (every format but postfix)."""

    @staticmethod
    def run(cmd):
        raise AssertionError("no command expected, got %r" % (cmd,))

    @staticmethod
    def which(name):
        return None
