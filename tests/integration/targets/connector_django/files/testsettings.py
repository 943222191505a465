# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A minimal Django settings module that takes its mail settings from the file the connector wrote."""

from __future__ import annotations

from mail_settings import *  # noqa: F401,F403 pylint: disable=wildcard-import,unused-wildcard-import

SECRET_KEY = "mailops-smtp-integration-test"
USE_TZ = True
