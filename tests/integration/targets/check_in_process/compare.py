#!/usr/bin/env python
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Compare the results routes.yml kept: each task's in-process result with its module result.

Everything must be equal but what differs between any two runs of the same check: durations, the
clock's time in a message, the Message-IDs of the test messages and the relay's queue ID for
them, and the names of the files each run was given (state file, progress file).
"""

from __future__ import annotations

import json
import re
import sys

VOLATILE = frozenset(("timings", "message_id", "state_file", "progress_file", "last_verified", "item",
                      "ansible_loop_var"))
TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")
QUEUE_ID = re.compile(r"queued as \S+")


def stable(value):
    if isinstance(value, dict):
        return {key: stable(item) for key, item in value.items() if key not in VOLATILE}
    if isinstance(value, list):
        return [stable(item) for item in value]
    if isinstance(value, str):
        return QUEUE_ID.sub("queued as (ID)", TIMESTAMP.sub("(time)", value))
    return value


def differences(left, right, path=""):
    if type(left) is not type(right):
        return ["%s: %r (in process) != %r (module)" % (path, left, right)]
    if isinstance(left, dict):
        found = []
        for key in sorted(set(left) | set(right)):
            if key not in right:
                found.append("%s/%s: only in process: %.200r" % (path, key, left[key]))
            elif key not in left:
                found.append("%s/%s: only as a module: %.200r" % (path, key, right[key]))
            else:
                found.extend(differences(left[key], right[key], "%s/%s" % (path, key)))
        return found
    if isinstance(left, list):
        if len(left) != len(right):
            return ["%s: %d items (in process) != %d (module)" % (path, len(left), len(right))]
        found = []
        for index, one in enumerate(left):
            found.extend(differences(one, right[index], "%s[%d]" % (path, index)))
        return found
    return [] if left == right else ["%s: %.200r (in process) != %.200r (module)" % (path, left, right)]


def main():
    with open(sys.argv[1], encoding="utf-8") as handle:
        kept = json.load(handle)
    failures = []
    for task, runs in sorted(kept.items()):
        by_route = {run["item"]["key"]: run for run in runs}
        in_process, module = by_route["in_process"], by_route["module"]
        found = differences(stable(in_process), stable(module), task)
        failures.extend(found)
        verdict = "failed: %s" % module.get("msg", "")[:120] if module.get("failed") else "ok"
        print("%-12s %s: %s" % (task, "same result both ways" if not found else "%d differences" % len(found), verdict))
    for line in failures:
        print("DIFFERENT " + line)
    expected_failures = {"probe", "tls_check", "test_send", "dns_check", "unsupported", "wrong_type", "invalid"}
    failed = {task for task, runs in kept.items() if all(run.get("failed") for run in runs)}
    if failed != expected_failures:
        print("FAILED: tasks that failed both ways: %s; expected %s" % (sorted(failed), sorted(expected_failures)))
        return 1
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
