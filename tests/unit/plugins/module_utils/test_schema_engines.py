# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The two schema engines find the same violations, so that "auto" may let the fast one decide.

validate (engine "auto") asks the built-in evaluator first and hands a connector to jsonschema
only when the evaluator finds something: a connector the evaluator passes is never looked at
by jsonschema. That is sound only while both agree on every connector, valid or not.
"""

from __future__ import annotations

import copy

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ansible_collections.mailops.smtp.plugins.module_utils import _rules as _rules_module
from ansible_collections.mailops.smtp.plugins.module_utils._schema_data import CONNECTOR_SCHEMA
from ansible_collections.mailops.smtp.plugins.module_utils._validate import (
    BUILTIN_KEYWORDS,
    builtin_errors,
    compile_validity,
    validate_connectors,
)
from ansible_collections.mailops.smtp.tests.unit.depth import knob
from ansible_collections.mailops.smtp.tests.unit.plugins.module_utils.formats.strategies import connectors

# Keywords that describe and never constrain.
ANNOTATIONS = {"$id", "$schema", "title", "description", "default", "examples", "x-check-only", "x-default-from",
               "x-default-text", "x-secret"}
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-70000, 70000) | st.floats(allow_nan=False) | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=6)


def _keywords(schema, out):
    for key, value in schema.items():
        out.add(key)
        if key == "properties":
            for sub in value.values():
                _keywords(sub, out)
        elif isinstance(value, dict):
            _keywords(value, out)
    return out


def test_every_constraint_of_the_schema_is_one_the_builtin_evaluator_checks():
    unknown = _keywords(CONNECTOR_SCHEMA, set()) - ANNOTATIONS - BUILTIN_KEYWORDS
    assert not unknown, "teach builtin_errors these keywords before the schema uses them: %s" % sorted(unknown)


def _paths(value, parts=()):
    yield parts
    if isinstance(value, dict):
        for key, sub in value.items():
            yield from _paths(sub, parts + (key,))
    elif isinstance(value, list):
        for index, sub in enumerate(value):
            yield from _paths(sub, parts + (index,))


@st.composite
def mutated_connectors(draw):
    """A valid connector, or one with a value replaced by any JSON value, or a key added or removed."""
    conn = draw(connectors())
    edits = draw(st.integers(0, 2))
    for _edit in range(edits):
        paths = [p for p in _paths(conn) if p]
        where = draw(st.sampled_from(paths))
        parent = conn
        for part in where[:-1]:
            parent = parent[part]
        action = draw(st.sampled_from(["replace", "drop", "add"]))
        if action == "replace":
            parent[where[-1]] = draw(JSON_VALUES)
        elif action == "drop" and isinstance(parent, dict):
            del parent[where[-1]]
        elif isinstance(parent, dict):
            parent[draw(st.text(min_size=1, max_size=10))] = draw(JSON_VALUES)
    return conn


@settings(max_examples=knob("MAILOPS_HYPOTHESIS_EXAMPLES", 300), deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(conn=mutated_connectors())
def test_auto_gives_what_jsonschema_gives(conn):
    reports = {engine: validate_connectors([copy.deepcopy(conn)], engine=engine)
               for engine in ("jsonschema", "builtin", "auto")}
    assert reports["auto"] == reports["jsonschema"]
    assert sorted((e["rule"], e["path"]) for e in reports["builtin"]["errors"]) == \
        sorted((e["rule"], e["path"]) for e in reports["jsonschema"]["errors"])


@settings(max_examples=knob("MAILOPS_HYPOTHESIS_EXAMPLES", 300), deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(conn=mutated_connectors())
def test_the_compiled_validity_check_passes_exactly_the_connectors_without_errors(conn):
    assert compile_validity(CONNECTOR_SCHEMA)(conn) is (not builtin_errors(conn, CONNECTOR_SCHEMA))


@given(value=JSON_VALUES | st.integers() | st.floats())
@settings(max_examples=knob("MAILOPS_HYPOTHESIS_EXAMPLES", 300), deadline=None, derandomize=True)
def test_the_compiled_validity_check_agrees_on_any_value_at_any_place(value):
    """Any JSON value (huge integers, NaN and infinities included) at every node of the schema."""
    nodes, pending = [], [CONNECTOR_SCHEMA]
    while pending:
        node = pending.pop()
        nodes.append(node)
        children = list(node.get("properties", {}).values())
        children += [node.get("items"), node.get("additionalProperties"), node.get("propertyNames")]
        pending.extend(sub for sub in children if isinstance(sub, dict))
    for node in nodes:
        assert compile_validity(node)(value) is (not builtin_errors(value, node)), node


# Characters that character_findings looks for, or that the JSON encoder escapes, mixed with plain text.
TRICKY_CHARACTERS = list("ab @.<>") + [
    '"', "\\", "\x00", "\n", "\r", "\t", "\x1f", "\x7f", "\x85", "\x9f", "\u00e9", "\u200b", "\u200d", "\u202e",
    "\ufeff", "\U0001f600"]
TRICKY_TEXT = st.text(alphabet=st.sampled_from(TRICKY_CHARACTERS), max_size=8)


@st.composite
def connectors_with_tricky_text(draw):
    """A generated connector with some of its strings (or numbers) replaced by tricky ones."""
    conn = draw(connectors())
    for _edit in range(draw(st.integers(0, 3))):
        paths = [p for p in _paths(conn) if p]
        where = draw(st.sampled_from(paths))
        parent = conn
        for part in where[:-1]:
            parent = parent[part]
        parent[where[-1]] = draw(TRICKY_TEXT | st.floats() | st.sampled_from([float("nan"), float("inf")]))
    return conn


@settings(max_examples=knob("MAILOPS_HYPOTHESIS_EXAMPLES", 300), deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(connectors_with_tricky_text())
def test_the_plain_text_shortcut_never_changes_the_character_findings(conn):
    # plain_text_only lets character_findings skip its walk; it may only say so when the walk finds nothing.
    walked = _rules_module.character_walk(conn, 0, "c", CONNECTOR_SCHEMA)
    assert _rules_module.character_findings(conn, 0, "c", CONNECTOR_SCHEMA) == walked
    if _rules_module.plain_text_only(conn):
        assert walked == []


def test_the_plain_text_shortcut_looks_past_quotes_but_not_past_what_they_hide():
    plain = _rules_module.plain_text_only
    assert plain({"senders": {"default": '"App 1" <app1@example.org>'}, "port": 587})
    for text in ("a\\b", 'a\\"b', "a\x7fb", "a\nb", "caf\u00e9", "a\u200bb", "\\u0000"):
        assert not plain({"host": text}), text
    assert not plain({"timeout": float("nan")})
    assert not plain({"host": b"bytes"})
