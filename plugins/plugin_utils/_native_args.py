# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Task arguments that carry a whole declaration, resolved to plain data on the controller.

A task argument such as ``connectors: "{{ smtp_connectors }}"`` names a variable holding
thousands of connectors. Ansible's generic pass (ansible-core 2.19 and later) wraps every
container of the value in a lazy proxy, renders every leaf through the templating engine and
rebuilds the result with its provenance tags: most of a validation run at 10,000 connectors.
This module resolves such an argument directly from the variables: it walks the declared data
once, renders only the strings that can hold a template (a vaulted value or a trusted
``{{ ... }}``) through the templating engine, and returns plain dicts, lists, str, int, float,
bool and None. Anything it does not recognize goes through the engine as before, so the result
is what templating the argument gives, without the tags.
"""

from __future__ import annotations

import re

from ansible_collections.mailops.smtp.plugins.module_utils._model import plain_data
from ansible_collections.mailops.smtp.plugins.plugin_utils._parallel import collector_paused

# "{{ name }}", "{{ name | default([]) }}", "{{ name | default([], true) }}" (also {} as default)
_SIMPLE = re.compile(
    r"^\s*\{\{\s*(?P<name>[A-Za-z_][A-Za-z0-9_]*)\s*"
    r"(?:\|\s*default\(\s*(?P<default>\[\s*\]|\{\s*\})\s*(?:,\s*(?P<falsy>true|True)\s*)?\)\s*)?\}\}\s*$"
)
_EXACT = frozenset((str, int, float, bool, type(None)))
# "{{ name }}" inside a string: the one template form that needs no Jinja to render.
_REFERENCE = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
# A variable that refers to a variable that refers to ...: past this depth the engine decides.
_MAX_DEPTH = 20


def _engine_template(templar, value):
    return plain_data(templar.template(value))


def _render(value, templar, depth):
    """A string that may hold a template, rendered.

    Text made of literal parts and ``{{ name }}`` references to defined variables is put together
    here (compiling a Jinja template for each of thousands of strings is most of the cost);
    anything else, and any string the engine would not render (untrusted), is the engine's.
    """
    pieces = _REFERENCE.split(value)
    literals, names = pieces[0::2], pieces[1::2]
    if depth > _MAX_DEPTH or any("{" in part or "}" in part for part in literals) \
            or not templar.is_template(value):
        return _engine_template(templar, value)
    variables = templar.available_variables
    if any(name not in variables for name in names):
        return _engine_template(templar, value)  # the engine's own "is undefined" error
    found = [_walk(variables[name], templar, depth + 1) for name in names]
    if literals == ["", ""]:
        return found[0]  # "{{ name }}" alone is the variable's value, of its own type
    if not all(type(item) is str for item in found):  # pylint: disable=unidiomatic-typecheck
        return _engine_template(templar, value)
    return "".join(literal + item for literal, item in zip(literals, found + [""], strict=True))


def _walk(value, templar, depth=0):
    kind = type(value)
    if kind is str:
        return _render(value, templar, depth) if "{" in value else value
    if kind in _EXACT:
        return value
    if isinstance(value, str):
        return _render(value, templar, depth) if "{" in value else str.__str__(value)
    if isinstance(value, dict) and kind.items is dict.items and kind.__getitem__ is dict.__getitem__:
        return dict((_walk(k, templar, depth), _walk(v, templar, depth)) for k, v in dict.items(value))
    if isinstance(value, list) and kind.__iter__ is list.__iter__ and kind.__getitem__ is list.__getitem__:
        return [_walk(v, templar, depth) for v in list.__iter__(value)]
    if isinstance(value, int) and kind.__int__ is int.__int__:
        return int(value)
    if isinstance(value, float) and kind.__float__ is float.__float__:
        return float(value)
    # A vaulted value, a lazy container, a type only the engine knows: the engine decides.
    return _engine_template(templar, value)


# The arguments this process resolved for its task, by name: (as written, resolved). A worker
# process runs one task; the items of a loop and the attempts of a retry run one after the other.
_TAKEN = {}


def resolve(value, templar, name=None):
    """The task argument `value` templated to plain data, fast when it names one variable.

    Returns what ``templar.template(value)`` returns, as plain data. Raises what it raises.
    With `name`, the argument's name, take_arguments later puts `value` back in the task.
    """
    with collector_paused():
        resolved = _resolve(value, templar)
    if name is not None:
        _TAKEN[name] = (value, resolved)
    return resolved


def take_arguments(task):
    """The task's arguments for the plugin, each one resolved with a name as resolved; in the task
    itself those are put back as written (``{{ smtp_connectors }}``).

    ansible-core sends a task's finalized arguments back to the controller's main process with the
    result, for the callbacks. Resolved, an argument of 10,000 connectors is pickled, unpickled and
    copied there for nothing (0.2-0.3 s of a validate task), and it holds every password in clear
    text for any callback that records a task's arguments. As written, callbacks see what the play
    shows. A retried attempt (``until``) finds the argument as written and gets the resolved value again.
    """
    args = dict(task.args)
    for name, (written, resolved) in _TAKEN.items():
        if name in args and (args[name] is resolved or args[name] is written):
            args[name] = resolved
            task.args[name] = written
    return args


def _resolve(value, templar):
    match = _SIMPLE.match(value) if isinstance(value, str) else None
    variables = None
    if match:
        try:
            if templar.is_template(value):
                variables = templar.available_variables
        except Exception:  # pylint: disable=broad-exception-caught
            variables = None
    if variables is None:
        if isinstance(value, (dict, list)):
            return _walk(value, templar)
        return _engine_template(templar, value)
    name = match.group("name")
    if name not in variables:
        if match.group("default") is None:
            return _engine_template(templar, value)  # the engine's own "is undefined" error
        return [] if match.group("default").startswith("[") else {}
    found = _walk(variables[name], templar)
    if match.group("falsy") and not found:
        return [] if match.group("default").startswith("[") else {}
    return found


def resolve_variable(name, templar, default):
    """The variable `name` of the templar's variables as plain data, templates inside rendered.

    `default` when the variable is not defined (as ``{{ name | default(default) }}``).
    """
    variables = templar.available_variables
    if name not in variables:
        return default
    with collector_paused():
        return _walk(variables[name], templar)
