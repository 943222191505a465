# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Django settings that read the mail settings from the environment, as twelve-factor projects do.

The environment comes from the file the connector wrote, loaded by the shell ('set -a; . FILE').
"""

from __future__ import annotations

import os


def _flag(name):
    return os.environ.get(name, "false").lower() in ("true", "1", "yes", "on")


SECRET_KEY = "mailops-smtp-integration-test"
USE_TZ = True
EMAIL_BACKEND = os.environ["EMAIL_BACKEND"]
EMAIL_HOST = os.environ["EMAIL_HOST"]
EMAIL_PORT = int(os.environ["EMAIL_PORT"])
EMAIL_USE_TLS = _flag("EMAIL_USE_TLS")
EMAIL_USE_SSL = _flag("EMAIL_USE_SSL")
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_TIMEOUT = int(os.environ["EMAIL_TIMEOUT"])
DEFAULT_FROM_EMAIL = os.environ["DEFAULT_FROM_EMAIL"]
