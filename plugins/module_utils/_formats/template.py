# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Format template: any file a product reads, rendered from a Jinja2 template on the controller.

The file itself cannot be read back in general, so a sidecar record '<file>.mailops.json'
(mode 0600) keeps what was applied: the connectors, each secret as an HMAC-SHA256 under a
random key kept in the record (comparable, never the value nor an unsalted hash), and a
keyed digest of the file content, so drift of the file is reported too.

Private to the collection: may change without notice. Standard library only.
"""

from __future__ import annotations

import json

from ansible_collections.mailops.smtp.plugins.module_utils import _model
from ansible_collections.mailops.smtp.plugins.module_utils._formats import _common

MULTI_FILE = False
SIDECAR_SUFFIX = ".mailops.json"
DIGEST_PREFIX = "hmac-sha256:"


def read_sidecar(text):
    if not text:
        return {}
    try:
        doc = json.loads(text)
    except ValueError:
        raise _common.FormatError("sidecar record: not valid JSON; remove it to let the next run rewrite it") from None
    return doc if isinstance(doc, dict) else {}


def sidecar(connectors, content, key):
    """The record of what was applied: connectors with keyed digests in place of secrets."""
    records = []
    for conn in connectors:
        rec = _common.order_connector(_common.canonical(conn))
        for path in _model.SECRET_PATHS:
            node = rec
            for part in path[:-1]:
                node = node.get(part) if isinstance(node, dict) else None
            if isinstance(node, dict) and path[-1] in node:
                node[path[-1]] = DIGEST_PREFIX + _model.keyed_digest(node[path[-1]], key)
        records.append(rec)
    return _common.dumps_json({
        "managed_by": _common.MANAGED_MARK,
        "format": "template",
        "key": key,
        "content_digest": DIGEST_PREFIX + _model.keyed_digest(content, key),
        "connectors": records,
    }) + "\n"


def parse(text, options=None):
    """Connectors of a sidecar record; secrets stay 'hmac-sha256:<hex>' strings."""
    doc = read_sidecar(text)
    return [_common.canonical(c) for c in doc.get("connectors") or [] if isinstance(c, dict)]


def secret_matches(declared, recorded, key):
    """Whether a declared secret is the one recorded as a keyed digest."""
    if not isinstance(recorded, str) or not recorded.startswith(DIGEST_PREFIX) or not key:
        return False
    return _model.secret_state(DIGEST_PREFIX + _model.keyed_digest(declared, key), recorded) == _model.SECRET_UNCHANGED
