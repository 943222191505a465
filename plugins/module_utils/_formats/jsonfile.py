# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Format json: the full connector model as a JSON document {"managed_by": ..., "connectors": [...]}.

Private to the collection: may change without notice. Standard library only.
"""

from __future__ import annotations

import json

from ansible_collections.mailops.smtp.plugins.module_utils._formats import _base, _common


def render(connectors, current=None, options=None):
    doc = {"managed_by": _common.MANAGED_MARK,
           "connectors": [_common.order_connector(_common.canonical(c)) for c in connectors]}
    return _common.dumps_json(doc) + "\n"


def parse(text, options=None):
    if not (text or "").strip():
        return []
    try:
        doc = json.loads(text)
    except ValueError as exc:
        raise _common.FormatError("not valid JSON: %s" % exc) from None
    if isinstance(doc, dict):
        doc = doc.get("connectors", [])
    if not isinstance(doc, list) or not all(isinstance(c, dict) for c in doc):
        raise _common.FormatError("/connectors: expected a list of connector objects")
    return [_common.canonical(c) for c in doc]


class Json(_base.Format):
    name = "json"
    summary = "the full connector model as a JSON document, for an application that reads it"

    secret_encodings = staticmethod(_common.json_encodings)


FORMAT = Json()
