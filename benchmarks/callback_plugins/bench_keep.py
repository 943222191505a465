# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Benchmark instrument: write the result of the tasks named in MAILOPS_BENCH_KEEP_TASK to the JSON
file MAILOPS_BENCH_KEEP, as the result came back from the module.

A benchmark needs the verdicts of its side to compare them with the peer's; a `register` plus a
templated `copy` costs more than the checks themselves at thousands of results, and a user who
runs the module does not pay for it. This keeps the measured run what a user runs.
"""

from __future__ import annotations

import json
import os

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = """
name: bench_keep
type: aggregate
short_description: keep a task's result for the benchmarks
description: Writes the result of the task named in MAILOPS_BENCH_KEEP_TASK to MAILOPS_BENCH_KEEP.
requirements: [enabled in callbacks_enabled]
"""


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "bench_keep"
    CALLBACK_NEEDS_ENABLED = True

    def _keep(self, result):
        path = os.environ.get("MAILOPS_BENCH_KEEP")
        if path and result.task_name == os.environ.get("MAILOPS_BENCH_KEEP_TASK"):
            # One string, one write: json.dump would write the encoder's thousands of pieces one by one,
            # which at a 1 MB result costs a tenth of a second that no user pays.
            text = json.dumps(result._result)  # pylint: disable=protected-access
            with open(path, "w", encoding="utf-8") as handle:
                handle.write(text)

    def v2_runner_on_ok(self, result):
        self._keep(result)

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._keep(result)
