# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import copy
import json
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import pytest

from ansible_collections.mailops.smtp.plugins.module_utils import _report
from ansible_collections.mailops.smtp.plugins.module_utils._model import redact

PASSWORD = "Tr0ub4dor&3-very-secret"
OTHER_PASSWORD = "correct-horse-battery-staple"

RELAY = {
    "name": "district-relay",
    "description": "Report cards and portal",
    "host": "smtp.example.org",
    "port": 587,
    "security": "starttls",
    "auth": {"username": "mailer@example.org", "password": PASSWORD, "mechanisms": ["PLAIN", "LOGIN"]},
    "senders": {"default": '"Example District" <noreply@example.org>', "portal": "portal@example.org"},
    "delivery": {"throttle_per_second": 50},
    "test": {"to": ["mail-tests@example.org"]},
}
FAX = {"name": "fax", "host": "fax-gw.example.org", "port": 25, "senders": {"default": "fax@example.org"}}


def gathered_of(connectors, secret="unchanged"):
    """What state gathered returns for a host that has exactly these connectors."""
    out = []
    for conn in copy.deepcopy(connectors):
        if "auth" in conn:
            conn["auth"]["password"] = secret
        out.append(conn)
    return out


class TagCollector(HTMLParser):
    def __init__(self):
        HTMLParser.__init__(self)
        self.tags, self.attrs = [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs.extend(attrs)


def everything(report):
    return (_report.render_json(report) + _report.render_markdown(report) + _report.render_html(report)
            + _report.render_junit(report))


# ----------------------------------------------------------------------------- connector_diff

def test_identical_connectors_have_no_drift():
    assert _report.connector_diff([RELAY, FAX], gathered_of([RELAY, FAX])) == []


def test_defaults_written_out_on_one_side_are_not_drift():
    explicit = dict(FAX, security="starttls", starttls="required", timeout=30, tls={"verify": True},
                    delivery={"max_errors": 10}, mime_strict=True)
    assert _report.connector_diff([FAX], [explicit]) == []


def test_one_changed_field_is_reported_alone_with_both_values():
    actual = gathered_of([RELAY, FAX])
    actual[0]["delivery"]["throttle_per_second"] = 5
    assert _report.connector_diff([RELAY, FAX], actual) == [
        {"connector": "district-relay", "field": "delivery.throttle_per_second", "declared": 50, "actual": 5,
         "status": "changed", "secret": False}]


def test_nested_sender_fields_are_dotted_paths():
    actual = gathered_of([RELAY])
    actual[0]["senders"]["portal"] = "other@example.org"
    del actual[0]["senders"]["default"]
    actual[0]["senders"]["gradebook"] = "grades@example.org"
    diff = _report.connector_diff([RELAY], actual)
    assert [(d["field"], d["status"]) for d in diff] == [
        ("senders.default", "missing"), ("senders.portal", "changed"), ("senders.gradebook", "unexpected")]
    assert diff[2]["actual"] == "grades@example.org" and diff[2]["declared"] is None


def test_types_are_compared_strictly_but_numbers_by_value():
    actual = gathered_of([RELAY])
    actual[0]["attachments"] = {"max_size_mb": 25.0, "allowed": 1}
    diff = _report.connector_diff([RELAY], actual)
    assert [(d["field"], d["declared"], d["actual"]) for d in diff] == [("attachments.allowed", True, 1)]


def test_list_order_matters_for_mechanisms():
    actual = gathered_of([RELAY])
    actual[0]["auth"]["mechanisms"] = ["LOGIN", "PLAIN"]
    diff = _report.connector_diff([RELAY], actual)
    assert [(d["field"], d["declared"], d["actual"]) for d in diff] == [
        ("auth.mechanisms", ["PLAIN", "LOGIN"], ["LOGIN", "PLAIN"])]


def test_missing_and_unexpected_connectors():
    diff = _report.connector_diff([RELAY], gathered_of([FAX]))
    assert diff == [
        {"connector": "district-relay", "field": None, "declared": None, "actual": None, "status": "missing",
         "secret": False},
        {"connector": "fax", "field": None, "declared": None, "actual": None, "status": "unexpected",
         "secret": False}]


def test_secret_changed_on_host_is_reported_without_values():
    diff = _report.connector_diff([RELAY], gathered_of([RELAY], secret="changed"))
    assert diff == [{"connector": "district-relay", "field": "auth.password", "declared": None, "actual": None,
                     "status": "changed", "secret": True}]
    assert PASSWORD not in json.dumps(diff)


def test_secret_the_host_cannot_tell_is_not_drift():
    actual = gathered_of([RELAY])
    del actual[0]["auth"]["password"]
    assert _report.connector_diff([RELAY], actual) == []


def test_auth_gone_from_host_reports_username_and_password_missing():
    actual = gathered_of([RELAY])
    del actual[0]["auth"]
    diff = _report.connector_diff([RELAY], actual)
    assert [(d["field"], d["status"], d["secret"]) for d in diff] == [
        ("auth.username", "missing", False), ("auth.password", "missing", True),
        ("auth.mechanisms", "missing", False)]


def test_secret_on_host_but_not_declared_is_unexpected():
    declared = copy.deepcopy(FAX)
    actual = gathered_of([dict(FAX, auth={"username": "u@example.org", "password": "x"})], secret="changed")
    diff = _report.connector_diff([declared], actual)
    assert ("auth.password", "unexpected", None) in [(d["field"], d["status"], d["actual"]) for d in diff]


def test_raw_secrets_are_compared_when_not_from_gathered():
    other = copy.deepcopy(RELAY)
    assert _report.connector_diff([RELAY], [other], secret_states=False) == []
    other["auth"]["password"] = OTHER_PASSWORD
    diff = _report.connector_diff([RELAY], [other], secret_states=False)
    assert diff == [{"connector": "district-relay", "field": "auth.password", "declared": None, "actual": None,
                     "status": "changed", "secret": True}]
    # a real password that happens to be the word "unchanged" is still compared as a value
    other["auth"]["password"] = "unchanged"
    assert len(_report.connector_diff([RELAY], [other], secret_states=False)) == 1


@pytest.mark.parametrize("ignore, expected", [
    (["host"], ["port", "senders.default"]),
    (["senders"], ["host", "port"]),
    (["senders.*", "port"], ["host"]),
    (["host", "port", "senders.default"], []),
])
def test_ignore_fields_exact_parent_and_glob(ignore, expected):
    actual = [dict(FAX, host="fax2.example.org", port=2525, senders={"default": "fax2@example.org"})]
    diff = _report.connector_diff([FAX], actual, ignore_fields=ignore)
    assert [d["field"] for d in diff] == expected


@pytest.mark.parametrize("declared, actual, message", [
    ("nope", [], "declared must be a list of connectors"),
    ([FAX, "x"], [], "declared/1 must be a connector"),
    ([{"host": "h"}], [], "declared/0/name is required"),
    ([FAX, FAX], [], "declared/1/name: connector name 'fax' appears twice"),
])
def test_bad_input_names_the_item(declared, actual, message):
    with pytest.raises(_report.DiffError, match=re.escape(message)):
        _report.connector_diff(declared, actual)


# ----------------------------------------------------------------------------- audit report

def audit(results, **kwargs):
    return _report.build_audit(results, inventory_source="inventories/production",
                               generated_at="2026-01-02T03:04:05Z", **kwargs)


def test_audit_reports_exactly_the_hand_edited_field_on_that_host():
    edited = gathered_of([RELAY, FAX])
    edited[1]["port"] = 2525
    report = audit({
        "app1": {"declared": redact([RELAY, FAX]), "gathered": gathered_of([RELAY, FAX]), "format": "json",
                 "path": "/etc/app/smtp.json"},
        "app2": {"declared": redact([RELAY, FAX]), "gathered": edited, "format": "json", "path": "/etc/app/smtp.json"},
    })
    assert report["drift"] is True
    assert report["summary"] == {"hosts": 2, "hosts_with_drift": 1, "hosts_with_errors": 0, "connectors": 4,
                                 "connectors_with_drift": 1, "drifted_fields": 1, "missing_connectors": 0,
                                 "unexpected_connectors": 0}
    drift = [(h["host"], d["connector"], d["field"], d["declared"], d["actual"])
             for h in report["hosts"] for c in h["connectors"] for d in c["drift"]]
    assert drift == [("app2", "fax", "port", 25, 2525)]
    assert [h["status"] for h in report["hosts"]] == ["in_sync", "drift"]
    md = _report.render_markdown(report)
    assert "| app2 | fax | port | 25 | 2525 | changed |" in md
    assert "inventories/production" in md and "2026-01-02T03:04:05Z" in md


def test_audit_with_real_declared_secrets_never_prints_them():
    report = audit({"app1": {"declared": [RELAY], "gathered": gathered_of([RELAY], secret="changed")}})
    text = everything(report)
    assert PASSWORD not in text
    assert report["hosts"][0]["connectors"][0]["drift"][0]["field"] == "auth.password"
    assert "secret changed" in _report.render_html(report)


def test_audit_host_errors_and_hosts_without_connectors():
    report = audit({"down": {"declared": redact([RELAY]), "error": "Failed to connect to the host via ssh"},
                    "bare": {}})
    assert [h["host"] for h in report["hosts"]] == ["down"]
    assert report["errors"] is True and report["drift"] is False
    assert report["summary"]["hosts_with_errors"] == 1
    assert "Failed to connect to the host via ssh" in _report.render_html(report)
    suite = ET.fromstring(_report.render_junit(report))
    assert suite.get("failures") == "1"


def test_audit_missing_connector_and_ignore_fields():
    actual = gathered_of([RELAY])
    actual[0]["description"] = "changed by hand"
    report = audit({"app1": {"declared": redact([RELAY, FAX]), "gathered": actual}}, ignore_fields=["description"])
    conns = report["hosts"][0]["connectors"]
    assert [(c["name"], c["status"]) for c in conns] == [("district-relay", "in_sync"), ("fax", "missing")]
    assert report["summary"]["missing_connectors"] == 1 and report["summary"]["drifted_fields"] == 0
    assert all(f["field"] != "description" for f in conns[0]["fields"])


def test_audit_reports_a_hand_edited_templated_file():
    report = audit({"h": {"declared": redact([FAX]), "gathered": gathered_of([FAX]), "content_drift": True,
                          "format": "template"}})
    assert report["drift"] is True and report["summary"]["drifted_fields"] == 1
    assert "| h | (file content) | content | — | — | changed |" in _report.render_markdown(report)


def test_html_is_self_contained_and_escapes_hostile_text():
    hostile = dict(FAX, description='<script>alert("x")</script><img src=x onerror=alert(1)>')
    actual = [dict(hostile, description="</td><b>forged</b>")]
    report = audit({'<b>host"</b>': {"declared": [hostile], "gathered": actual, "path": "/etc/<x>"}})
    page = _report.render_html(report)
    assert page.startswith("<!DOCTYPE html>")
    assert "<script" not in page.lower() and "<img" not in page.lower()
    assert "<b>forged" not in page and "<b>host" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    assert "&lt;/td&gt;&lt;b&gt;forged&lt;/b&gt;" in page
    # no external assets and no active content: parse the page as a browser would
    parser = TagCollector()
    parser.feed(page)
    assert set(parser.tags) <= {"html", "head", "meta", "title", "style", "body", "h1", "h2", "h3", "small", "div",
                                "span", "time", "code", "b", "p", "table", "thead", "tbody", "tr", "th", "td"}
    assert not [a for a in parser.attrs if a[0] in ("src", "href") or a[0].startswith("on")]
    assert "@import" not in page and "url(" not in page
    # the drifted cell is highlighted and shows both values
    assert re.search(r'<td class="drift">&lt;/td&gt;&lt;b&gt;forged&lt;/b&gt;<span class="was">declared: &lt;script',
                     page)


def test_markdown_cells_cannot_break_the_table():
    actual = [dict(FAX, description="a | b\nc")]
    report = audit({"h": {"declared": [dict(FAX, description="x")], "gathered": actual}})
    row = [line for line in _report.render_markdown(report).splitlines() if "description" in line][0]
    assert row == "| h | fax | description | x | a \\| b c | changed |"


def test_json_report_round_trips_and_junit_counts_failures():
    actual = gathered_of([RELAY, FAX], secret="changed")
    actual[1]["port"] = 2525
    report = audit({"h": {"declared": redact([RELAY, FAX]), "gathered": actual}})
    assert json.loads(_report.render_json(report)) == report
    suite = ET.fromstring(_report.render_junit(report))
    cases = suite.findall(".//testcase")
    assert [(c.get("classname"), c.get("name"), len(c.findall("failure"))) for c in cases] == [
        ("h", "district-relay", 1), ("h", "fax", 1)]
    assert cases[1].find("failure").get("message") == "port: declared 25, actual 2525 (changed)"


# ----------------------------------------------------------------------------- comparison

STAGING = {"app-staging": [dict(RELAY, host="smtp-staging.example.org"), FAX]}
PRODUCTION = {"app-production": [dict(RELAY, auth=dict(RELAY["auth"], password=OTHER_PASSWORD)),
                                 dict(FAX, port=2525)]}


def test_compare_by_name_lists_exactly_the_differences():
    result = _report.compare_inventories(STAGING, PRODUCTION, match_by="name")
    assert [(d["connector"], d["field"], d["left"], d["right"], d["status"]) for d in result["differences"]] == [
        ("district-relay", "host", "smtp-staging.example.org", "smtp.example.org", "changed"),
        ("district-relay", "auth.password", None, None, "changed"),
        ("fax", "port", 25, 2525, "changed")]
    assert result["added"] == [] and result["removed"] == []
    assert {d["left_host"] for d in result["differences"]} == {"app-staging"}
    assert PASSWORD not in json.dumps(result) and OTHER_PASSWORD not in json.dumps(result)


def test_compare_with_ignored_fields_leaves_only_intended_changes():
    result = _report.compare_inventories(STAGING, PRODUCTION, match_by="name", ignore_fields=["host", "auth"])
    assert [(d["connector"], d["field"]) for d in result["differences"]] == [("fax", "port")]


def test_compare_by_host_name_lists_hosts_without_partner_as_unmatched():
    result = _report.compare_inventories(STAGING, PRODUCTION, match_by="host_name")
    assert result["unmatched_hosts"] == {"left": [{"host": "app-staging", "connectors": 2}],
                                         "right": [{"host": "app-production", "connectors": 2}]}
    assert result["added"] == [] and result["removed"] == [] and result["differences"] == []
    report = _report.build_comparison(result, "staging", "production", generated_at="2026-01-02T03:04:05Z")
    assert report["summary"]["unmatched_hosts"] == 2 and report["drift"] is True
    md = _report.render_markdown(report)
    assert "| right | app-production | 2 |" in md
    suite = ET.fromstring(_report.render_junit(report))
    assert suite.get("tests") == "2" and suite.get("failures") == "2"


def test_compare_by_role_lines_hosts_up_without_the_environment_name():
    staging = dict(STAGING, **{"db-staging": [dict(FAX, name="db")]})
    production = dict(PRODUCTION, **{"web-production": [dict(FAX, name="web")]})
    result = _report.compare_inventories(staging, production, environment_names=["staging", "production"])
    assert [(p["left_host"], p["right_host"], p["connector"]) for p in result["pairs"]] == [
        ("app-staging", "app-production", "district-relay"), ("app-staging", "app-production", "fax")]
    assert result["unmatched_hosts"]["left"] == [{"host": "db-staging", "connectors": 1}]
    assert result["unmatched_hosts"]["right"] == [{"host": "web-production", "connectors": 1}]
    assert result["added"] == [] and result["removed"] == []


def test_expected_policy_separates_environment_differences_from_real_ones():
    result = _report.compare_inventories(STAGING, PRODUCTION, environment_names=["staging", "production"])
    by_field = dict((d["field"], d) for d in result["differences"])
    # the host differs only by the environment's name, the password is a credential: expected
    assert by_field["host"]["expected"] and by_field["auth.password"]["expected"]
    assert by_field["host"]["expected_because"] == "differs only by the environment's name"
    # a port is a real difference
    assert not by_field["port"]["expected"]
    report = _report.build_comparison(result, "staging", "production")
    assert (report["summary"]["unexpected_fields"], report["summary"]["expected_fields"]) == (1, 2)
    assert _report.comparison_summary_line(report["summary"]).startswith("1 unexpected and 2 expected")
    html = _report.render_html(report)
    assert html.index("<h2>Unexpected differences</h2>") < html.index("<td>port</td>") < html.index(
        "<h2>Expected differences (policy)</h2>") < html.index("<td>host</td>")
    # a host that differs by more than the environment's name is unexpected
    other = {"app-production": [dict(RELAY, host="smtp.elsewhere.example"), FAX]}
    result = _report.compare_inventories(STAGING, other, environment_names=["staging", "production"])
    assert [d["expected"] for d in result["differences"] if d["field"] == "host"] == [False]
    # no policy: everything is unexpected
    result = _report.compare_inventories(STAGING, PRODUCTION, expected=[])
    assert not any(d["expected"] for d in result["differences"])


@pytest.mark.parametrize("text, stripped", [
    ("smtp-staging.example.org", "smtp.example.org"),
    ("noreply@staging.example.org", "noreply@example.org"),
    ("app-staging", "app"),
    ("staging-app", "app"),
    ("https://hooks.staging.example.org/x", "https://hooks.example.org/x"),
    ("stagingserver.example.org", "stagingserver.example.org"),
])
def test_strip_environment_takes_out_whole_words_only(text, stripped):
    assert _report.strip_environment(text, ["staging"]) == stripped


def test_compare_rejects_bad_policy_and_ambiguous_hosts():
    with pytest.raises(_report.DiffError, match="expected/0 must be a dict with fields"):
        _report.compare_inventories(STAGING, PRODUCTION, expected=[{"field": "host"}])
    with pytest.raises(_report.DiffError, match="hosts app-prod and app-staging are the same host"):
        _report.compare_inventories({"app-staging": [], "app-prod": []}, PRODUCTION)


def test_compare_same_secret_is_not_a_difference():
    result = _report.compare_inventories({"a": [RELAY]}, {"a": [copy.deepcopy(RELAY)]})
    assert result["differences"] == [] and result["pairs"][0]["differences"] == 0


def test_compare_report_renders_without_secret_values():
    result = _report.compare_inventories(STAGING, PRODUCTION, match_by="name")
    report = _report.build_comparison(result, "inventories/staging", "inventories/production")
    text = everything(report)
    assert PASSWORD not in text and OTHER_PASSWORD not in text
    assert report["summary"]["changed_fields"] == 3 and report["summary"]["changed_connectors"] == 2
    assert "<td>auth.password</td><td>(secret)</td><td>(secret)</td>" in _report.render_html(report)


def test_compare_rejects_unknown_matching():
    with pytest.raises(_report.DiffError, match="match_by must be one of role, host_name, name"):
        _report.compare_inventories({}, {}, match_by="ip")


@pytest.mark.parametrize("host", [
    {"declared": "__conn__", "error": "cannot read /etc/app/smtp.env: PASSWORD=__secret__"},
    {"declared": "__conn_misplaced__", "gathered": []},
    {"declared": "__conn_misplaced__", "gathered": "__conn__"},
])
def test_audit_report_of_unredacted_declarations_holds_no_secret(host):
    """Declared connectors passed with real secrets (no redact filter): no copy reaches any format."""
    secret = "Audit-Sentinel-4d2e"
    conn = {"name": "relay", "host": "smtp.example.org", "auth": {"username": "u@example.org", "password": secret},
            "senders": {"default": "u@example.org"}}
    misplaced = dict(conn, smtp_password=secret, description="password is " + secret)
    values = {"__conn__": [conn], "__conn_misplaced__": [misplaced]}
    item = {}
    for key, value in host.items():
        if isinstance(value, str):
            value = values.get(value, value.replace("__secret__", secret))
        item[key] = value
    report = _report.build_audit({"app1": item})
    for _fmt, (render, _suffix) in _report.RENDERERS.items():
        assert secret not in render(report)
    assert secret not in _report.render_junit(report)


# ----------------------------------------------------------------------------- verification evidence

EVIDENCE = {
    "probe": {"results": [{"name": "district-relay", "status": "ok", "stage_reached": "rcpt",
                           "tls": {"version": "TLSv1.3"}, "error": None},
                          {"name": "fax", "status": "failed", "stage_reached": "connect",
                           "error": {"category": "connection", "hint": "port closed"}}]},
    "tls_check": {"results": [{"name": "district-relay", "status": "ok",
                               "certificate": {"days_left": 41, "not_after": "2027-01-07T00:00:00Z"}}]},
    "test_send": {"results": [{"name": "district-relay", "status": "ok", "sent": False,
                               "last_verified": "2026-11-01T08:00:00Z", "messages": []}]},
    "dns_check": {"results": [{"target": "example.org", "kind": "domain", "check": "spf", "status": "fail",
                               "hint": "relay not authorized"}]},
}


def test_audit_report_carries_verification_evidence_next_to_drift():
    report = _report.build_audit({"h": {"declared": redact([RELAY]), "gathered": gathered_of([RELAY])}},
                                 evidence=EVIDENCE, generated_at="2026-11-27T10:00:00Z")
    evidence = report["evidence"]
    assert [row["name"] for row in evidence["connectors"]] == ["district-relay", "fax"]
    assert evidence["summary"] == {"connectors": 2, "probe_problems": 1, "tls_problems": 0, "delivery_problems": 0,
                                   "dns_problems": 1, "certificate_days_left_min": 41}
    assert report["drift"] is False  # evidence is shown, it is not drift
    md = _report.render_markdown(report)
    assert ("| district-relay | ok rcpt TLSv1.3 | ok: 41 days left (until 2027-01-07T00:00:00Z) "
            "| ok: 2026-11-01T08:00:00Z |") in md
    assert "| fax | failed connect (connection) |" in md
    html = _report.render_html(report)
    assert '<h2 id="evidence">Verification evidence</h2>' in html
    assert "<td>example.org</td><td>spf</td><td>fail</td><td>relay not authorized</td>" in html
    assert PASSWORD not in everything(report)


def test_audit_report_rejects_evidence_that_is_not_a_check_result():
    with pytest.raises(_report.DiffError, match="evidence: unknown key"):
        _report.build_audit({}, evidence={"smtp": {}})
    with pytest.raises(_report.DiffError, match="evidence/probe must be the registered result of mailops.smtp.probe"):
        _report.build_audit({}, evidence={"probe": ["not", "a", "result"]})
