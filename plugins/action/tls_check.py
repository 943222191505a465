# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Controller side of mailops.smtp.tls_check: runs the module and prints its progress (progress_interval)."""

from __future__ import annotations

from ansible_collections.mailops.smtp.plugins.plugin_utils._check_action import CheckAction


class ActionModule(CheckAction):
    MODULE = "mailops.smtp.tls_check"
