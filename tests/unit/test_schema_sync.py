# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The files generated from schemas/connector.schema.json must match the schema."""

from __future__ import annotations

import os
import subprocess
import sys

COLLECTION_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SYNC_TOOL = os.path.join(COLLECTION_ROOT, "tools", "sync_schema.py")


def test_generated_files_match_the_schema():
    result = subprocess.run(
        [sys.executable, SYNC_TOOL, "--check"],
        cwd=COLLECTION_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        check=False,
    )
    assert result.returncode == 0, "generated files are stale; run python tools/sync_schema.py:\n" + result.stdout
