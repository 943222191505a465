# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""File formats of mailops.smtp.connector: pure render/parse functions, no I/O.

Private to the collection: may change without notice. Standard library only.

Every format module has render(connectors, current, options) and parse(current, options);
single-file formats take and return text, postfix takes and returns {file name: text}.
"""

from __future__ import annotations

from ansible_collections.mailops.smtp.plugins.module_utils._formats import (
    dma,
    env,
    exim4,
    inifile,
    javamail,
    jsonfile,
    msmtp,
    nullmailer,
    postfix,
    template,
    yamlfile,
)
from ansible_collections.mailops.smtp.plugins.module_utils._formats._common import FormatError

FORMATS = {
    "postfix": postfix,
    "javamail": javamail,
    "msmtp": msmtp,
    "env": env,
    "json": jsonfile,
    "yaml": yamlfile,
    "ini": inifile,
    "template": template,
    "exim4": exim4,
    "nullmailer": nullmailer,
    "dma": dma,
}

KEYMAP_FORMATS = ("env", "ini", "javamail")

__all__ = ["FORMATS", "KEYMAP_FORMATS", "FormatError", "render", "parse"]


def render(fmt, connectors, current=None, options=None):
    if fmt == "template":
        raise FormatError("format template is rendered from its Jinja2 template by the action plugin")
    return FORMATS[fmt].render(connectors, current, options)


def parse(fmt, current, options=None):
    return FORMATS[fmt].parse(current, options)
