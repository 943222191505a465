# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""How often the check modules' action plugin prints a progress line, from the task's arguments."""

from __future__ import annotations

import pytest

from ansible_collections.mailops.smtp.plugins.plugin_utils._check_action import progress_interval


@pytest.mark.parametrize("args, expected", [
    ({}, 10), ({"progress_interval": 1}, 1), ({"progress_interval": "5"}, 5), ({"progress_interval": 0}, 0),
    ({"progress_interval": -3}, 0), ({"progress_interval": "soon"}, 0), ({"progress_interval": 2.5}, 0),
])
def test_progress_interval_from_the_task_arguments(args, expected):
    assert progress_interval(args) == expected
