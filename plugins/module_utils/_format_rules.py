# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The capability matrix as rules: what a format's program cannot do of what a connector declares.

Apart from _rules because it needs every format module: the check modules import _rules (and
are shipped to hosts with what it imports), but only validate and connector judge formats.

validate_connectors and list_findings here are _validate's, with format fmt's findings added.

Private to the collection: may change without notice.
"""

from __future__ import annotations

from ansible_collections.mailops.smtp.plugins.module_utils import _formats, _model, _rules, _validate
from ansible_collections.mailops.smtp.plugins.module_utils._formats._base import Lacks, demands

# Rules of the capability matrix: (effect of the lack, accepted) -> rule id.
_CAPABILITY_RULES = {
    (Lacks.WEAKER, False): "SMTP120",
    (Lacks.WEAKER, True): "SMTP121",
    (Lacks.STRICTER, False): "SMTP122",
    (Lacks.STRICTER, True): "SMTP122",
    (Lacks.REFUSED, False): "SMTP123",
    (Lacks.REFUSED, True): "SMTP123",
}


def declared(conn, path):
    """How a finding shows what the connector declares at path."""
    node = conn
    for key in path:
        node = node.get(key) if isinstance(node, dict) else None
    if isinstance(node, bool):
        node = "true" if node else "false"
    elif isinstance(node, list):
        node = "[%s]" % ", ".join(str(v) for v in node)
    return "%s: %s" % (".".join(path), node if isinstance(node, str) else _rules.show_value(node))


def format_rules(connectors, fmt):
    """Findings of the capability matrix: what format fmt's program cannot do of what is declared.

    A WEAKER lack is an error (SMTP120) unless the connector lists the capability in
    accept_weaker, then a warning (SMTP121) on every run; a STRICTER one is a warning (SMTP122);
    a REFUSED one an error (SMTP123). Defaults count as declared. Unknown formats, non-list
    input and connectors too broken to normalize give no findings here (the format option and
    the schema report those).
    """
    spec = _formats.FORMATS.get(fmt)
    if spec is None or not isinstance(connectors, list):
        return []
    found = []
    caps = spec.capabilities
    for index, raw in enumerate(connectors):
        try:
            conn = _model.normalize(raw)
        except Exception:  # pylint: disable=broad-exception-caught
            continue  # the schema findings say what is wrong with it
        if not isinstance(conn, dict):
            continue
        label = _model.connector_label(raw, index)
        accepted = conn.get("accept_weaker") if isinstance(conn.get("accept_weaker"), list) else []
        for capability, path in demands(conn):
            lack = caps.get(capability, True)
            if lack is True:
                continue
            ok = capability in accepted and lack.effect == Lacks.WEAKER
            rule = _CAPABILITY_RULES[(lack.effect, ok)]
            what = declared(conn, path)
            if rule == "SMTP120":
                message = ("format %s cannot enforce %s (%s): %s. Choose a format or settings the program can "
                           "enforce, or accept it for this connector with accept_weaker: [%s]."
                           % (fmt, what, capability, lack.instead, capability))
            elif rule == "SMTP121":
                message = ("format %s does not enforce %s (%s), accepted by accept_weaker: %s."
                           % (fmt, what, capability, lack.instead))
            elif rule == "SMTP122":
                message = "format %s enforces more than %s (%s): %s." % (fmt, what, capability, lack.instead)
            else:
                message = "format %s cannot write %s (%s): %s." % (fmt, what, capability, lack.instead)
            found.append(_rules.Finding(rule, label, _rules.pointer(*((index,) + tuple(path))), message))
    lack = caps.get("multiple_connectors", True)
    if lack is not True and len(connectors) > 1:
        found.append(_rules.Finding("SMTP123", _model.connector_label(connectors[1], 1), _rules.pointer(1),
                                    "format %s holds one connector per file, got %d: %s."
                                    % (fmt, len(connectors), lack.instead)))
    return found


def validate_connectors(connectors, forbidden_sender_domains=None, fmt=None, engine="auto"):
    """_validate.validate_connectors; with fmt, also against that format's capabilities."""
    more = format_rules(connectors, fmt)
    return _validate.validate_connectors(connectors, forbidden_sender_domains, engine, more=more)


def list_findings(connectors, findings, fmt=None):
    """_validate.list_findings; with fmt, also against that format's capabilities."""
    return _validate.list_findings(connectors, findings, more=format_rules(connectors, fmt))
