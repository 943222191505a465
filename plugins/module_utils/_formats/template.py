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
import os

from ansible_collections.mailops.smtp.plugins.module_utils import _model
from ansible_collections.mailops.smtp.plugins.module_utils._formats import _base, _common

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


def render(connectors, current=None, options=None):
    raise _common.FormatError("format template is rendered from its Jinja2 template by the action plugin")


class Template(_base.Format):
    """The file is options['content'] (rendered on the controller); the sidecar record reads back."""

    name = "template"
    summary = "any file a product reads, rendered from a Jinja2 template, with a sidecar record"
    options = {
        "template": _base.Option(dict(type="str"), controller=True),
        "content": _base.Option(dict(type="str", no_log=True)),
        "diff_content": _base.Option(dict(type="str")),
    }
    replaces_whole_file = True
    jinja_option = "template"
    running_config_hint = "the text of a sidecar record (<file>%s)" % SIDECAR_SUFFIX

    secret_encodings = staticmethod(_common.json_encodings)

    def files(self, path):
        return {os.path.basename(path): path, os.path.basename(path) + SIDECAR_SUFFIX: path + SIDECAR_SUFFIX}

    def holds_secret(self, key, connectors, options):
        return True

    def render_files(self, connectors, current, options):
        main = os.path.basename(options["path"])
        side = main + SIDECAR_SUFFIX
        if not connectors:
            return {main: None, side: None}
        content = options.get("content")
        if content is None:
            raise _base.ApplyError("content: format template needs the rendered template; give template (the "
                                   "action plugin renders it on the controller) or content")
        key = read_sidecar(current.get(side)).get("key") or os.urandom(16).hex()
        return {main: content, side: sidecar(connectors, content, key)}

    def redacted_files(self, connectors, current, options, desired):
        out = dict(desired)
        main = os.path.basename(options["path"])
        if options.get("diff_content") is not None and out.get(main) is not None:
            out[main] = options["diff_content"]
        return out

    def parse_files(self, current, options):
        side = current.get(os.path.basename(options["path"]) + SIDECAR_SUFFIX)
        key = read_sidecar(side).get("key")
        conns = parse(side, options)
        for conn in conns:
            conn["_key"] = key
        return conns

    def secret_state(self, declared, actual, parsed):
        if isinstance(actual, str) and actual.startswith(DIGEST_PREFIX):
            return _model.SECRET_UNCHANGED if secret_matches(declared, actual, parsed.get("_key")) \
                else _model.SECRET_CHANGED
        return _model.secret_state(declared, actual)

    def inspect(self, current, options):
        main = os.path.basename(options["path"])
        doc = read_sidecar(current.get(main + SIDECAR_SUFFIX))
        content = current.get(main)
        if doc and content is not None and doc.get("key"):
            digest = DIGEST_PREFIX + _model.keyed_digest(content, doc["key"])
            return {"content_drift": _model.secret_state(digest, doc.get("content_digest")) == _model.SECRET_CHANGED}
        if doc:
            return {"content_drift": True}
        return {}

    def rendered(self, connectors, options):
        return options.get("diff_content")

    def parsed(self, running, options):
        return parse(running if isinstance(running, str) else "", options)


FORMAT = Template()
