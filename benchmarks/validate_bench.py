# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Benchmark: validate N connectors (default 10,000) in one mailops.smtp.validate task.

Measured in the same run:
  task      ansible-playbook with one mailops.smtp.validate task over N connectors
            (wall time of the whole ansible-playbook process, start-up included)
  baseline  the same play with ansible.builtin.debug templating the same list (its length):
            what Ansible itself spends loading the N connectors and handing them to a task
  task - baseline is what validation adds to a playbook.
  ours      validate_connectors() in-process: schema + every semantic rule
  peer      jsonschema's Draft202012Validator.iter_errors over the same list: what a
            hand-written schema-only CI check does (no semantic rules, no messages)
The figure of merit is ours/peer: the price of the semantic rules and readable findings.

Usage: python benchmarks/validate_bench.py [--count N] [--ansible-playbook PATH]
Needs the collection importable (run from an ansible_collections/mailops/smtp tree, or set
ANSIBLE_COLLECTIONS_PATH / PYTHONPATH to a directory holding ansible_collections/).
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time


def make_connectors(count):
    conns = []
    for i in range(count):
        conn = {
            "name": "connector-%05d" % i,
            "host": "smtp%d.example.org" % (i % 97),
            "port": (587, 465, 25)[i % 3],
            "security": ("starttls", "tls", "starttls")[i % 3],
            "auth": {"username": "app%d@example.org" % i, "password": "bench-secret-%d" % i},
            "senders": {"default": '"App %d" <app%d@example.org>' % (i, i), "portal": "portal%d@example.org" % i},
            "delivery": {"throttle_per_second": 1 + i % 999, "max_errors": 10},
            "attachments": {"max_size_mb": i % 100},
            "test": {"to": ["tests@example.org"]},
        }
        if i % 3 == 2:
            conn["allow_plaintext_auth"] = True
        if i % 50 == 0:
            conn["port"] = 70000  # some invalid ones, so the error path is measured too
        conns.append(conn)
    return conns


def best_of(runs, func):
    times = []
    for _run in range(runs):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return min(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--ansible-playbook", default="ansible-playbook")
    args = parser.parse_args()

    from jsonschema import Draft202012Validator

    from ansible_collections.mailops.smtp.plugins.module_utils._schema_data import CONNECTOR_SCHEMA
    from ansible_collections.mailops.smtp.plugins.module_utils._validate import validate_connectors

    conns = make_connectors(args.count)
    list_schema = {"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "array",
                   "items": CONNECTOR_SCHEMA}
    peer_validator = Draft202012Validator(list_schema)
    validate_connectors(conns[:10])  # build the validator once, as the task does on first use

    ours = best_of(args.runs, lambda: validate_connectors(conns))
    peer = best_of(args.runs, lambda: list(peer_validator.iter_errors(conns)))
    errors = len(validate_connectors(conns)["errors"])

    with tempfile.TemporaryDirectory() as tmp:
        with open(os.path.join(tmp, "connectors.json"), "w", encoding="utf-8") as handle:
            json.dump({"bench_connectors": conns}, handle)
        plays = {
            "task": "    - mailops.smtp.validate:\n        connectors: '{{ bench_connectors }}'\n        fail_on: never\n",
            "baseline": "    - ansible.builtin.debug:\n        msg: '{{ bench_connectors | length }}'\n",
        }
        wall = {}
        for label, task_text in plays.items():
            path = os.path.join(tmp, label + ".yml")
            with open(path, "w", encoding="utf-8") as handle:
                handle.write("- hosts: localhost\n  gather_facts: false\n  tasks:\n" + task_text)
            cmd = [args.ansible_playbook, "-i", "localhost,", "-c", "local",
                   "-e", "@" + os.path.join(tmp, "connectors.json"), path]
            start = time.perf_counter()
            proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
            wall[label] = time.perf_counter() - start
            if proc.returncode != 0:
                print(proc.stdout[-2000:], proc.stderr[-2000:], file=sys.stderr)
                return 1
        task = wall["task"]

    print("connectors: %d (errors found: %d)" % (args.count, errors))
    print("task (ansible-playbook, one validate task, wall): %.2f s" % task)
    print("baseline (same play, debug of the list's length):  %.2f s" % wall["baseline"])
    print("added by validation (task - baseline):            %.2f s" % (task - wall["baseline"]))
    print("ours (schema + semantic rules, in-process):       %.3f s  (%.0f connectors/s)" % (ours, args.count / ours))
    print("peer (jsonschema iter_errors, schema only):       %.3f s  (%.0f connectors/s)" % (peer, args.count / peer))
    print("ratio ours/peer: %.2f" % (ours / peer))
    return 0


if __name__ == "__main__":
    sys.exit(main())
