# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Progress of a long check run: counts in a small file that the controller reads while the module runs.

Private to the collection: may change without notice. Mirrors plugins/doc_fragments/progress.py.

The module writes {"done", "total", "failed"} to the file named by its progress_file option: counts
only, never a connector's name, host or secret. The file is replaced atomically (a temporary file
beside it, then os.replace), so a reader sees the previous counts or the new ones, never half a
file, and at most once per MIN_WRITE_INTERVAL, so 10,000 results cost a few dozen writes. Without
the option the module writes nothing. The action plugins of the check modules name the file and
print one line per progress_interval (plugins/plugin_utils/_check_action.py).
"""

from __future__ import annotations

import json
import os
import time

MIN_WRITE_INTERVAL = 1.0
"""Seconds between two writes of the file (the last count is always written)."""


def argument_spec():
    """The options every check module declares (documented in doc fragment mailops.smtp.progress)."""
    return {"progress_interval": {"type": "int", "default": 10}, "progress_file": {"type": "path"}}


def check_option(module):
    """Fail the module early on a negative progress_interval."""
    interval = module.params.get("progress_interval")
    if interval is not None and interval < 0:
        module.fail_json(msg="progress_interval: must be 0 (no progress lines) or a number of seconds, got %s"
                             % interval)


class Reporter:
    """Counts results as they complete and keeps the progress file up to date (a no-op without a path).

    Progress is a courtesy: a file that cannot be written stops the writes, never the check.
    """

    def __init__(self, path, total, clock=time.monotonic, min_interval=MIN_WRITE_INTERVAL):
        self.path = path
        self.total = int(total)
        self.done = 0
        self.failed = 0
        self.writes = 0
        self._clock = clock
        self._min_interval = min_interval
        self._last = None
        self.write()

    def add(self, failed=False):
        """One more result (failed or not); writes the file when the last write is old enough."""
        self.done += 1
        if failed:
            self.failed += 1
        if self.done >= self.total or self._clock() - self._last >= self._min_interval:
            self.write()

    async def count(self, awaitable, failed):
        """The result of awaitable, counted as it completes; failed(result) says whether it failed."""
        result = await awaitable
        self.add(failed(result))
        return result

    def counts(self):
        return {"done": self.done, "total": self.total, "failed": self.failed}

    def write(self):
        self._last = self._clock()
        if not self.path:
            return
        temporary = "%s.%d.tmp" % (self.path, os.getpid())
        try:
            with open(temporary, "w", encoding="utf-8") as handle:
                json.dump(self.counts(), handle)
            os.replace(temporary, self.path)
            self.writes += 1
        except (OSError, ValueError):
            self.path = None
            try:
                os.unlink(temporary)
            except OSError:
                pass


def read(path):
    """The counts in a progress file, or None while it is missing, being replaced or not progress at all."""
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict):
        return None
    counts = {}
    for key in ("done", "total", "failed"):
        value = data.get(key)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            return None
        counts[key] = value
    return counts


def line(label, counts, elapsed):
    """The status line for one tick: 'LABEL: 4200/10000 done (3 failed), 41 s elapsed'."""
    seconds = "%d s elapsed" % int(elapsed)
    if counts is None:
        return "%s: starting, %s" % (label, seconds)
    return "%s: %d/%d done (%d failed), %s" % (label, counts["done"], counts["total"], counts["failed"], seconds)
