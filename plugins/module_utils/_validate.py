# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Validate a list of connectors: JSON schema plus semantic rules, all problems at once.

The schema is evaluated by jsonschema where it is installed (the controller), and otherwise
by a small standard-library evaluator of the keywords the connector schema uses, so that the
modules refuse bad input on a target host too; the unit tests prove both give the same
findings. Patterns have ECMA-262 semantics in both (``$`` is the end of the value, not the
place before a final newline). Messages name the field and what is valid; values of secret
fields, and of unknown fields (which may be misplaced secrets), are never repeated.

Private to the collection: may change without notice.
"""

from __future__ import annotations

import collections
import importlib.util

from ansible_collections.mailops.smtp.plugins.module_utils._model import (
    connector_label,
    given_arguments,
    is_secret_path,
    scrub,
    secret_values,
)
from ansible_collections.mailops.smtp.plugins.module_utils._rules import (
    ERROR,
    RULES,
    WARNING,
    Finding,
    connector_rules,
    ecma_regex,
    finding_line,
    list_rules,
    pointer,
)
from ansible_collections.mailops.smtp.plugins.module_utils._schema_data import CONNECTOR_SCHEMA

# jsonschema is imported when it is first needed: a valid connector never needs it (the built-in
# evaluator decides alone), and on a target host its import is a fifth of a check module's start-up.
HAS_JSONSCHEMA = importlib.util.find_spec("jsonschema") is not None
ValidationError = None

_TYPE_WORDS = {"string": "a string", "integer": "an integer", "number": "a number", "boolean": "true or false",
               "object": "a mapping", "array": "a list", "null": "null"}
_RANGE_KEYWORDS = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "minLength", "maxLength",
                   "minItems", "maxItems", "minProperties", "maxProperties")

# Rules whose finding explains a value better than the schema's "wrong syntax" at the same place.
_CHARACTER_RULES = ("SMTP105", "SMTP117")

_VALIDATOR = None
_PATTERNS = {}


def _pattern(text):
    if text not in _PATTERNS:
        _PATTERNS[text] = ecma_regex(text)
    return _PATTERNS[text]


def _ecma_pattern(validator, pattern, instance, _schema):
    """jsonschema's pattern keyword with ECMA-262 semantics (see _rules.ecma_regex)."""
    if validator.is_type(instance, "string") and not _pattern(pattern).search(instance):
        yield ValidationError("%r does not match %r" % (instance, pattern))


def _validator():
    """The jsonschema validator of the connector schema, or None where jsonschema cannot be imported."""
    global _VALIDATOR, ValidationError, HAS_JSONSCHEMA  # pylint: disable=global-statement
    if _VALIDATOR is None and HAS_JSONSCHEMA:
        try:
            from jsonschema import Draft202012Validator, validators
            from jsonschema import ValidationError as _error
        except ImportError:  # found but broken: the built-in evaluator words the errors
            HAS_JSONSCHEMA = False
            return None
        ValidationError = _error
        Draft202012Validator.check_schema(CONNECTOR_SCHEMA)
        cls = validators.extend(Draft202012Validator, {"pattern": _ecma_pattern})
        _VALIDATOR = cls(CONNECTOR_SCHEMA)
    return _VALIDATOR


def _schema_patterns(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "pattern" and isinstance(value, str):
                yield value
            else:
                yield from _schema_patterns(value)
    elif isinstance(node, list):
        for value in node:
            yield from _schema_patterns(value)


def prepare():
    """Build the schema validator (where jsonschema is installed) and compile the schema's patterns now.

    Ansible's controller forks a worker per host and task: called once in the process that forks
    (when a controller plugin is imported), it keeps every worker from repeating the work.
    """
    if HAS_JSONSCHEMA:
        _validator()
    for text in _schema_patterns(CONNECTOR_SCHEMA):
        _pattern(text)
    _connector_valid({})


# One schema violation, with the attributes of a jsonschema ValidationError that are read here.
SchemaError = collections.namedtuple("SchemaError", ["validator", "validator_value", "instance", "schema",
                                                     "absolute_path", "absolute_schema_path"])


def _is_type(value, typ):
    if typ == "string":
        return isinstance(value, str)
    if typ == "boolean":
        return isinstance(value, bool)
    if isinstance(value, bool):
        return False
    if typ == "integer":
        return isinstance(value, int) or (isinstance(value, float) and value.is_integer())
    if typ == "number":
        return isinstance(value, (int, float))
    if typ == "object":
        return isinstance(value, dict)
    if typ == "array":
        return isinstance(value, list)
    return typ == "null" and value is None


def _same(one, two):
    """JSON equality as JSON Schema defines it: true and 1 differ, 1 and 1.0 do not."""
    if isinstance(one, bool) or isinstance(two, bool):
        return isinstance(one, bool) and isinstance(two, bool) and one == two
    if isinstance(one, dict) and isinstance(two, dict):
        return one.keys() == two.keys() and all(_same(one[k], two[k]) for k in one)
    if isinstance(one, list) and isinstance(two, list):
        return len(one) == len(two) and all(_same(a, b) for a, b in zip(one, two))
    if isinstance(one, (dict, list)) or isinstance(two, (dict, list)):
        return False
    return one == two


def _limit(value, schema, key, size):
    """A bound of schema broken by size (a number, a length or a count), or None."""
    if key in schema:
        bound = schema[key]
        if (key.startswith("min") and size < bound) or (key.startswith("max") and size > bound):
            return key
    return None


# The keywords builtin_errors evaluates: a schema that uses any other needs it taught first.
BUILTIN_KEYWORDS = frozenset(("type", "enum", "pattern", "required", "properties", "additionalProperties",
                              "propertyNames", "items", "uniqueItems") + _RANGE_KEYWORDS)


def builtin_errors(instance, schema, path=(), schema_path=()):
    """The schema violations of instance, for the keywords the connector schema uses (no jsonschema needed)."""
    def error(keyword, value=None, at=None, subject=None):
        return SchemaError(keyword, schema.get(keyword) if value is None else value,
                           instance if subject is None else subject, schema, list(path if at is None else at),
                           list(schema_path) + [keyword])

    out = []
    typ = schema.get("type")
    if typ is not None and not _is_type(instance, typ):
        out.append(error("type"))
    if "enum" in schema and not any(_same(instance, choice) for choice in schema["enum"]):
        out.append(error("enum"))
    if isinstance(instance, str):
        if "pattern" in schema and not _pattern(schema["pattern"]).search(instance):
            out.append(error("pattern"))
        for key in ("minLength", "maxLength"):
            if _limit(instance, schema, key, len(instance)):
                out.append(error(key))
    if isinstance(instance, (int, float)) and not isinstance(instance, bool):
        for key in ("minimum", "maximum"):
            if _limit(instance, schema, key, instance):
                out.append(error(key))
    if isinstance(instance, list):
        for key in ("minItems", "maxItems"):
            if _limit(instance, schema, key, len(instance)):
                out.append(error(key))
        if schema.get("uniqueItems") and any(_same(a, b) for i, a in enumerate(instance) for b in instance[i + 1:]):
            out.append(error("uniqueItems"))
        if isinstance(schema.get("items"), dict):
            for i, item in enumerate(instance):
                out.extend(builtin_errors(item, schema["items"], tuple(path) + (i,), tuple(schema_path) + ("items",)))
    if isinstance(instance, dict):
        for key in ("minProperties", "maxProperties"):
            if _limit(instance, schema, key, len(instance)):
                out.append(error(key))
        if any(key not in instance for key in schema.get("required", [])):
            out.append(error("required"))
        props = schema.get("properties", {})
        for key, value in instance.items():
            if key in props:
                out.extend(builtin_errors(value, props[key], tuple(path) + (key,),
                                          tuple(schema_path) + ("properties", key)))
        extra = [key for key in instance if key not in props]
        if schema.get("additionalProperties") is False and extra:
            out.append(error("additionalProperties"))
        elif isinstance(schema.get("additionalProperties"), dict):
            for key in extra:
                out.extend(builtin_errors(instance[key], schema["additionalProperties"], tuple(path) + (key,),
                                          tuple(schema_path) + ("additionalProperties",)))
        if isinstance(schema.get("propertyNames"), dict):
            for key in instance:
                out.extend(builtin_errors(key, schema["propertyNames"], path, tuple(schema_path) + ("propertyNames",)))
    return out


def _always(_value):
    return True


def _type_check(typ):
    simple = {"string": str, "object": dict, "array": list}.get(typ)
    if simple is not None:
        return lambda value: isinstance(value, simple)
    return lambda value: _is_type(value, typ)


def _limit_check(key, bound, kind, measure):
    """The check of one range keyword: values that are not of kind pass, as builtin_errors has it."""
    if key.startswith("min"):
        return lambda value: not kind(value) or not measure(value) < bound
    return lambda value: not kind(value) or not measure(value) > bound


def _itself(value):
    return value


def _is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _is_text(value):
    return isinstance(value, str)


def _is_list(value):
    return isinstance(value, list)


def _is_mapping(value):
    return isinstance(value, dict)


def _object_check(schema, typed=False):
    """The object keywords of schema; typed: the node is of type object, so anything else fails."""
    props = dict((key, compile_validity(sub)) for key, sub in schema.get("properties", {}).items())
    extra = schema.get("additionalProperties")
    extra_check = compile_validity(extra) if isinstance(extra, dict) else None
    names = compile_validity(schema["propertyNames"]) if isinstance(schema.get("propertyNames"), dict) else None
    required = tuple(schema.get("required", ()))

    def check(value):
        if not isinstance(value, dict):
            return not typed
        for key in required:
            if key not in value:
                return False
        for key, sub in value.items():
            inner = props.get(key)
            if inner is not None:
                if not inner(sub):
                    return False
            elif extra is False or (extra_check is not None and not extra_check(sub)):
                return False
            if names is not None and not names(key):
                return False
        return True
    return check


def _text_check(schema):
    """compile_validity of a node of type string: the keywords of other types cannot fail a string."""
    lo, hi = schema.get("minLength"), schema.get("maxLength")
    regex = _pattern(schema["pattern"]) if "pattern" in schema else None
    # JSON equality of a string with a choice is string equality; a choice of another type never equals it.
    allowed = frozenset(c for c in schema["enum"] if isinstance(c, str)) if "enum" in schema else None

    def text(value):
        if not isinstance(value, str) or (allowed is not None and value not in allowed):
            return False
        if (lo is not None and len(value) < lo) or (hi is not None and len(value) > hi):
            return False
        return regex is None or regex.search(value) is not None
    return text


def _whole_number_check(schema):
    """compile_validity of a node of type integer without enum: only its bounds apply to a number."""
    lo, hi = schema.get("minimum"), schema.get("maximum")

    def whole(value):
        if isinstance(value, bool) or not (isinstance(value, int) or (isinstance(value, float) and value.is_integer())):
            return False
        return (lo is None or not value < lo) and (hi is None or not value > hi)
    return whole


def compile_validity(schema):
    """A function telling whether a value is valid against schema: builtin_errors(value, schema) == [],
    built once per schema node instead of looking at each keyword for each value (the unit tests
    prove both agree). A valid connector is decided by it alone; only an invalid one is walked again
    to word its errors."""
    if schema.get("type") == "string":
        return _text_check(schema)
    if schema.get("type") == "integer" and "enum" not in schema:
        return _whole_number_check(schema)
    if schema.get("type") == "object" and not any(key in schema for key in ("enum", "minProperties", "maxProperties")):
        return _object_check(schema, typed=True)
    checks = []
    if schema.get("type") is not None:
        checks.append(_type_check(schema["type"]))
    if "enum" in schema:
        choices = schema["enum"]
        checks.append(lambda value: any(_same(value, choice) for choice in choices))
    if "pattern" in schema:
        regex = _pattern(schema["pattern"])
        checks.append(lambda value: not isinstance(value, str) or regex.search(value) is not None)
    for key, kind, measure in (("minLength", _is_text, len), ("maxLength", _is_text, len),
                               ("minimum", _is_number, _itself), ("maximum", _is_number, _itself),
                               ("minItems", _is_list, len), ("maxItems", _is_list, len),
                               ("minProperties", _is_mapping, len), ("maxProperties", _is_mapping, len)):
        if key in schema:
            checks.append(_limit_check(key, schema[key], kind, measure))
    if schema.get("uniqueItems"):
        checks.append(lambda value: not isinstance(value, list) or not any(
            _same(a, b) for i, a in enumerate(value) for b in value[i + 1:]))
    if isinstance(schema.get("items"), dict):
        item = compile_validity(schema["items"])

        def items(value):
            if isinstance(value, list):
                for sub in value:
                    if not item(sub):
                        return False
            return True
        checks.append(items)
    if any(key in schema for key in ("properties", "additionalProperties", "propertyNames", "required")):
        checks.append(_object_check(schema))
    if not checks:
        return _always
    if len(checks) == 1:
        return checks[0]
    checks = tuple(checks)

    def every(value):
        for check in checks:
            if not check(value):
                return False
        return True
    return every


_CONNECTOR_VALID = None


def _connector_valid(conn):
    global _CONNECTOR_VALID  # pylint: disable=global-statement
    if _CONNECTOR_VALID is None:
        _CONNECTOR_VALID = compile_validity(CONNECTOR_SCHEMA)
    return _CONNECTOR_VALID(conn)


def _schema_errors(conn, engine):
    if engine == "jsonschema":
        return _validator().iter_errors(conn)
    if engine == "auto" and _connector_valid(conn):
        return []
    errors = builtin_errors(conn, CONNECTOR_SCHEMA)
    # "auto": the built-in evaluator decides a valid connector alone (four times faster; the
    # unit tests prove both find the same violations); jsonschema words the errors where installed.
    if errors and engine == "auto" and _validator() is not None:
        return _validator().iter_errors(conn)
    return errors


def _field(parts):
    """Dotted field name for messages: auth.password, test.to[0]."""
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += "[%d]" % part
        else:
            out += ("." if out else "") + str(part)
    return out or "connector"


def _type_name(value):
    if isinstance(value, bool):
        return "a boolean"
    for typ, word in (((dict,), "a mapping"), ((list, tuple), "a list"), ((str,), "a string"),
                      ((int,), "an integer"), ((float,), "a number")):
        if isinstance(value, typ):
            return word
    return "null" if value is None else type(value).__name__


def _got(parts, value):
    if is_secret_path(parts):
        return "got %s (value hidden)" % _type_name(value)
    if isinstance(value, (dict, list)):
        return "got %s" % _type_name(value)
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return "got %s" % text


def _bounds(schema):
    typ = schema.get("type")
    lo, hi = schema.get("minimum"), schema.get("maximum")
    if typ in ("integer", "number") and lo is not None and hi is not None:
        return "%s from %s to %s" % (_TYPE_WORDS[typ], lo, hi)
    if typ == "string":
        lo, hi = schema.get("minLength"), schema.get("maxLength")
        return "a string of %s to %s characters" % (lo or 0, hi) if hi else "a string of at least %s characters" % lo
    if typ == "array":
        lo, hi = schema.get("minItems"), schema.get("maxItems")
        return "a list of %s to %s items" % (lo or 0, hi) if hi else "a list of at least %s items" % lo
    if typ == "object":
        lo, hi = schema.get("minProperties"), schema.get("maxProperties")
        return "a mapping of %s to %s entries" % (lo or 0, hi)
    return "within the documented bounds"


def _syntax_hint(parts, schema):
    name = parts[-1] if parts else ""
    if name == "name":
        return "lower-case letters, digits, '_', '.' and '-', starting with a letter or digit, at most 63 characters"
    if name == "host":
        return "a DNS name like smtp.example.org or an IP address like 192.0.2.10"
    if name == "server_name":
        return "a DNS name like smtp.example.org"
    if name in ("ca_file", "suppressions_file"):
        return "an absolute path like /etc/ssl/private-ca.pem, on one line"
    if name == "webhook_url":
        return "an http:// or https:// URL without spaces"
    if name == "sender" or (len(parts) >= 2 and parts[-2] == "senders"):
        return "a purpose name: lower-case letter first, then letters, digits or '_' (at most 32)"
    return schema.get("description", "the documented syntax")


def _schema_findings(conn, index, label, engine="auto"):
    found = []
    for err in _schema_errors(conn, engine):
        parts = list(err.absolute_path)
        schema = err.schema if isinstance(err.schema, dict) else {}
        kind = err.validator
        if "propertyNames" in err.absolute_schema_path:
            # jsonschema reports a bad key as an error of the parent whose instance is the key.
            found.append(Finding("SMTP006", label, pointer(index, *(parts + [err.instance])),
                                 "%s: purpose name %r is not valid; use %s."
                                 % (_field(parts), err.instance, _syntax_hint(["senders", "x"], {}))))
            continue
        if kind == "additionalProperties":
            allowed = sorted(schema.get("properties", {}))
            extra = sorted(k for k in err.instance if k not in schema.get("properties", {})) \
                if isinstance(err.instance, dict) else []
            for key in extra:
                where = _field(parts) if parts else "a connector"
                found.append(Finding("SMTP001", label, pointer(index, *(parts + [key])),
                                     "%s is not a field of %s; valid fields: %s."
                                     % (_field(parts + [key]), where, ", ".join(allowed))))
        elif kind == "required":
            present = err.instance if isinstance(err.instance, dict) else {}
            for key in err.validator_value:
                if key not in present:
                    found.append(Finding("SMTP002", label, pointer(index, *(parts + [key])),
                                         "%s is required%s." % (_field(parts + [key]), _required_help(parts + [key]))))
        elif kind == "type":
            want = err.validator_value
            want = " or ".join(_TYPE_WORDS.get(t, t) for t in (want if isinstance(want, list) else [want]))
            where = _field(parts) if parts else "each connector"
            quote = ""
            if isinstance(err.instance, (int, float)) and str(err.instance) in [str(c) for c in schema.get("enum", [])]:
                quote = " (write it quoted, \"%s\": YAML reads %s as a number)" % (err.instance, err.instance)
            found.append(Finding("SMTP003", label, pointer(index, *parts),
                                 "%s must be %s%s; %s." % (where, want, quote, _got(parts, err.instance))))
        elif kind in _RANGE_KEYWORDS:
            found.append(Finding("SMTP004", label, pointer(index, *parts),
                                 "%s must be %s; %s." % (_field(parts), _bounds(schema), _got(parts, err.instance))))
        elif kind in ("enum", "const"):
            choices = err.validator_value if kind == "enum" else [err.validator_value]
            found.append(Finding("SMTP005", label, pointer(index, *parts),
                                 "%s must be one of: %s; %s." % (_field(parts), ", ".join(str(c) for c in choices),
                                                                 _got(parts, err.instance))))
        elif kind in ("pattern", "format"):
            found.append(Finding("SMTP006", label, pointer(index, *parts),
                                 "%s must be %s; %s." % (_field(parts), _syntax_hint(parts, schema),
                                                         _got(parts, err.instance))))
        elif kind == "uniqueItems":
            found.append(Finding("SMTP007", label, pointer(index, *parts),
                                 "%s lists the same item more than once; each item may appear once." % _field(parts)))
        else:  # pragma: no cover - every keyword of our schema is handled above
            found.append(Finding("SMTP006", label, pointer(index, *parts),
                                 "%s is not valid (%s)." % (_field(parts), kind)))
    # A value of the wrong type also fails its enum, pattern and bounds: report only the type.
    # jsonschema reports `required` once per missing key, each naming them all: report each once.
    typed = set(f["path"] for f in found if f["rule"] == "SMTP003")
    out, seen = [], set()
    for finding in found:
        key = (finding["rule"], finding["path"])
        if key not in seen and (finding["rule"] == "SMTP003" or finding["path"] not in typed):
            seen.add(key)
            out.append(finding)
    return out


def _required_help(parts):
    field = parts[-1]
    helps = {
        "name": " (an identifier unique on the host, e.g. district-relay)",
        "host": " (the SMTP server's DNS name or IP address)",
        "senders": " (at least senders.default, the From address)",
        "default": " (the From address used when no other purpose applies)",
        "username": " when auth is set (omit auth entirely for a server without authentication)",
        "password": " when auth is set (use a vaulted variable)",
        "to": " (the recipients of test messages)",
    }
    return helps.get(field, "")


def validate_connectors(connectors, forbidden_sender_domains=None, engine="auto", *, more=()):
    """Check connectors against the schema and every rule.

    Returns {"valid": bool, "errors": [...], "warnings": [...]}; each item has rule,
    severity, connector (name), path (JSON pointer into the connectors list) and message.
    engine is "jsonschema", "builtin" or "auto" (jsonschema when it is installed). more: findings
    of other rules to report with these (_format_rules adds a format's capability matrix that way).
    """
    if not isinstance(connectors, list):
        return list_findings(connectors, [], more=more)
    return list_findings(connectors, connector_findings(connectors, range(len(connectors)), forbidden_sender_domains,
                                                        engine), more=more)


def connector_findings(connectors, indexes, forbidden_sender_domains=None, engine="auto"):
    """The findings of the connectors at these positions of the list, each on its own, in list order.

    A part of validate_connectors, so that the connectors of a long list can be checked in parts
    (one per CPU); list_findings then adds what concerns the list as a whole.
    """
    findings = []
    for index in indexes:
        conn = connectors[index]
        label = connector_label(conn, index)
        if not isinstance(conn, dict):
            findings.append(Finding("SMTP003", label, pointer(index),
                                    "each connector must be a mapping with name, host, senders, ...; got %s."
                                    % _type_name(conn)))
            continue
        rules = connector_rules(conn, index, label, forbidden_sender_domains or ())
        flagged = set(f["path"] for f in rules if f["rule"] in _CHARACTER_RULES)
        findings.extend(f for f in _schema_findings(conn, index, label, engine)
                        if not (f["rule"] == "SMTP006" and f["path"] in flagged))
        findings.extend(rules)
    return findings


def list_findings(connectors, findings, *, more=()):
    """validate_connectors' result from the connector_findings of every connector (in list order)."""
    findings = list(findings)
    if not isinstance(connectors, list):
        findings.append(Finding("SMTP003", "-", "", "connectors must be a list of connectors (mappings); got %s."
                                % _type_name(connectors)))
    else:
        findings.extend(list_rules(connectors))
        findings.extend(more)
    errors = [f for f in findings if f["severity"] == ERROR]
    warnings = [f for f in findings if f["severity"] == WARNING]
    return {"valid": not errors, "errors": errors, "warnings": warnings}


def format_findings(result, host=None, limit=None, with_level=True):
    """Human-readable lines for play output: one problem per line, naming host, connector, field and rule."""
    lines = []
    items = [("ERROR", f) for f in result.get("errors", [])] + [("WARNING", f) for f in result.get("warnings", [])]
    for level, item in items[:limit] if limit else items:
        lines.append(finding_line(item, level if with_level else None, host))
    if limit and len(items) > limit:
        lines.append("... and %d more" % (len(items) - limit))
    return lines


# What Ansible's own argument spec cannot take safely (ansible-core raises on `tls: 1` or on an
# integer too large for a float): refused in every state, even those that only read.
SHAPE_RULES = ("SMTP003", "SMTP004")


def door_check(connectors, option, rules=None):
    """The check a module makes of its connectors option before it touches a file or opens a connection.

    connectors is the option's value as the task gave it (before Ansible's type conversion, so a
    port written as text is refused here exactly as validate refuses it); rules limits the errors
    that block. Returns None when nothing blocks, else a message that names each problem with its
    rule and pointer and never quotes a secret.
    """
    if connectors is None:
        return None
    report = validate_connectors(connectors, engine="builtin")
    errors = [dict(item, path="/%s%s" % (option, item["path"])) for item in report["errors"]
              if rules is None or item["rule"] in rules]
    if not errors:
        return None
    message = "%s is not valid, nothing was done: %d error(s): %s" % (
        option, len(errors), " | ".join(format_findings({"errors": errors}, limit=20)))
    return scrub(message, secret_values(connectors if isinstance(connectors, list) else []))


def recipients_check(recipients, option):
    """The test.to rules (SMTP105, SMTP117, SMTP110) for a module option that lists recipients.

    Returns None when every recipient is a bare address, else a message naming each problem.
    """
    if not recipients:
        return None
    found = connector_rules({"test": {"to": list(recipients)}}, 0, "-")
    prefix = pointer(0, "test", "to")
    errors = [dict(f, path="/%s%s" % (option, f["path"][len(prefix):])) for f in found
              if f["severity"] == ERROR and f["path"].startswith(prefix + "/")]
    if not errors:
        return None
    return "%s is not valid, nothing was sent: %s" % (option, " | ".join(format_findings({"errors": errors})))


def checked_module(argument_spec, option, blocking=None, **kwargs):
    """An AnsibleModule for argument_spec whose connectors option passed door_check.

    The check runs before Ansible's argument spec sees the connectors, because ansible-core itself
    raises (a traceback, not an error message) on some hostile shapes. blocking(arguments) tells
    whether every error blocks (the default) or only the shape errors (SHAPE_RULES). A refused task
    fails with the findings; the invalid connectors are neither logged nor echoed back.
    """
    from ansible.module_utils.basic import AnsibleModule

    given = given_arguments()
    every = blocking is None or blocking(given)
    message = door_check(given.get(option), option, rules=None if every else SHAPE_RULES)
    if not message:
        return AnsibleModule(argument_spec=argument_spec, **kwargs)
    spec = dict(argument_spec)
    spec[option] = {"type": "raw"}
    module = AnsibleModule(argument_spec=spec, no_log=True, **kwargs)
    module.fail_json(msg=message, invocation={"module_args": {option: "(not shown: not valid)"}})
    return module  # not reached: fail_json exits


__all__ = ["validate_connectors", "connector_findings", "list_findings",
           "door_check", "checked_module", "recipients_check", "format_findings", "RULES", "ERROR", "WARNING", "HAS_JSONSCHEMA"]
