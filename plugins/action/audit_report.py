# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Action: write an audit or environment comparison report (JSON, Markdown, HTML, JUnit) on the controller."""

from __future__ import annotations

import os
import tempfile

from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.text.converters import to_bytes, to_native
from ansible.plugins.action import ActionBase

from ansible_collections.mailops.smtp.plugins.module_utils import _report

_FORMATS = ["json", "markdown", "html"]

ARGUMENT_SPEC = {
    "results": {"type": "dict"},
    "comparison": {"type": "dict"},
    "dest": {"type": "path", "required": True},
    "basename": {"type": "str"},
    "formats": {"type": "list", "elements": "str", "choices": _FORMATS, "default": _FORMATS},
    "junit": {"type": "path"},
    "inventory_source": {"type": "str", "default": ""},
    "ignore_fields": {"type": "list", "elements": "str", "default": []},
    "fail_on_drift": {"type": "bool", "default": False},
    "evidence": {"type": "dict"},
}


def write_atomic(path, text):
    """Write text to path through a temporary file in the same directory and a rename."""
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".%s." % os.path.basename(path), dir=directory)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(to_bytes(text, errors="surrogate_or_strict"))
            handle.flush()
            os.fsync(handle.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o644 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        dummy, args = self.validate_argument_spec(
            argument_spec=ARGUMENT_SPEC,
            mutually_exclusive=[["results", "comparison"]],
            required_one_of=[["results", "comparison"]],
        )
        try:
            if args["results"] is not None:
                report = _report.build_audit(args["results"], inventory_source=args["inventory_source"],
                                             ignore_fields=args["ignore_fields"], evidence=args["evidence"])
                basename = args["basename"] or "audit"
            else:
                comp = args["comparison"]
                for key in ("added", "removed", "differences"):
                    if not isinstance(comp.get(key), list):
                        raise _report.DiffError("comparison/%s must be a list: pass the registered result of "
                                                "mailops.smtp.inventory_diff" % key)
                report = _report.build_comparison(comp, left_source=comp.get("left_source", ""),
                                                  right_source=comp.get("right_source", ""))
                basename = args["basename"] or "comparison"
        except _report.DiffError as exc:
            raise AnsibleActionFail("Cannot build the report: %s" % exc) from None
        if os.sep in basename or basename in ("", ".", ".."):
            raise AnsibleActionFail("basename must be a plain file name without '/', got %r" % basename)

        outputs = {}
        for fmt in args["formats"]:
            render, suffix = _report.RENDERERS[fmt]
            outputs[fmt] = (os.path.join(args["dest"], basename + suffix), render(report))
        if args["junit"]:
            outputs["junit"] = (args["junit"], _report.render_junit(report))

        if not self._task.check_mode:
            for fmt, (path, text) in outputs.items():
                try:
                    write_atomic(path, text)
                except OSError as exc:
                    raise AnsibleActionFail("Cannot write the %s report to %s: %s" % (fmt, path, to_native(exc))) from None

        result["changed"] = bool(outputs)
        result["files"] = dict((fmt, path) for fmt, (path, text) in outputs.items())
        result["summary"] = report["summary"]
        result["drift"] = report["drift"]
        if report.get("evidence"):
            result["evidence"] = report["evidence"]["summary"]
        problems = report["drift"] or report.get("errors")
        if args["fail_on_drift"] and problems:
            summary = report["summary"]
            if report["report"] == "mailops.smtp.audit":
                what = ("%d drifted field(s), %d missing and %d unexpected connector(s) on %d host(s), "
                        "%d host(s) not readable" % (summary["drifted_fields"], summary["missing_connectors"],
                                                     summary["unexpected_connectors"], summary["hosts_with_drift"],
                                                     summary["hosts_with_errors"]))
            else:
                what = _report.comparison_summary_line(summary)
            result["failed"] = True
            result["msg"] = "Drift found: %s. Report: %s" % (
                what, ", ".join(path for path, text in outputs.values()) or "(not written in check mode)")
        return result
