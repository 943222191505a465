# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Prometheus textfile metrics of the check modules (probe, tls_check, dns_check, delivery_check).

One room for all four: the metric catalogue (name, type, help, labels), the builders that turn a check's
result dicts into samples, the text exposition renderer and the atomic writer. node_exporter's textfile
collector reads the files; every metric carries a ``check`` label so that the files of several checks can
sit in the same directory without colliding. Labels are connector names, hosts, ports, stages, statuses and
DNS names - never usernames or passwords - and every label value is scrubbed of the connectors' secrets.

Private to the collection: may change without notice. Mirrors plugins/doc_fragments/metrics.py.
"""

from __future__ import annotations

import datetime
import math
import os
import re
import tempfile
import time

from ansible_collections.mailops.smtp.plugins.module_utils._model import scrub, secret_values

PREFIX = "mailops_smtp_"
FILE_MODE = 0o644

_NAME = re.compile(r"^[a-zA-Z_:][a-zA-Z0-9_:]*$")
_LABEL = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")

# name (without prefix) -> (type, help, label names). One catalogue, so HELP and labels of a metric are the
# same in every file (node_exporter refuses families whose help differs between files).
METRICS = {
    "last_run_timestamp_seconds": (
        "gauge", "Unix time at which the check last finished and wrote this file.", ("check",)),
    "last_run_duration_seconds": (
        "gauge", "Seconds the last run of the check took.", ("check",)),
    "connector_info": (
        "gauge", "The connectors a check looked at, with the host and port it talks to (value 1).",
        ("check", "connector", "host", "port", "security")),
    "connector_success": (
        "gauge", "1 when the connector passed the check (ok or warning), 0 when it failed; category is the first "
        "failure category (none when it passed).", ("check", "connector", "category")),
    "connector_status": (
        "gauge", "State set of the connector's outcome: 1 for the current status (ok, warning, failed), 0 for the "
        "others.", ("check", "connector", "status")),
    "connector_attempts": (
        "gauge", "Sessions opened for the connector in the last run (1 plus retries used).", ("check", "connector")),
    "stage_duration_seconds": (
        "gauge", "Seconds each stage of the connector's last session took (total is the whole session).",
        ("check", "connector", "stage")),
    "findings": (
        "gauge", "Findings reported for the connector, by severity.", ("check", "connector", "severity")),
    "tls_certificate_expiry_timestamp_seconds": (
        "gauge", "Unix time at which the certificate the server presented expires (notAfter).",
        ("check", "connector", "host", "port")),
    "tls_certificate_verified": (
        "gauge", "1 when the certificate chain and name were verified, 0 when not.", ("check", "connector")),
    "tls_dane_status": (
        "gauge", "State set of the DANE TLSA check: 1 for the current status, 0 for the others.",
        ("check", "connector", "status")),
    "dns_check_status": (
        "gauge", "State set of each DNS check: 1 for the current status (pass, warn, fail, error), 0 for the others.",
        ("check", "target", "kind", "test", "item", "status")),
    "delivery_status": (
        "gauge", "State set of the delivery: 1 for the current status (delivered, delivered_to_junk, bounced, "
        "not_arrived, mailbox_error, not_checked or the submission category), 0 for the others.",
        ("check", "connector", "status")),
    "delivery_delay_seconds": (
        "gauge", "Seconds from the relay's acceptance of the probe message to finding it in the mailbox.",
        ("check", "connector")),
    "delivery_measured_timestamp_seconds": (
        "gauge", "Unix time at which the reported delivery result was measured (older than the last run when the "
        "settings did not change and the last verified result is reported).", ("check", "connector")),
    "delivery_authentication_pass": (
        "gauge", "1 when the method (dkim, spf, dmarc) passed for the received probe, 0 when not; result is the "
        "method's result.", ("check", "connector", "method", "result")),
    "delivery_tls_all_hops": (
        "gauge", "1 when every hop after the relay says it used TLS, 0 when one did not.", ("check", "connector")),
}

SMTP_STATUSES = ("ok", "warning", "failed")
DNS_STATUSES = ("pass", "warn", "fail", "error")
DANE_STATUSES = ("match", "mismatch", "none", "unchecked", "error", "not_applicable")
DELIVERY_STATUSES = ("delivered", "delivered_to_junk", "bounced", "not_arrived", "mailbox_error", "not_checked")


class MetricsError(Exception):
    """The metrics file could not be written (message names the option and the path)."""


def argument_spec():
    """The option every check module with metrics declares (documented in doc fragment mailops.smtp.metrics)."""
    return {"metrics_file": {"type": "path"}}


# --- the exposition format ------------------------------------------------------------------------------------

def escape_label_value(value):
    """A label value as the text format wants it: backslash, double quote and line feed escaped."""
    text = "" if value is None else str(value)
    return text.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n")


def escape_help(text):
    return str(text).replace("\\", "\\\\").replace("\n", "\\n")


def format_value(value):
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    value = float(value)
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(value)


class Samples:
    """Samples grouped by metric, in catalogue order when rendered."""

    def __init__(self, secrets=()):
        self.secrets = list(secrets)
        self.by_name = {}

    def add(self, metric, value, **labels):
        if value is None:
            return
        names = METRICS[metric][2]
        if set(labels) != set(names):
            raise ValueError("metric %s takes labels %s, got %s" % (
                metric, ", ".join(names), ", ".join(sorted(labels))))
        values = tuple(scrub("" if labels[n] is None else str(labels[n]), self.secrets) for n in names)
        self.by_name.setdefault(metric, {})[values] = value

    def state_set(self, metric, current, states, **labels):
        """One sample per state: 1 for current, 0 for the others (current is added when not among states)."""
        current = current or "none"
        for state in list(states) + ([current] if current not in states else []):
            self.add(metric, 1 if state == current else 0, status=state, **labels)

    def count(self):
        return sum(len(samples) for samples in self.by_name.values())

    def render(self):
        return render(self.by_name)


def render(by_name):
    """The text exposition of {metric: {label values tuple: value}} (metric names without the prefix)."""
    lines = []
    for metric in METRICS:
        samples = by_name.get(metric)
        if not samples:
            continue
        kind, help_text, names = METRICS[metric]
        full = PREFIX + metric
        lines.append("# HELP %s %s" % (full, escape_help(help_text)))
        lines.append("# TYPE %s %s" % (full, kind))
        for values, value in samples.items():
            labels = ",".join('%s="%s"' % (n, escape_label_value(v)) for n, v in zip(names, values))
            lines.append("%s{%s} %s" % (full, labels, format_value(value)))
    return "\n".join(lines) + "\n" if lines else ""


# --- result dicts -> samples ------------------------------------------------------------------------------------

def _timestamp(text):
    """Unix time of an ISO 8601 UTC time as the engines write it (2026-01-31T12:00:00Z), or None."""
    if not text:
        return None
    try:
        parsed = datetime.datetime.strptime(str(text), "%Y-%m-%dT%H:%M:%SZ")
    except ValueError:
        return None
    return int(parsed.replace(tzinfo=datetime.timezone.utc).timestamp())


def _connector_info(samples, check, connectors):
    for conn in connectors or []:
        samples.add("connector_info", 1, check=check, connector=conn.get("name"), host=conn.get("host"),
                    port=conn.get("port"), security=conn.get("security"))


def _outcome(samples, check, name, status, categories):
    """connector_success (category: the first failure category) and the connector_status state set."""
    failed = status == "failed"
    category = ((categories or [None])[0] or "unknown") if failed else "none"
    samples.add("connector_success", 0 if failed else 1, check=check, connector=name, category=category)
    samples.state_set("connector_status", status, SMTP_STATUSES, check=check, connector=name)


def _findings(samples, check, name, findings):
    counts = {"error": 0, "warning": 0}
    for item in findings or []:
        severity = item.get("severity") or "warning"
        counts[severity] = counts.get(severity, 0) + 1
    for severity, number in counts.items():
        samples.add("findings", number, check=check, connector=name, severity=severity)


def _certificate(samples, check, res, cert):
    if not cert:
        return
    samples.add("tls_certificate_expiry_timestamp_seconds", _timestamp(cert.get("not_after")), check=check,
                connector=res["name"], host=res.get("host"), port=res.get("port"))


def smtp_samples(samples, check, results, categories):
    """probe and tls_check results: success, status, attempts, stage timings, findings, certificate."""
    for res in results:
        name = res["name"]
        _outcome(samples, check, name, res.get("status"), categories(res))
        samples.add("connector_attempts", res.get("attempts"), check=check, connector=name)
        for stage, millis in sorted((res.get("timings") or {}).items()):
            if isinstance(millis, (int, float)):
                samples.add("stage_duration_seconds", millis / 1000.0, check=check, connector=name, stage=stage)
        _findings(samples, check, name, res.get("findings"))
        tls = res.get("tls") or {}
        if tls:
            samples.add("tls_certificate_verified", bool(tls.get("verified")), check=check, connector=name)
        _certificate(samples, check, res, res.get("certificate") or tls.get("peer_certificate"))
        if isinstance(res.get("dane"), dict):
            samples.state_set("tls_dane_status", res["dane"].get("status"), DANE_STATUSES, check=check,
                              connector=name)


def dns_samples(samples, check, results, categories):  # pylint: disable=unused-argument
    """dns_check results: a status state set per target, check and item."""
    for item in results:
        samples.state_set("dns_check_status", item.get("status"), DNS_STATUSES, check=check,
                          target=item.get("target"), kind=item.get("kind"), test=item.get("check"),
                          item=item.get("item"))


def _dkim_result(signatures):
    results = [s.get("result") for s in signatures or [] if isinstance(s, dict)]
    if "pass" in results:
        return "pass"
    return results[0] if results else "none"


def delivery_samples(samples, check, results, categories):
    """delivery_check results: success, status, delay, when measured, authentication, TLS on every hop."""
    for res in results:
        name = res["connector"]
        _outcome(samples, check, name, res.get("outcome"), categories(res))
        samples.state_set("delivery_status", res.get("status"), DELIVERY_STATUSES, check=check, connector=name)
        samples.add("delivery_delay_seconds", res.get("delay_seconds"), check=check, connector=name)
        samples.add("delivery_measured_timestamp_seconds", _timestamp(res.get("verified_at")), check=check,
                    connector=name)
        _findings(samples, check, name, res.get("findings"))
        auth = res.get("auth") or {}
        if auth:
            methods = {
                "dkim": _dkim_result(auth.get("dkim")),
                "spf": (auth.get("spf") or {}).get("result") or "none",
                "dmarc": (auth.get("dmarc") or {}).get("result") or "none",
            }
            for method, result in methods.items():
                samples.add("delivery_authentication_pass", result == "pass", check=check, connector=name,
                            method=method, result=result)
        if res.get("tls_all_hops") is not None:
            samples.add("delivery_tls_all_hops", bool(res["tls_all_hops"]), check=check, connector=name)


BUILDERS = {
    "probe": smtp_samples,
    "tls_check": smtp_samples,
    "dns_check": dns_samples,
    "delivery_check": delivery_samples,
}


def build(check, results, connectors=None, categories=None, finished=None, duration=None, secrets=None):
    """The Samples of one run of check (a BUILDERS key) over its result dicts.

    categories(result): the failure categories of a result, as the check's fail_on reads them.
    """
    samples = Samples(secret_values(connectors) if secrets is None else secrets)
    samples.add("last_run_timestamp_seconds", finished if finished is not None else time.time(), check=check)
    samples.add("last_run_duration_seconds", duration, check=check)
    _connector_info(samples, check, connectors)
    BUILDERS[check](samples, check, results, categories or (lambda res: []))
    return samples


# --- the file ---------------------------------------------------------------------------------------------------

def check_path(path):
    """Why path cannot take a metrics file, or None (asked before the checks run, so nothing is half done)."""
    if not path:
        return None
    directory = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path):
        return "metrics_file: %s is a directory; give a file name ending in .prom" % path
    if not os.path.isdir(directory):
        return "metrics_file: the directory %s does not exist (create it, for example node_exporter's " \
               "--collector.textfile.directory)" % directory
    if not os.access(directory, os.W_OK | os.X_OK):
        return "metrics_file: the directory %s is not writable by this user" % directory
    if not path.endswith(".prom"):
        return "metrics_file: %s must end in .prom (node_exporter's textfile collector reads only *.prom files)" % path
    return None


def write_atomic(path, text):
    """Write text to path so readers see the old or the new file, never a part (temp file, fsync, rename)."""
    directory = os.path.dirname(os.path.abspath(path))
    # The temporary name does not end in .prom, so the collector never reads a file being written.
    fd, tmp = tempfile.mkstemp(prefix=".%s." % os.path.basename(path), suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(text.encode("utf-8", "replace"))
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, FILE_MODE)
        os.replace(tmp, path)
    except OSError as exc:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise MetricsError("metrics_file: cannot write %s: %s" % (path, exc.strerror or exc))
    try:
        dir_fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    except OSError:
        pass
    finally:
        os.close(dir_fd)


# --- the modules' side ------------------------------------------------------------------------------------------

def check_option(module):
    """Fail the module early when metrics_file cannot be written."""
    problem = check_path(module.params.get("metrics_file"))
    if problem:
        module.fail_json(msg=problem)


def publish(module, check, results, out, connectors=None, categories=None, started=None):
    """Write the metrics of this run when metrics_file is set, and put RV(metrics_file) into out (the result).

    Check mode writes nothing (the file is output on the host the task runs on); the entry says what would be
    written. A write error fails the module with the results already in out.
    """
    path = module.params.get("metrics_file")
    if not path:
        return
    duration = None if started is None else max(0.0, time.monotonic() - started)
    samples = build(check, results, connectors, categories, finished=time.time(), duration=duration)
    out["metrics_file"] = entry = {"path": path, "written": False, "samples": samples.count()}
    if module.check_mode:
        return
    try:
        write_atomic(path, samples.render())
    except MetricsError as exc:
        module.fail_json(msg=str(exc), **out)
    entry["written"] = True
