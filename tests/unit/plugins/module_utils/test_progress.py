# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The progress file of the check modules: what the module writes, how often, and what the controller reads."""

from __future__ import annotations

import asyncio
import json
import os

import pytest

from ansible_collections.mailops.smtp.plugins.module_utils import _progress


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def test_the_file_holds_the_counts_from_the_start(tmp_path):
    path = str(tmp_path / "progress.json")
    _progress.Reporter(path, 3)
    assert _progress.read(path) == {"done": 0, "total": 3, "failed": 0}


def test_writes_at_most_once_per_interval_and_always_the_last_count(tmp_path):
    path = str(tmp_path / "progress.json")
    clock = Clock()
    reporter = _progress.Reporter(path, 1000, clock=clock)
    for index in range(999):
        clock.now += 0.125  # a result every 1/8 s (exact in binary): a write every 8 results
        reporter.add(failed=index % 100 == 0)
    assert reporter.writes == 1 + 999 // 8
    # the last write holds the counts of its moment, at most a second old
    assert _progress.read(path) == {"done": 992, "total": 1000, "failed": 10}
    reporter.add()
    assert _progress.read(path) == {"done": 1000, "total": 1000, "failed": 10}


def test_the_file_holds_counts_only(tmp_path):
    path = str(tmp_path / "progress.json")
    reporter = _progress.Reporter(path, 2)
    reporter.add(failed=True)
    reporter.add()
    with open(path, encoding="utf-8") as handle:
        assert json.load(handle) == {"done": 2, "total": 2, "failed": 1}
    # replaced atomically: no temporary file is left beside it
    assert os.listdir(str(tmp_path)) == ["progress.json"]


def test_count_hands_back_each_result_and_counts_it_as_it_completes(tmp_path):
    path = str(tmp_path / "progress.json")
    reporter = _progress.Reporter(path, 3, min_interval=0)

    async def result(value):
        await asyncio.sleep(0)
        return value

    async def main():
        return await asyncio.gather(*(reporter.count(result(v), lambda r: r == "bad") for v in ("ok", "bad", "ok")))

    assert asyncio.run(main()) == ["ok", "bad", "ok"]
    assert _progress.read(path) == {"done": 3, "total": 3, "failed": 1}


def test_without_a_path_nothing_is_written(tmp_path):
    reporter = _progress.Reporter(None, 2)
    reporter.add()
    reporter.add(failed=True)
    assert reporter.counts() == {"done": 2, "total": 2, "failed": 1}
    assert reporter.writes == 0
    assert os.listdir(str(tmp_path)) == []


def test_a_file_that_cannot_be_written_stops_the_writes_not_the_count(tmp_path):
    path = str(tmp_path / "missing-directory" / "progress.json")
    reporter = _progress.Reporter(path, 2)
    reporter.add()
    reporter.add()
    assert reporter.counts()["done"] == 2
    assert reporter.path is None and reporter.writes == 0


@pytest.mark.parametrize("text", [
    "", "{", "[]", "null", '{"done": 1, "total": 2}', '{"done": "1", "total": 2, "failed": 0}',
    '{"done": -1, "total": 2, "failed": 0}', '{"done": true, "total": 2, "failed": 0}',
])
def test_reading_half_a_file_or_something_else_gives_none(tmp_path, text):
    path = tmp_path / "progress.json"
    path.write_text(text, encoding="utf-8")
    assert _progress.read(str(path)) is None


def test_reading_a_missing_file_gives_none(tmp_path):
    assert _progress.read(str(tmp_path / "nothing.json")) is None


def test_the_line():
    label = "mailops.smtp.probe [localhost]"
    counts = {"done": 4200, "total": 10000, "failed": 3}
    assert _progress.line(label, counts, 41.7) == "mailops.smtp.probe [localhost]: 4200/10000 done (3 failed), 41 s elapsed"
    assert _progress.line(label, None, 2.2) == "mailops.smtp.probe [localhost]: starting, 2 s elapsed"


def test_a_negative_interval_fails_the_module_naming_the_option():
    class Module:
        params = {"progress_interval": -1}

        def fail_json(self, msg):
            raise AssertionError(msg)

    with pytest.raises(AssertionError, match="progress_interval: must be 0"):
        _progress.check_option(Module())
