# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Stand-ins for the connector module's target seam (_apply.Host) in tests."""

from __future__ import annotations


class NoHost:
    """A host with no programs: for formats that run none (every format but postfix)."""

    @staticmethod
    def run(cmd):
        raise AssertionError("no command expected, got %r" % (cmd,))

    @staticmethod
    def which(name):
        return None
