# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Connector diffs (field by field, secrets only as changed/unchanged) and audit reports.

Private to the collection: may change without notice. Standard library only. Used by the
connector_diff filter, the audit_report and inventory_diff action plugins.
"""

from __future__ import annotations

import datetime
import fnmatch
import html
import json
import re

from ansible_collections.mailops.smtp.plugins.module_utils import _model
from ansible_collections.mailops.smtp.plugins.module_utils._junit import junit_xml

REPORT_VERSION = 1

# Field statuses. Audit (declared vs a host): changed, missing, unexpected.
# Comparison (left vs right inventory): changed, removed, added.
CHANGED = "changed"
MISSING = "missing"
UNEXPECTED = "unexpected"
REMOVED = "removed"
ADDED = "added"
SAME = "unchanged"
FILE_CONTENT = "(file content)"

_AUDIT_STATUS = {"left": MISSING, "right": UNEXPECTED}
_COMPARE_STATUS = {"left": REMOVED, "right": ADDED}


class DiffError(ValueError):
    """Input that cannot be diffed; the message names the offending item."""


# --------------------------------------------------------------------------- diffing

def _flatten(value, prefix=()):
    """Yield (path, leaf) pairs: dicts are walked, lists and scalars are leaves."""
    if isinstance(value, dict) and (value or not prefix):
        for key, sub in value.items():
            yield from _flatten(sub, prefix + (str(key),))
    else:
        yield prefix, value


def flatten(connector):
    """The normalized connector as an ordered {dotted.path: value} dict."""
    return dict((".".join(path), val) for path, val in _flatten(_model.normalize(connector)))


def _same(left, right):
    """Equality that does not take True for 1 nor '1' for 1, but takes 25 for 25.0."""
    if isinstance(left, bool) or isinstance(right, bool):
        return isinstance(left, bool) and isinstance(right, bool) and left == right
    if isinstance(left, (int, float)) and isinstance(right, (int, float)):
        return left == right
    if isinstance(left, str) and isinstance(right, str):
        return left == right
    if isinstance(left, dict) and isinstance(right, dict):
        return set(left) == set(right) and all(_same(left[k], right[k]) for k in left)
    if isinstance(left, (list, tuple)) and isinstance(right, (list, tuple)):
        return len(left) == len(right) and all(_same(a, b) for a, b in zip(left, right))
    return type(left) is type(right) and left == right


def is_ignored(path, ignore_fields):
    """True when a dotted path is named by ignore_fields: exactly, as a parent, or by a glob."""
    for pattern in ignore_fields or ():
        if path == pattern or path.startswith(pattern + ".") or fnmatch.fnmatchcase(path, pattern):
            return True
    return False


def _is_secret(path):
    return _model.is_secret_path(tuple(path.split(".")))


def _secret_compare(path, left, right, secret_states, right_paths):
    """State of one secret: 'changed', 'unchanged', 'left'/'right' (one side only) or 'unknown'.

    With secret_states the right side comes from a gathered result, where a secret is the
    word changed/unchanged (relative to the declared value) or is left out; left out while
    its siblings are present means the host does not tell, left out with its whole parent
    means the host lacks it.
    """
    if left is None and right is None:
        return _model.SECRET_UNCHANGED
    if left is None:
        return "right"
    if secret_states:
        if right in (_model.SECRET_CHANGED, _model.SECRET_UNCHANGED):
            return right
        if right is None:
            parent = path.rsplit(".", 1)[0] + "." if "." in path else None
            if parent and any(p.startswith(parent) for p in right_paths):
                return "unknown"
            return "left"
    if right is None:
        return "left"
    return _model.secret_state(left, right)


def compare_fields(left, right, ignore_fields=(), secret_states=False):
    """Every field of two connectors, in schema order.

    Returns a list of {field, left, right, state, secret}; state is 'same', 'changed',
    'left' (only the left side has the field) or 'right', or for secrets the secret state.
    Secret values never appear: left/right are None for secret fields.
    """
    flat_left = flatten(left) if isinstance(left, dict) else {}
    flat_right = flatten(right) if isinstance(right, dict) else {}
    paths = list(flat_left)
    paths.extend(p for p in flat_right if p not in flat_left)
    top = dict((name, index) for index, name in enumerate(_model.FIELDS))
    paths = [p for i, p in sorted(enumerate(paths), key=lambda ip: (top.get(ip[1].split(".")[0], len(top)), ip[0]))]
    rows = []
    for path in paths:
        if is_ignored(path, ignore_fields):
            continue
        lval = flat_left.get(path)
        rval = flat_right.get(path)
        if _is_secret(path):
            state = _secret_compare(path, lval, rval, secret_states, flat_right)
            rows.append({"field": path, "left": None, "right": None, "state": state, "secret": True})
            continue
        in_left = path in flat_left and lval is not None
        in_right = path in flat_right and rval is not None
        if in_left and in_right:
            state = "same" if _same(lval, rval) else CHANGED
        elif in_left:
            state = "left"
        elif in_right:
            state = "right"
        else:
            continue
        rows.append({"field": path, "left": _model.plain_data(lval), "right": _model.plain_data(rval), "state": state,
                     "secret": False})
    return rows


def _check_list(value, what):
    if value is None:
        return []
    if isinstance(value, dict):
        value = [value]
    if not isinstance(value, (list, tuple)):
        raise DiffError("%s must be a list of connectors, got %s" % (what, type(value).__name__))
    for index, item in enumerate(value):
        if not isinstance(item, dict):
            raise DiffError("%s/%d must be a connector (a dict), got %s" % (what, index, type(item).__name__))
        if not isinstance(item.get("name"), str) or not item.get("name"):
            raise DiffError("%s/%d/name is required: every connector needs a name to be matched" % (what, index))
    return list(value)


def _by_name(connectors, what):
    out = {}
    for index, conn in enumerate(connectors):
        if conn["name"] in out:
            raise DiffError("%s/%d/name: connector name %r appears twice; names must be unique per host"
                            % (what, index, conn["name"]))
        out[conn["name"]] = conn
    return out


def _entries(name, rows, statuses, left_key, right_key):
    out = []
    for row in rows:
        state = row["state"]
        if row["secret"]:
            if state in ("same", _model.SECRET_UNCHANGED, "unknown"):
                continue
            status = statuses.get(state, CHANGED)
        elif state == "same":
            continue
        else:
            status = statuses.get(state, CHANGED)
        out.append({"connector": name, "field": row["field"], left_key: row["left"],
                    right_key: row["right"], "status": status, "secret": row["secret"]})
    return out


def connector_diff(declared, actual, ignore_fields=(), secret_states=True):
    """Differences between declared connectors and what a host really has.

    declared, actual: lists of connectors (actual typically the 'gathered' output of
    mailops.smtp.connector). Connectors are matched by name. Returns a list of
    {connector, field, declared, actual, status, secret} with status changed, missing
    (declared, not on the host) or unexpected (on the host, not declared); field is None
    for a whole missing or unexpected connector. Secret fields never carry values.
    """
    # Hosts never hold the settings only the checks use (the test mailboxes): not drift.
    declared = [_model.host_view(c) for c in _check_list(declared, "declared")]
    actual = [_model.host_view(c) for c in _check_list(actual, "actual")]
    left = _by_name(declared, "declared")
    right = _by_name(actual, "actual")
    out = []
    for name, conn in left.items():
        if name not in right:
            out.append({"connector": name, "field": None, "declared": None, "actual": None,
                        "status": MISSING, "secret": False})
            continue
        rows = compare_fields(conn, right[name], ignore_fields, secret_states)
        out.extend(_entries(name, rows, _AUDIT_STATUS, "declared", "actual"))
    for name in right:
        if name not in left:
            out.append({"connector": name, "field": None, "declared": None, "actual": None,
                        "status": UNEXPECTED, "secret": False})
    return out


ENVIRONMENT_WORDS = ("production", "prod", "prd", "preprod", "staging", "stage", "stg", "development", "dev",
                     "qa", "uat", "test")
"""Environment names taken out of host names when no inventory names its environment."""

DEFAULT_EXPECTED = (
    {"fields": ["auth.username", "auth.password", "auth.*"], "reason": "credentials are each environment's own"},
    {"fields": ["host", "senders", "senders.*", "reply_to", "webhook_url"], "environment_names_only": True,
     "reason": "differs only by the environment's name"},
)
"""The expected differences when none are declared (docs/audit.md): credentials, and host names, senders and
web hooks that differ only by the environment's name. Anything else (a throttle, a CA file) is unexpected."""

MATCH_BY = ("role", "host_name", "name")


def strip_environment(text, names):
    """text with each environment name taken out where it stands as a word of a dotted or dashed name:
    smtp-staging.example.org, noreply@staging.example.org and app-staging all lose 'staging'."""
    for name in sorted(set(names), key=len, reverse=True):
        word = re.escape(name)
        text = re.sub(r"(?i)[-_.]%s(?![A-Za-z0-9])|(?<![A-Za-z0-9])%s[-_.]|(?<![A-Za-z0-9])%s(?![A-Za-z0-9])"
                      % (word, word, word), "", text)
    return text


def _without_environment(value, names):
    if isinstance(value, str):
        return strip_environment(value, names)
    if isinstance(value, list):
        return [_without_environment(v, names) for v in value]
    if isinstance(value, dict):
        return dict((k, _without_environment(v, names)) for k, v in value.items())
    return value


def _check_expected(expected):
    rules = DEFAULT_EXPECTED if expected is None else expected
    if not isinstance(rules, (list, tuple)):
        raise DiffError("expected must be a list of {fields, environment_names_only, reason}")
    for idx, rule in enumerate(rules):
        if not isinstance(rule, dict) or not isinstance(rule.get("fields"), list) or not rule["fields"]:
            raise DiffError("expected/%d must be a dict with fields (a list of dotted field paths), got %r"
                            % (idx, rule))
        unknown = sorted(set(rule) - {"fields", "environment_names_only", "reason"})
        if unknown:
            raise DiffError("expected/%d: unknown key(s) %s; valid: fields, environment_names_only, reason"
                            % (idx, ", ".join(unknown)))
    return list(rules)


def _expected_by(entry, rules, names):
    """The rule that expects this difference, or None."""
    for rule in rules:
        if not is_ignored(entry["field"], rule["fields"]):
            continue
        if not rule.get("environment_names_only"):
            return rule
        if entry.get("secret") or entry["status"] != CHANGED:
            continue
        if _same(_without_environment(entry["left"], names), _without_environment(entry["right"], names)):
            return rule
    return None


def host_roles(hosts, side, names, host_map=None, strip=True):
    """{role: host}: each host's name without the environment names (strip) or as it is; host_map
    ({left host: right host}) pairs hosts by hand."""
    by_right = dict((right, left) for left, right in (host_map or {}).items())
    roles = {}
    for host in sorted(hosts):
        mapped = host if side == "left" else by_right.get(host)
        if mapped is not None and mapped in (host_map or {}):
            role = "\0" + mapped  # a pair given by hand: never equal to a host name
        else:
            role = strip_environment(host, names) if strip else host
        if role in roles:
            raise DiffError("%s: hosts %s and %s are the same host once the environment names (%s) are taken "
                            "out of their names; pair them with host_map or use match_by=name"
                            % (side, roles[role], host, ", ".join(sorted(set(names)))))
        roles[role] = host
    return roles


def compare_inventories(left_hosts, right_hosts, ignore_fields=(), match_by="role", expected=None,
                        environment_names=None, host_map=None):
    """Field-by-field differences between the declared connectors of two inventories.

    left_hosts, right_hosts: {inventory host: [connectors]} with real secret values (they are
    compared, never returned). Hosts are paired first: match_by 'role' pairs hosts whose names are
    the same once the environment names are taken out (app-staging with app-production; host_map
    pairs others by hand), 'host_name' pairs hosts of the same name; hosts without a partner are
    listed in unmatched_hosts. Then connectors of paired hosts are paired by name. match_by 'name'
    pairs connectors by name alone, the n-th host (sorted) having a name on the left with the n-th
    on the right. Every difference says whether the expected policy (DEFAULT_EXPECTED unless given)
    expects it. Returns {added, removed, differences, pairs, unmatched_hosts, ...}; differences are
    {connector, field, left, right, status, secret, left_host, right_host, expected, expected_because}.
    """
    if match_by not in MATCH_BY:
        raise DiffError("match_by must be one of %s; got %r" % (", ".join(MATCH_BY), match_by))
    rules = _check_expected(expected)
    names = list(environment_names or ENVIRONMENT_WORDS)
    left_hosts, right_hosts = left_hosts or {}, right_hosts or {}
    unmatched = {"left": [], "right": []}
    if match_by == "name":
        host_key = {"left": dict((h, None) for h in left_hosts), "right": dict((h, None) for h in right_hosts)}
    else:
        by_role = {"left": host_roles(left_hosts, "left", names, host_map, strip=match_by == "role"),
                   "right": host_roles(right_hosts, "right", names, host_map, strip=match_by == "role")}
        host_key = {}
        for side, other in (("left", "right"), ("right", "left")):
            host_key[side] = {}
            for role, host in sorted(by_role[side].items()):
                if role in by_role[other]:
                    host_key[side][host] = role
                else:
                    conns = _check_list((left_hosts if side == "left" else right_hosts)[host], "%s/%s" % (side, host))
                    unmatched[side].append({"host": host, "connectors": len(conns)})
            unmatched[side].sort(key=lambda item: item["host"])

    def keyed(hosts, what):
        out = {}
        for host in sorted(hosts):
            conns = _check_list(hosts[host], "%s/%s" % (what, host))
            _by_name(conns, "%s/%s" % (what, host))
            if match_by != "name" and host not in host_key[what]:
                continue  # an unmatched host: listed apart, its connectors are not added or removed
            for conn in conns:
                if match_by == "name":
                    nth = sum(1 for k in out if k[0] == conn["name"])
                    key = (conn["name"], nth)
                else:
                    key = (host_key[what][host], conn["name"])
                out[key] = (host, conn)
        return out

    left = keyed(left_hosts, "left")
    right = keyed(right_hosts, "right")
    removed, added, differences, pairs = [], [], [], []
    for key, (host, conn) in left.items():
        if key not in right:
            removed.append({"host": host, "connector": conn["name"]})
            continue
        rhost, rconn = right[key]
        rows = compare_fields(conn, rconn, ignore_fields, secret_states=False)
        entries = _entries(conn["name"], rows, _COMPARE_STATUS, "left", "right")
        for entry in entries:
            entry["left_host"] = host
            entry["right_host"] = rhost
            rule = _expected_by(entry, rules, names)
            entry["expected"] = rule is not None
            entry["expected_because"] = (rule.get("reason") or ", ".join(rule["fields"])) if rule else None
        differences.extend(entries)
        pairs.append({"connector": conn["name"], "left_host": host, "right_host": rhost,
                      "differences": len(entries),
                      "unexpected_differences": sum(1 for e in entries if not e["expected"])})
    for key, (host, conn) in right.items():
        if key not in left:
            added.append({"host": host, "connector": conn["name"]})
    return {"added": added, "removed": removed, "differences": differences, "pairs": pairs,
            "unmatched_hosts": unmatched, "match_by": match_by, "ignore_fields": list(ignore_fields or []),
            "expected": rules, "environment_names": sorted(set(names)),
            "left_hosts": len(left_hosts), "right_hosts": len(right_hosts),
            "left_connectors": sum(len(c or []) for c in left_hosts.values()),
            "right_connectors": sum(len(c or []) for c in right_hosts.values())}


# --------------------------------------------------------------------------- audit report

def _now():
    return datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


EVIDENCE_CHECKS = ("probe", "tls_check", "test_send", "dns_check")
"""Registered results of the check modules an audit report can carry as verification evidence."""


def _results_of(evidence, check):
    value = (evidence or {}).get(check)
    if value is None:
        return None
    if not isinstance(value, dict) or not isinstance(value.get("results", []), list):
        raise DiffError("evidence/%s must be the registered result of mailops.smtp.%s (a dict with results)"
                        % (check, check))
    return value.get("results") or []


def build_evidence(evidence):
    """Verification evidence gathered in the same play, per connector and per DNS check.

    evidence: {probe, tls_check, test_send, dns_check}: registered results of those modules (any
    may be left out). Only statuses, stages, categories, hints, certificate dates and message ids
    are kept: no setting and no secret of a connector.
    """
    if not evidence:
        return None
    if not isinstance(evidence, dict):
        raise DiffError("evidence must be a dict of registered check results (%s)" % ", ".join(EVIDENCE_CHECKS))
    unknown = sorted(set(evidence) - set(EVIDENCE_CHECKS))
    if unknown:
        raise DiffError("evidence: unknown key(s) %s; valid: %s" % (", ".join(unknown), ", ".join(EVIDENCE_CHECKS)))
    connectors = {}

    def entry(name):
        return connectors.setdefault(name, {"name": name, "probe": None, "tls": None, "delivery": None})

    def problem(res):
        err = res.get("error") or {}
        return {"category": err.get("category"), "hint": err.get("hint")} if err else {}

    for res in _results_of(evidence, "probe") or []:
        entry(res["name"])["probe"] = dict({"status": res.get("status"), "stage_reached": res.get("stage_reached"),
                                            "tls_version": (res.get("tls") or {}).get("version")}, **problem(res))
    for res in _results_of(evidence, "tls_check") or []:
        cert = res.get("certificate") or {}
        entry(res["name"])["tls"] = dict({"status": res.get("status"), "days_left": cert.get("days_left"),
                                          "not_after": cert.get("not_after")}, **problem(res))
    for res in _results_of(evidence, "test_send") or []:
        accepted = [m.get("message_id") for m in res.get("messages") or [] if m.get("accepted")]
        entry(res["name"])["delivery"] = dict({"status": res.get("status"), "sent_now": bool(res.get("sent")),
                                               "last_verified": res.get("last_verified"),
                                               "message_ids": accepted}, **problem(res))
    dns = [{"target": r.get("target"), "kind": r.get("kind"), "check": r.get("check"), "status": r.get("status"),
            "hint": r.get("hint")} for r in _results_of(evidence, "dns_check") or []]
    rows = [connectors[name] for name in sorted(connectors)]
    bad = dict((k, 0) for k in ("probe", "tls", "delivery"))
    for row in rows:
        for key in bad:
            if row[key] and row[key]["status"] not in ("ok", None):
                bad[key] += 1
    summary = {"connectors": len(rows), "probe_problems": bad["probe"], "tls_problems": bad["tls"],
               "delivery_problems": bad["delivery"],
               "dns_problems": sum(1 for d in dns if d["status"] in ("warn", "fail", "error")),
               "certificate_days_left_min": min([r["tls"]["days_left"] for r in rows
                                                 if r["tls"] and r["tls"]["days_left"] is not None] or [None])}
    return {"checks": [c for c in EVIDENCE_CHECKS if evidence.get(c) is not None], "summary": summary,
            "connectors": rows, "dns": dns}


def _evidence_rows(evidence):
    def show(part, *keys):
        if not part:
            return "\u2014"
        text = " ".join(str(part[k]) for k in keys if part.get(k) not in (None, "", []))
        if part.get("category"):
            text += " (%s)" % part["category"]
        return text or "\u2014"

    rows = []
    for row in evidence["connectors"]:
        delivery = row["delivery"]
        if delivery:
            when = delivery.get("last_verified") or "never verified"
            delivery_text = "%s: %s%s" % (delivery["status"], when, ", sent in this run" if delivery["sent_now"] else "")
            if delivery.get("category"):
                delivery_text += " (%s)" % delivery["category"]
        else:
            delivery_text = "\u2014"
        tls = row["tls"]
        tls_text = ("%s: %s days left (until %s)%s" % (tls["status"], tls["days_left"], tls["not_after"],
                                                       " (%s)" % tls["category"] if tls.get("category") else "")
                    if tls and tls.get("days_left") is not None else show(tls, "status"))
        rows.append((row["name"], show(row["probe"], "status", "stage_reached", "tls_version"), tls_text,
                     delivery_text))
    return rows


_EVIDENCE_HEAD = ["connector", "probe (stage reached)", "certificate", "last verified delivery"]
_DNS_HEAD = ["target", "check", "status", "hint"]


def build_audit(results, inventory_source="", ignore_fields=(), generated_at=None, evidence=None):
    """The audit report as data.

    results: {inventory host: {declared: [connectors, secrets redacted or real],
    gathered: [connectors from state gathered], error: text or None, format, path,
    content_drift: true when a templated file was edited since it was written}}.
    Secret drift is taken from the gathered side (changed/unchanged); declared secret
    values are never read beyond whether they are present.
    """
    hosts = []
    summary = {"hosts": 0, "hosts_with_drift": 0, "hosts_with_errors": 0, "connectors": 0,
               "connectors_with_drift": 0, "drifted_fields": 0, "missing_connectors": 0,
               "unexpected_connectors": 0}
    if not isinstance(results or {}, dict):
        raise DiffError("results must be a dict of inventory host -> {declared, gathered, error}")
    for host in sorted(results or {}):
        item = results[host] or {}
        if not isinstance(item, dict):
            raise DiffError("results/%s must be a dict with declared and gathered, got %s"
                            % (host, type(item).__name__))
        if not any(item.get(k) for k in ("declared", "gathered", "error")):
            continue  # a host without declared connectors is not audited
        entry = {"host": host, "format": item.get("format"), "path": item.get("path"),
                 "error": item.get("error") or None, "connectors": []}
        summary["hosts"] += 1
        if entry["error"]:
            entry["status"] = "error"
            summary["hosts_with_errors"] += 1
            declared = _check_list(item.get("declared"), "results/%s/declared" % host)
            for conn in declared:
                entry["connectors"].append({"name": conn["name"], "status": "error", "fields": [],
                                            "drift": []})
            summary["connectors"] += len(declared)
            hosts.append(entry)
            continue
        declared = _check_list(item.get("declared"), "results/%s/declared" % host)
        gathered = _check_list(item.get("gathered"), "results/%s/gathered" % host)
        diff = connector_diff(declared, gathered, ignore_fields, secret_states=True)
        left = _by_name(declared, "declared")
        right = _by_name(gathered, "gathered")
        names = list(left) + [n for n in right if n not in left]
        for name in names:
            drift = [d for d in diff if d["connector"] == name]
            if name not in right:
                status, fields = MISSING, _field_rows(left[name], None, ignore_fields)
                summary["missing_connectors"] += 1
            elif name not in left:
                status, fields = UNEXPECTED, _field_rows(None, right[name], ignore_fields)
                summary["unexpected_connectors"] += 1
            else:
                fields = _field_rows(left[name], right[name], ignore_fields)
                status = "drift" if drift else "in_sync"
                summary["drifted_fields"] += len(drift)
            entry["connectors"].append({"name": name, "status": status, "drift": drift, "fields": fields})
            summary["connectors"] += 1
            if drift:
                summary["connectors_with_drift"] += 1
        if item.get("content_drift"):
            # format template: the file no longer is what was rendered, though its record still matches
            edit = {"connector": FILE_CONTENT, "field": "content", "declared": None, "actual": None,
                    "status": CHANGED, "secret": False}
            diff.append(edit)
            entry["connectors"].append({"name": FILE_CONTENT, "status": "drift", "drift": [edit], "fields": []})
            summary["drifted_fields"] += 1
            summary["connectors_with_drift"] += 1
        entry["status"] = "drift" if diff else "in_sync"
        if diff:
            summary["hosts_with_drift"] += 1
        hosts.append(entry)
    drift = bool(summary["drifted_fields"] or summary["missing_connectors"]
                 or summary["unexpected_connectors"])
    report = {"report": "mailops.smtp.audit", "version": REPORT_VERSION,
              "generated_at": generated_at or _now(), "inventory_source": inventory_source or "",
              "ignore_fields": list(ignore_fields or []), "drift": drift,
              "errors": summary["hosts_with_errors"] > 0, "summary": summary, "hosts": hosts,
              "evidence": build_evidence(evidence)}
    # Declared connectors may arrive with their real secrets (no redact filter): a copy of a secret
    # value in free text (an error message) or in a misplaced field must not reach the report either.
    secrets = []
    for host in results or {}:
        declared = (results[host] or {}).get("declared")
        secrets.extend(_model.secret_values(declared if isinstance(declared, list) else []))
    return _scrubbed(report, secrets) if secrets else report


def _scrubbed(value, secrets):
    """value with every secret string replaced by the redaction marker, in every string it holds."""
    if isinstance(value, dict):
        return dict((k, _scrubbed(v, secrets)) for k, v in value.items())
    if isinstance(value, list):
        return [_scrubbed(v, secrets) for v in value]
    return _model.scrub(value, secrets) if isinstance(value, str) else value


def _field_rows(declared, actual, ignore_fields):
    """All fields of one connector for the detail table: value, and the other side on drift."""
    rows = compare_fields(declared, actual, ignore_fields, secret_states=True)
    out = []
    for row in rows:
        if row["secret"]:
            state = {"left": MISSING, "right": UNEXPECTED}.get(row["state"], row["state"])
            out.append({"field": row["field"], "declared": None, "actual": None, "secret": True,
                        "status": state})
            continue
        status = {"same": SAME, "left": MISSING, "right": UNEXPECTED}.get(row["state"], CHANGED)
        out.append({"field": row["field"], "declared": row["left"], "actual": row["right"],
                    "secret": False, "status": status})
    return out


def comparison_summary_line(summary):
    """One line for a person: what differs, unexpected first."""
    return ("%d unexpected and %d expected changed field(s), %d added and %d removed connector(s), "
            "%d unmatched host(s)" % (summary["unexpected_fields"], summary["expected_fields"],
                                      summary["added_connectors"], summary["removed_connectors"],
                                      summary["unmatched_hosts"]))


def build_comparison(result, left_source="", right_source="", generated_at=None):
    """The environment comparison report as data, from compare_inventories() output."""
    differences = list(result.get("differences", []))
    for entry in differences:
        entry.setdefault("expected", False)
        entry.setdefault("expected_because", None)
    unmatched = result.get("unmatched_hosts") or {"left": [], "right": []}
    changed_connectors = set((c["left_host"], c["connector"]) for c in differences)
    unexpected = [c for c in differences if not c["expected"]]
    summary = {"left_hosts": result.get("left_hosts", 0), "right_hosts": result.get("right_hosts", 0),
               "unmatched_hosts": len(unmatched.get("left", [])) + len(unmatched.get("right", [])),
               "left_connectors": result.get("left_connectors", 0),
               "right_connectors": result.get("right_connectors", 0),
               "added_connectors": len(result.get("added", [])),
               "removed_connectors": len(result.get("removed", [])),
               "changed_connectors": len(changed_connectors),
               "changed_fields": len(differences),
               "unexpected_fields": len(unexpected),
               "expected_fields": len(differences) - len(unexpected)}
    # Expected differences are the environments being themselves: they are shown, not drift.
    drift = bool(summary["added_connectors"] or summary["removed_connectors"] or summary["unexpected_fields"]
                 or summary["unmatched_hosts"])
    return {"report": "mailops.smtp.compare_environments", "version": REPORT_VERSION,
            "generated_at": generated_at or _now(), "left": left_source or "", "right": right_source or "",
            "match_by": result.get("match_by", "host_name"),
            "ignore_fields": list(result.get("ignore_fields", [])),
            "expected": list(result.get("expected", [])),
            "environment_names": list(result.get("environment_names", [])), "drift": drift, "summary": summary,
            "added": list(result.get("added", [])), "removed": list(result.get("removed", [])),
            "unmatched_hosts": {"left": list(unmatched.get("left", [])), "right": list(unmatched.get("right", []))},
            "differences": differences, "pairs": list(result.get("pairs", []))}


# --------------------------------------------------------------------------- rendering

def _show(value):
    """A value as one line of text for tables (None as an em dash)."""
    if value is None:
        return "\u2014"
    if isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def _cell(entry, side):
    if entry.get("secret"):
        return "(secret)"
    if entry.get("field") is None:
        return "\u2014"
    return _show(entry.get(side))


def render_json(report):
    return json.dumps(report, indent=2, sort_keys=False, ensure_ascii=False) + "\n"


def _md(text):
    """Markdown table cell: no line breaks, pipes and markup characters escaped."""
    text = str(text).replace("\r", " ").replace("\n", " ")
    for char in "\\`*_[]<>|":
        text = text.replace(char, "\\" + char)
    return text


def _md_table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in rows:
        lines.append("| " + " | ".join(_md(c) for c in row) + " |")
    return lines


def _summary_rows(summary):
    return [(key.replace("_", " "), str(val)) for key, val in summary.items()]


def render_markdown(report):
    if report.get("report") == "mailops.smtp.compare_environments":
        return _markdown_comparison(report)
    lines = ["# SMTP connector audit", "",
             "- Generated: %s" % _md(report["generated_at"]),
             "- Inventory: %s" % _md(report.get("inventory_source") or "\u2014"),
             "- Result: **%s**" % ("drift found" if report["drift"] else "no drift"
                                   if not report.get("errors") else "errors"), ""]
    if report.get("ignore_fields"):
        lines.insert(4, "- Ignored fields: %s" % _md(", ".join(report["ignore_fields"])))
    lines.extend(["## Summary", ""])
    lines.extend(_md_table(["", "count"], _summary_rows(report["summary"])))
    drift_rows = []
    for host in report["hosts"]:
        for conn in host["connectors"]:
            for entry in conn["drift"]:
                drift_rows.append((host["host"], entry["connector"], entry["field"] or "(connector)",
                                   _cell(entry, "declared"), _cell(entry, "actual"), entry["status"]))
    lines.extend(["", "## Drift", ""])
    if drift_rows:
        lines.extend(_md_table(["host", "connector", "field", "declared", "actual", "status"], drift_rows))
    else:
        lines.append("No drift: every host has exactly the declared connectors.")
    errors = [h for h in report["hosts"] if h.get("error")]
    if errors:
        lines.extend(["", "## Errors", ""])
        lines.extend(_md_table(["host", "error"], [(h["host"], h["error"]) for h in errors]))
    lines.extend(["", "## Hosts", ""])
    lines.extend(_md_table(["host", "format", "path", "status", "connectors"],
                           [(h["host"], h.get("format") or "", h.get("path") or "", h["status"],
                             ", ".join("%s (%s)" % (c["name"], c["status"]) for c in h["connectors"]))
                            for h in report["hosts"]]))
    evidence = report.get("evidence")
    if evidence:
        lines.extend(["", "## Verification evidence", "",
                      "Gathered in the same run by %s." % ", ".join("mailops.smtp." + c for c in evidence["checks"]),
                      ""])
        lines.extend(_md_table(_EVIDENCE_HEAD, _evidence_rows(evidence)))
        if evidence["dns"]:
            lines.extend(["", "### DNS", ""])
            lines.extend(_md_table(_DNS_HEAD, [(d["target"], d["check"], d["status"], d["hint"] or "")
                                               for d in evidence["dns"]]))
    return "\n".join(lines) + "\n"


def _comparison_sections(report):
    """(title, header, rows, empty text, row class) of the comparison report, in reading order."""
    unexpected = [c for c in report["differences"] if not c["expected"]]
    expected = [c for c in report["differences"] if c["expected"]]
    head = ["left host", "right host", "connector", "field", "left", "right", "status"]

    def rows(entries, extra):
        return [(c["left_host"], c["right_host"], c["connector"], c["field"], _cell(c, "left"), _cell(c, "right"),
                 c["status"]) + ((c["expected_because"] or "",) if extra else ()) for c in entries]

    unmatched = [("left", h["host"], h["connectors"]) for h in report["unmatched_hosts"]["left"]]
    unmatched += [("right", h["host"], h["connectors"]) for h in report["unmatched_hosts"]["right"]]
    return [
        ("Unexpected differences", head, rows(unexpected, False), "No unexpected differences.", "drift"),
        ("Expected differences (policy)", head + ["expected because"], rows(expected, True),
         "No expected differences.", None),
        ("Unmatched hosts (no partner in the other environment)", ["side", "host", "connectors"],
         [(side, host, str(count)) for side, host, count in unmatched], "None.", "drift"),
        ("Added connectors (right only)", ["host", "connector"],
         [(c["host"], c["connector"]) for c in report["added"]], "None.", "drift"),
        ("Removed connectors (left only)", ["host", "connector"],
         [(c["host"], c["connector"]) for c in report["removed"]], "None.", "drift"),
    ]


def _policy_text(report):
    rules = ["%s%s" % (", ".join(r["fields"]), " (if only the environment's name differs)"
                       if r.get("environment_names_only") else "") for r in report.get("expected") or []]
    return "; ".join(rules) or "none"


def _markdown_comparison(report):
    lines = ["# SMTP connectors: environment comparison", "",
             "- Generated: %s" % _md(report["generated_at"]),
             "- Left: %s" % _md(report.get("left") or "\u2014"),
             "- Right: %s" % _md(report.get("right") or "\u2014"),
             "- Matched by: %s" % _md(report["match_by"]),
             "- Environment names: %s" % _md(", ".join(report.get("environment_names") or []) or "none"),
             "- Expected differences: %s" % _md(_policy_text(report)),
             "- Ignored fields: %s" % _md(", ".join(report["ignore_fields"]) or "none"),
             "- Result: **%s**" % ("unexpected differences found" if report["drift"] else "no unexpected differences"),
             "", "## Summary", ""]
    lines.extend(_md_table(["", "count"], _summary_rows(report["summary"])))
    for title, header, rows, empty, _row_class in _comparison_sections(report):
        lines.extend(["", "## " + title, ""])
        if rows:
            lines.extend(_md_table(header, rows))
        else:
            lines.append(empty)
    return "\n".join(lines) + "\n"


_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;margin:24px;color:#1d2329;background:#fff}
h1{font-size:22px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 8px}h3{font-size:15px;margin:18px 0 6px}
.meta{color:#55606b;font-size:13px;margin-bottom:16px}.meta span{margin-right:18px}
.cards{display:flex;flex-wrap:wrap;gap:10px;margin:12px 0}
.card{border:1px solid #d6dce1;border-radius:6px;padding:8px 14px;min-width:120px}
.card b{display:block;font-size:22px}.card.bad{border-color:#d1242f;background:#fff1f0}
.card.ok{border-color:#1a7f37;background:#effaf1}
.verdict{display:inline-block;padding:4px 10px;border-radius:4px;font-weight:600}
.verdict.bad{background:#d1242f;color:#fff}.verdict.ok{background:#1a7f37;color:#fff}
table{border-collapse:collapse;margin:6px 0 12px;font-size:13px}
th,td{border:1px solid #d6dce1;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f3f5f7}td.field{font-family:ui-monospace,Menlo,Consolas,monospace}
td.drift,tr.drift td{background:#ffe3e0}td.drift{font-weight:600}
td.secret{color:#55606b;font-style:italic}td.missing,td.unexpected{background:#fff4cc}
td.absent{color:#9aa3ab}.was{display:block;font-weight:400;color:#8a1f11}
code{font-family:ui-monospace,Menlo,Consolas,monospace}.error{color:#8a1f11}
"""


def _h(value):
    return html.escape(str(value), quote=True)


def _page(title, body):
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            "<title>%s</title>\n<style>%s</style>\n</head>\n<body>\n%s\n</body>\n</html>\n"
            % (_h(title), _CSS, body))


def _cards(summary, bad_keys):
    out = ['<div class="cards">']
    for key, val in summary.items():
        cls = "card bad" if key in bad_keys and val else "card"
        out.append('<div class="%s"><b>%s</b>%s</div>' % (cls, _h(val), _h(key.replace("_", " "))))
    out.append("</div>")
    return "".join(out)


def _html_table(header, rows, row_classes=None):
    out = ["<table><thead><tr>"]
    out.extend("<th>%s</th>" % _h(h) for h in header)
    out.append("</tr></thead><tbody>")
    for index, row in enumerate(rows):
        cls = (row_classes or {}).get(index)
        out.append('<tr class="%s">' % cls if cls else "<tr>")
        for cell in row:
            out.append("<td>%s</td>" % _h(cell))
        out.append("</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def _detail_cell(field):
    """One cell of the host x connector x field table."""
    status = field["status"]
    if field["secret"]:
        text = {"changed": "secret changed", SAME: "secret unchanged", "unknown": "secret not readable",
                MISSING: "secret missing on host", UNEXPECTED: "secret not declared"}.get(status, status)
        cls = "secret drift" if status in ("changed", MISSING, UNEXPECTED) else "secret"
        return '<td class="%s">%s</td>' % (cls, _h(text))
    if status == SAME:
        return "<td>%s</td>" % _h(_show(field["declared"]))
    if status == CHANGED:
        return ('<td class="drift">%s<span class="was">declared: %s</span></td>'
                % (_h(_show(field["actual"])), _h(_show(field["declared"]))))
    if status == MISSING:
        return ('<td class="drift">absent on host<span class="was">declared: %s</span></td>'
                % _h(_show(field["declared"])))
    return '<td class="drift">%s<span class="was">not declared</span></td>' % _h(_show(field["actual"]))


def _host_section(host):
    out = ['<h3 id="host-%s">%s <small>(%s)</small></h3>' % (_h(host["host"]), _h(host["host"]), _h(host["status"]))]
    where = [x for x in (host.get("format"), host.get("path")) if x]
    if where:
        out.append('<div class="meta">%s</div>' % " &middot; ".join("<code>%s</code>" % _h(w) for w in where))
    if host.get("error"):
        out.append('<p class="error">Could not read the host: %s</p>' % _h(host["error"]))
        return "".join(out)
    conns = host["connectors"]
    if not conns:
        out.append("<p>No connectors declared or found.</p>")
        return "".join(out)
    paths = []
    for conn in conns:
        for field in conn["fields"]:
            if field["field"] not in paths:
                paths.append(field["field"])
    out.append("<table><thead><tr><th>field</th>")
    for conn in conns:
        label = conn["name"] if conn["status"] in ("in_sync", "drift") else "%s (%s)" % (conn["name"], conn["status"])
        cls = ' class="drift"' if conn["status"] != "in_sync" else ""
        out.append("<th%s>%s</th>" % (cls, _h(label)))
    out.append("</tr></thead><tbody>")
    for path in paths:
        out.append('<tr><td class="field">%s</td>' % _h(path))
        for conn in conns:
            field = next((f for f in conn["fields"] if f["field"] == path), None)
            if field is None:
                out.append('<td class="absent">&mdash;</td>')
            elif conn["status"] in (MISSING, UNEXPECTED):
                side = "declared" if conn["status"] == MISSING else "actual"
                text = "(secret)" if field["secret"] else _show(field[side])
                out.append('<td class="%s">%s</td>' % (conn["status"], _h(text)))
            else:
                out.append(_detail_cell(field))
        out.append("</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def render_html(report):
    if report.get("report") == "mailops.smtp.compare_environments":
        return _html_comparison(report)
    bad = report["drift"] or report.get("errors")
    verdict = ("drift found" if report["drift"] else "errors") if bad else "no drift"
    body = ["<h1>SMTP connector audit</h1>",
            '<div class="meta"><span>Generated: <time>%s</time></span><span>Inventory: <code>%s</code></span>%s</div>'
            % (_h(report["generated_at"]), _h(report.get("inventory_source") or "\u2014"),
               ("<span>Ignored fields: <code>%s</code></span>" % _h(", ".join(report["ignore_fields"])))
               if report.get("ignore_fields") else ""),
            '<span class="verdict %s">%s</span>' % ("bad" if bad else "ok", _h(verdict)),
            _cards(report["summary"], ("hosts_with_drift", "hosts_with_errors", "connectors_with_drift",
                                       "drifted_fields", "missing_connectors", "unexpected_connectors")),
            "<h2>Drift</h2>"]
    rows = []
    for host in report["hosts"]:
        for conn in host["connectors"]:
            for entry in conn["drift"]:
                rows.append((host["host"], entry["connector"], entry["field"] or "(connector)",
                             _cell(entry, "declared"), _cell(entry, "actual"), entry["status"]))
    if rows:
        body.append(_html_table(["host", "connector", "field", "declared", "actual", "status"], rows,
                                dict((i, "drift") for i in range(len(rows)))))
    else:
        body.append("<p>No drift: every host has exactly the declared connectors.</p>")
    errors = [h for h in report["hosts"] if h.get("error")]
    if errors:
        body.append("<h2>Errors</h2>")
        body.append(_html_table(["host", "error"], [(h["host"], h["error"]) for h in errors]))
    evidence = report.get("evidence")
    if evidence:
        body.append('<h2 id="evidence">Verification evidence</h2>')
        body.append("<p>Gathered in the same run by %s.</p>"
                    % _h(", ".join("mailops.smtp." + c for c in evidence["checks"])))
        body.append(_cards(evidence["summary"], ("probe_problems", "tls_problems", "delivery_problems",
                                                 "dns_problems")))
        rows = _evidence_rows(evidence)
        body.append(_html_table(_EVIDENCE_HEAD, rows, dict(
            (i, "drift") for i, row in enumerate(evidence["connectors"])
            if any(row[k] and row[k]["status"] not in ("ok", None) for k in ("probe", "tls", "delivery")))))
        if evidence["dns"]:
            body.append("<h3>DNS</h3>")
            body.append(_html_table(_DNS_HEAD, [(d["target"], d["check"], d["status"], d["hint"] or "")
                                                for d in evidence["dns"]],
                                    dict((i, "drift") for i, d in enumerate(evidence["dns"])
                                         if d["status"] in ("fail", "error"))))
    body.append("<h2>Hosts &times; connectors &times; fields</h2>")
    # hosts that need attention first; sorted() is stable, so the rest stays alphabetical
    body.extend(_host_section(h) for h in sorted(report["hosts"], key=lambda h: h["status"] == "in_sync"))
    return _page("SMTP connector audit", "\n".join(body))


def _html_comparison(report):
    bad = report["drift"]
    body = ["<h1>SMTP connectors: environment comparison</h1>",
            '<div class="meta"><span>Generated: <time>%s</time></span><span>Left: <code>%s</code></span>'
            '<span>Right: <code>%s</code></span><span>Matched by: %s</span><span>Environment names: <code>%s</code>'
            '</span><span>Expected differences: %s</span><span>Ignored fields: <code>%s</code></span></div>'
            % (_h(report["generated_at"]), _h(report["left"] or "\u2014"), _h(report["right"] or "\u2014"),
               _h(report["match_by"]), _h(", ".join(report.get("environment_names") or []) or "none"),
               _h(_policy_text(report)), _h(", ".join(report["ignore_fields"]) or "none")),
            '<span class="verdict %s">%s</span>' % ("bad" if bad else "ok", "unexpected differences found"
                                                    if bad else "no unexpected differences"),
            _cards(report["summary"], ("added_connectors", "removed_connectors", "unexpected_fields",
                                       "unmatched_hosts"))]
    for title, header, rows, empty, row_class in _comparison_sections(report):
        body.append("<h2>%s</h2>" % _h(title))
        if rows:
            body.append(_html_table(header, rows, dict((i, row_class) for i in range(len(rows))) if row_class
                                    else None))
        else:
            body.append("<p>%s</p>" % _h(empty))
    return _page("SMTP connectors: environment comparison", "\n".join(body))


def render_junit(report):
    """JUnit XML: one test case per host and connector (audit) or per connector pair (comparison)."""
    cases = []
    if report.get("report") == "mailops.smtp.compare_environments":
        suite = "mailops.smtp.compare_environments"
        for pair in report["pairs"]:
            mine = [c for c in report["differences"]
                    if c["left_host"] == pair["left_host"] and c["connector"] == pair["connector"]]
            fails = ["%s: %s -> %s (%s)" % (c["field"], _cell(c, "left"), _cell(c, "right"), c["status"])
                     for c in mine if not c["expected"]]
            output = "\n".join("expected: %s: %s -> %s (%s)" % (c["field"], _cell(c, "left"), _cell(c, "right"),
                                                                c["expected_because"]) for c in mine if c["expected"])
            cases.append({"classname": pair["left_host"], "name": pair["connector"], "failures": fails,
                          "skipped": None, "output": output})
        for side in ("left", "right"):
            for item in report["unmatched_hosts"][side]:
                cases.append({"classname": item["host"], "name": "(host)", "skipped": None, "output": "",
                              "failures": ["host only in %s: no host of the same role in the other environment"
                                           % (report[side] or side)]})
        for key, text in (("added", "only in %s" % report["right"]), ("removed", "only in %s" % report["left"])):
            for item in report[key]:
                cases.append({"classname": item["host"], "name": item["connector"],
                              "failures": ["connector %s: %s" % (key, text)], "skipped": None, "output": ""})
        return junit_xml(suite, cases, timestamp=report["generated_at"].rstrip("Z"))
    for host in report["hosts"]:
        if host.get("error"):
            cases.append({"classname": host["host"], "name": "read connectors",
                          "failures": ["could not read the host: %s" % host["error"]], "skipped": None,
                          "output": ""})
            continue
        for conn in host["connectors"]:
            fails = []
            for entry in conn["drift"]:
                if entry["field"] is None:
                    fails.append("connector %s: %s" % (conn["name"], entry["status"]))
                else:
                    fails.append("%s: declared %s, actual %s (%s)" % (entry["field"], _cell(entry, "declared"),
                                                                      _cell(entry, "actual"), entry["status"]))
            cases.append({"classname": host["host"], "name": conn["name"], "failures": fails, "skipped": None,
                          "output": "%s %s" % (host.get("format") or "", host.get("path") or "")})
    return junit_xml("mailops.smtp.audit", cases, timestamp=report["generated_at"].rstrip("Z"))


RENDERERS = {"json": (render_json, ".json"), "markdown": (render_markdown, ".md"), "html": (render_html, ".html")}
