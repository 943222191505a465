# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Prometheus textfile metrics: the samples built from check results, the text format, the atomic file.

The rendered text is read back with prometheus_client's own parser, an independent reading of the format.
"""

from __future__ import annotations

import calendar
import os
import re
import stat

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from prometheus_client.parser import text_string_to_metric_families

from ansible_collections.mailops.smtp.plugins.module_utils import _metrics

HOSTILE = 'evil"} 1\nmailops_smtp_connector_success{check="probe"} 1 \\ # HELP'
PASSWORD = "Pr0m-S3cret-77"
NOW = 1800000000


def parse(text):
    """{(name, frozenset(labels.items())): value} of every sample, through the reference parser."""
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            key = (sample.name, frozenset(sample.labels.items()))
            assert key not in found, "sample %s appears twice" % (key,)
            found[key] = sample.value
    return found


def value(parsed, name, **labels):
    return parsed[("mailops_smtp_" + name, frozenset((k, str(v)) for k, v in labels.items()))]


def probe_result(name, status="ok", error=None, **extra):
    res = {"name": name, "host": "smtp.example.org", "port": 587, "status": status, "attempts": 1,
           "timings": {"connect": 1.5, "banner": 20.0, "total": 125.0}, "findings": [], "error": error,
           "tls": None, "auth": {"mechanism": "PLAIN", "username": "mailer@example.org", "authenticated": True}}
    res.update(extra)
    return res


CONNECTORS = [
    {"name": "relay", "host": "smtp.example.org", "port": 587, "security": "starttls",
     "auth": {"username": "mailer@example.org", "password": PASSWORD}},
    {"name": "refusing", "host": "mx.example.org", "port": 25, "security": "none"},
]


def categories(res):
    return [res["error"]["category"]] if res.get("error") else []


def test_probe_success_failure_category_and_stage_seconds():
    results = [probe_result("relay"),
               probe_result("refusing", "failed", {"category": "auth", "stage": "auth", "hint": "h"}, attempts=3)]
    parsed = parse(_metrics.build("probe", results, CONNECTORS, categories, finished=NOW, duration=1.25).render())
    assert value(parsed, "last_run_timestamp_seconds", check="probe") == NOW
    assert value(parsed, "last_run_duration_seconds", check="probe") == 1.25
    assert value(parsed, "connector_success", check="probe", connector="relay", category="none") == 1
    assert value(parsed, "connector_success", check="probe", connector="refusing", category="auth") == 0
    assert value(parsed, "connector_status", check="probe", connector="refusing", status="failed") == 1
    assert value(parsed, "connector_status", check="probe", connector="refusing", status="ok") == 0
    assert value(parsed, "connector_attempts", check="probe", connector="refusing") == 3
    # milliseconds in the results, seconds in the metrics
    assert value(parsed, "stage_duration_seconds", check="probe", connector="relay", stage="banner") == 0.02
    assert value(parsed, "stage_duration_seconds", check="probe", connector="relay", stage="total") == 0.125
    assert value(parsed, "connector_info", check="probe", connector="relay", host="smtp.example.org", port=587,
                 security="starttls") == 1


def test_usernames_and_passwords_never_appear():
    leaky = dict(CONNECTORS[0], name="relay-" + PASSWORD)
    results = [probe_result("relay-" + PASSWORD, error={"category": "auth", "message": "535 " + PASSWORD},
                            status="failed")]
    text = _metrics.build("probe", results, [leaky], categories, finished=NOW).render()
    assert PASSWORD not in text
    assert "mailer@example.org" not in text
    assert 'connector="relay-' in text


def test_hostile_connector_name_stays_one_label_value():
    conn = dict(CONNECTORS[0], name=HOSTILE, host='h"\\\n')
    text = _metrics.build("probe", [probe_result(HOSTILE)], [conn], categories, finished=NOW).render()
    parsed = parse(text)
    assert value(parsed, "connector_success", check="probe", connector=HOSTILE, category="none") == 1
    # the injected sample did not become a sample of its own
    assert not [k for k in parsed if k[0] == "mailops_smtp_connector_success" and dict(k[1]).get("connector") != HOSTILE]
    # every sample is on one line: newlines inside values are escaped
    samples = [line for line in text.splitlines() if not line.startswith("#")]
    assert len(samples) == len(parsed)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40))
def test_any_label_value_round_trips(name):
    text = _metrics.build("probe", [probe_result(name)], None, categories, finished=NOW).render()
    assert value(parse(text), "connector_success", check="probe", connector=name, category="none") == 1


def test_tls_check_certificate_expiry_timestamp_verified_and_dane():
    res = probe_result("relay", certificate={"not_after": "2027-01-15T12:00:00Z", "days_left": 49},
                       tls={"version": "TLSv1.3", "verified": False},
                       dane={"status": "mismatch"},
                       findings=[{"id": "certificate_untrusted", "category": "tls_certificate", "severity": "error"},
                                 {"id": "certificate_expiring", "category": "tls_certificate", "severity": "warning"}])
    parsed = parse(_metrics.build("tls_check", [res], None, categories, finished=NOW).render())
    assert value(parsed, "tls_certificate_expiry_timestamp_seconds", check="tls_check", connector="relay",
                 host="smtp.example.org", port=587) == calendar.timegm((2027, 1, 15, 12, 0, 0))
    assert value(parsed, "tls_certificate_verified", check="tls_check", connector="relay") == 0
    assert value(parsed, "tls_dane_status", check="tls_check", connector="relay", status="mismatch") == 1
    assert value(parsed, "tls_dane_status", check="tls_check", connector="relay", status="match") == 0
    assert value(parsed, "findings", check="tls_check", connector="relay", severity="error") == 1
    assert value(parsed, "findings", check="tls_check", connector="relay", severity="warning") == 1


def test_probe_peer_certificate_gives_the_expiry_too():
    res = probe_result("relay", tls={"verified": True, "peer_certificate": {"not_after": "2030-01-01T00:00:00Z"}})
    parsed = parse(_metrics.build("probe", [res], None, categories, finished=NOW).render())
    assert value(parsed, "tls_certificate_expiry_timestamp_seconds", check="probe", connector="relay",
                 host="smtp.example.org", port=587) == calendar.timegm((2030, 1, 1, 0, 0, 0))
    assert value(parsed, "tls_certificate_verified", check="probe", connector="relay") == 1


def test_dns_statuses_as_a_state_set():
    results = [{"target": "example.org", "kind": "domain", "check": "spf", "item": None, "status": "fail"},
               {"target": "example.org", "kind": "domain", "check": "dkim", "item": "s1", "status": "pass"}]
    parsed = parse(_metrics.build("dns_check", results, finished=NOW).render())
    spf = dict(check="dns_check", target="example.org", kind="domain", test="spf", item="")
    assert value(parsed, "dns_check_status", status="fail", **spf) == 1
    assert [value(parsed, "dns_check_status", status=s, **spf) for s in ("pass", "warn", "error")] == [0, 0, 0]
    assert value(parsed, "dns_check_status", check="dns_check", target="example.org", kind="domain", test="dkim",
                 item="s1", status="pass") == 1


def delivery_result(name, status, outcome, **extra):
    res = {"connector": name, "status": status, "outcome": outcome, "findings": [], "error": None,
           "delay_seconds": None, "verified_at": None, "auth": None, "tls_all_hops": None}
    res.update(extra)
    return res


def delivery_categories(res):
    return [res["status"]] if res["status"] != "delivered" else []


def test_delivery_status_delay_authentication_and_when_measured():
    results = [
        delivery_result("relay", "delivered", "ok", delay_seconds=2.5, verified_at="2027-01-15T12:00:00Z",
                        tls_all_hops=True,
                        auth={"dkim": [{"result": "fail"}, {"result": "pass"}], "spf": {"result": "softfail"},
                              "dmarc": {"result": "pass"}}),
        delivery_result("refusing", "bounced", "failed"),
        delivery_result("new", "auth", "failed", error={"category": "auth"}),
    ]
    parsed = parse(_metrics.build("delivery_check", results, CONNECTORS, delivery_categories, finished=NOW).render())
    d = dict(check="delivery_check")
    assert value(parsed, "connector_success", connector="relay", category="none", **d) == 1
    assert value(parsed, "connector_success", connector="refusing", category="bounced", **d) == 0
    assert value(parsed, "delivery_status", connector="refusing", status="bounced", **d) == 1
    assert value(parsed, "delivery_status", connector="refusing", status="delivered", **d) == 0
    # a submission category that is not among the delivery statuses joins the set
    assert value(parsed, "delivery_status", connector="new", status="auth", **d) == 1
    assert value(parsed, "delivery_delay_seconds", connector="relay", **d) == 2.5
    assert value(parsed, "delivery_measured_timestamp_seconds", connector="relay", **d) == calendar.timegm((2027, 1, 15, 12, 0, 0))
    assert value(parsed, "delivery_authentication_pass", connector="relay", method="dkim", result="pass", **d) == 1
    assert value(parsed, "delivery_authentication_pass", connector="relay", method="spf", result="softfail", **d) == 0
    assert value(parsed, "delivery_tls_all_hops", connector="relay", **d) == 1
    assert ("mailops_smtp_delivery_delay_seconds",
            frozenset({"check": "delivery_check", "connector": "refusing"}.items())) not in parsed


def test_every_metric_has_help_type_and_a_conventional_name():
    for metric, (kind, help_text, labels) in _metrics.METRICS.items():
        full = _metrics.PREFIX + metric
        assert _metrics._NAME.match(full)
        assert kind == "gauge" and help_text.endswith(".")
        assert all(_metrics._LABEL.match(label) for label in labels)
        assert "check" in labels
        assert not metric.endswith("_total")
        if "timestamp" in metric or "duration" in metric or "delay" in metric:
            assert metric.endswith("_seconds")
    text = _metrics.build("probe", [probe_result("relay")], CONNECTORS, categories, finished=NOW).render()
    for family in {line.split()[2] for line in text.splitlines() if line.startswith("# TYPE")}:
        assert "# HELP %s " % family in text


def test_values_in_text_format():
    assert [_metrics.format_value(v) for v in (True, 0, 3, 2.5, 1e-3, float("inf"), float("nan"), 1.8e9)] == [
        "1", "0", "3", "2.5", "0.001", "+Inf", "NaN", "1800000000"]


def test_wrong_labels_are_a_programming_error():
    with pytest.raises(ValueError, match="takes labels"):
        _metrics.Samples().add("connector_attempts", 1, check="probe")


def test_atomic_write_replaces_the_file_with_mode_0644(tmp_path):
    path = str(tmp_path / "mailops_smtp_probe.prom")
    old = os.umask(0o077)
    try:
        _metrics.write_atomic(path, "first\n")
        _metrics.write_atomic(path, "second\n")
    finally:
        os.umask(old)
    with open(path) as handle:
        assert handle.read() == "second\n"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o644
    assert os.listdir(str(tmp_path)) == ["mailops_smtp_probe.prom"]  # no temporary file left behind


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path, monkeypatch):
    path = str(tmp_path / "m.prom")
    _metrics.write_atomic(path, "old\n")

    def refuse(src, dst):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(_metrics.MetricsError, match="metrics_file: cannot write .*Permission denied"):
        _metrics.write_atomic(path, "new\n")
    with open(path) as handle:
        assert handle.read() == "old\n"
    assert os.listdir(str(tmp_path)) == ["m.prom"]


@pytest.mark.parametrize("name, problem", [
    ("missing/m.prom", "does not exist"),
    ("m.txt", "must end in .prom"),
    ("", None),
    ("m.prom", None),
])
def test_path_checked_before_the_checks_run(tmp_path, name, problem):
    path = str(tmp_path / name) if name else None
    found = _metrics.check_path(path)
    assert (found is None) if problem is None else (problem in found and found.startswith("metrics_file: "))


def test_a_directory_is_refused(tmp_path):
    assert "is a directory" in _metrics.check_path(str(tmp_path))


def test_the_example_alerting_rules_name_only_metrics_and_labels_the_modules_write():
    root = os.path.join(os.path.dirname(__file__), "..", "..", "..", "..")
    with open(os.path.join(root, "examples", "prometheus", "mailops_smtp_alerts.yml")) as handle:
        rules = [rule for group in yaml.safe_load(handle)["groups"] for rule in group["rules"]]
    assert len(rules) == 4
    for rule in rules:
        names = set(re.findall(r"\b(mailops_smtp_[a-z_]+)", rule["expr"]))
        assert names, rule["alert"]
        labels = set()
        for name in names:
            metric = name[len(_metrics.PREFIX):]
            assert metric in _metrics.METRICS, "%s names %s, which no module writes" % (rule["alert"], name)
            labels.update(_metrics.METRICS[metric][2])
        # instance is added by Prometheus when it scrapes node_exporter
        used = set(re.findall(r"\$labels\.([a-z_]+)", str(rule["annotations"]))) - {"instance"}
        assert used <= labels, "%s uses labels %s its metrics do not have" % (rule["alert"], used - labels)
