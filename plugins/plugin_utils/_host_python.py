# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Which Python a module would run with on the host, as far as the controller can tell without asking it.

Private to the collection: may change without notice.
"""

from __future__ import annotations

import os
import sys

from ansible.errors import AnsibleError


def interpreter_of(task_vars, template):
    """The target's Python as the inventory names it (a path, a command such as '/usr/bin/env python3',
    or a name the host's PATH finds, as Ansible runs it) or as discovery found it earlier in the play;
    None when neither says (the module's run discovers it)."""
    value = task_vars.get("ansible_python_interpreter")
    if isinstance(value, str) and "{" in value:
        try:
            value = template(value)
        except AnsibleError:
            return None
    if not isinstance(value, str) or not value.strip() or value.strip().startswith("auto"):
        facts = task_vars.get("ansible_facts") or {}
        value = facts.get("discovered_interpreter_python") if isinstance(facts, dict) else None
    if not isinstance(value, str) or not value.strip() or "\n" in value:
        return None
    return str(value).strip()


def is_controller_python(interpreter):
    """Whether interpreter names this very Python by its path (not through a symbolic link's target: a
    virtual environment's python links to the system's, whose packages differ)."""
    if not interpreter or not os.path.isabs(interpreter) or " " in interpreter:
        return False
    return os.path.normpath(interpreter) == os.path.normpath(sys.executable)
