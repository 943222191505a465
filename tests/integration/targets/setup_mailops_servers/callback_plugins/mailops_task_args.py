# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A callback that records what callbacks receive of each task's arguments with its result.

For tests: one JSON line per result (task name, action, arguments) appended to the file named by
MAILOPS_TASK_ARGS_FILE, the way a callback that logs or ships task arguments would see them.
"""

from __future__ import annotations

import json
import os

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = """
name: mailops_task_args
type: aggregate
short_description: record each result's task arguments as callbacks receive them (tests only)
description: Appends one JSON line per task result to the file named by MAILOPS_TASK_ARGS_FILE.
requirements: [enabled in callbacks_enabled]
"""


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "mailops_task_args"
    CALLBACK_NEEDS_ENABLED = True

    def _record(self, result):
        task = result.task if hasattr(result, "task") else result._task  # pylint: disable=protected-access  # < 2.19
        line = {"task": task.get_name(), "action": task.action, "args": task.args}
        with open(os.environ["MAILOPS_TASK_ARGS_FILE"], "a", encoding="utf-8") as handle:
            handle.write(json.dumps(line, default=str) + "\n")

    def v2_runner_on_ok(self, result):
        self._record(result)

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._record(result)
