#!/usr/bin/env python
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""B6: the playbook mailops.smtp.validate_environment over a generated inventory of N hosts.

The inventory is what a large estate looks like: N hosts (default 10,000) in 10 groups, each host
with a host_vars file declaring 2 connectors whose sender and password come from group and vault
style variables by template, one host in 100 with an invalid port. Each run is a whole
ansible-playbook process (start-up and inventory loading included) on 2 forks' worth of machine.

Measured per run: wall time, peak RSS of the largest process of the run (ansible-playbook and its
workers), and the JUnit file: it must hold one testcase per host and connector (2 N) and one
failure per invalid connector. Goals at 10,000 hosts: under 60 s and under 2 GiB.

Usage: python benchmarks/validate_scale_bench.py [--short] [--hosts N] [--repeat R] [--keep]
Run by tools/bench.sh (`make bench`) after benchmarks/bench.py; --short (500 hosts) is what CI runs.
Results: printed and written as JSON to build/bench/B6.json.
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FULL, SHORT = 10000, 500
GOAL_SECONDS, GOAL_RSS_MIB = 60.0, 2048
CONNECTORS_PER_HOST = 2
INVALID_EVERY = 100
# Runs one command and prints its peak RSS: RUSAGE_CHILDREN of a process that has only that
# command as child is the largest resident set of the command's process tree.
MEASURE = ("import resource, subprocess, sys\n"
           "proc = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)\n"
           "sys.stderr.write(proc.stderr[-3000:])\n"
           "usage = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
           "print(proc.returncode, usage.ru_maxrss, usage.ru_utime + usage.ru_stime)\n")


def host_name(index):
    return "app%05d" % index


def write_inventory(path, hosts):
    os.makedirs(os.path.join(path, "host_vars"))
    os.makedirs(os.path.join(path, "group_vars", "all"))
    with open(os.path.join(path, "group_vars", "all", "main.yml"), "w", encoding="utf-8") as handle:
        handle.write("smtp_mail_domain: example-district.org\nsmtp_forbidden_sender_domains:\n  - vendor.example\n")
    with open(os.path.join(path, "group_vars", "all", "secrets.yml"), "w", encoding="utf-8") as handle:
        handle.write("vault_smtp_password: scale-Secret-0451\n")
    groups = {}
    for index in range(hosts):
        groups.setdefault("site%d" % (index % 10), []).append(host_name(index))
    with open(os.path.join(path, "hosts.yml"), "w", encoding="utf-8") as handle:
        handle.write("all:\n  children:\n")
        for group in sorted(groups):
            handle.write("    %s:\n      hosts:\n" % group)
            for name in groups[group]:
                handle.write("        %s:\n" % name)
    for index in range(hosts):
        port = 70000 if index % INVALID_EVERY == INVALID_EVERY - 1 else 587
        with open(os.path.join(path, "host_vars", host_name(index) + ".yml"), "w", encoding="utf-8") as handle:
            handle.write(
                "smtp_connectors:\n"
                "  - name: relay\n    host: smtp%d.example-district.org\n    port: %d\n    security: starttls\n"
                "    auth:\n      username: \"app%d@{{ smtp_mail_domain }}\"\n"
                "      password: \"{{ vault_smtp_password }}\"\n"
                "    senders:\n      default: \"app%d@{{ smtp_mail_domain }}\"\n"
                "  - name: fax\n    host: fax-gw.internal.example-district.org\n    port: 25\n"
                "    security: starttls\n    starttls: opportunistic\n"
                "    senders:\n      default: fax%d@example-district.org\n" % (index % 13, port, index, index, index))


def collections_dir(work):
    path = os.path.join(work, "collections", "ansible_collections", "mailops")
    os.makedirs(path)
    os.symlink(ROOT, os.path.join(path, "smtp"))
    return os.path.join(work, "collections")


def run_once(work, inventory, junit):
    env = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_COLLECTIONS_PATH=collections_dir_cached(work),
               ANSIBLE_HOME=os.path.join(work, "ansible-home"), ANSIBLE_RETRY_FILES_ENABLED="0",
               ANSIBLE_INVENTORY_UNPARSED_WARNING="0")
    if os.path.exists(junit):
        os.unlink(junit)
    playbook = os.path.join(ROOT, ".venv", "py311", "bin", "ansible-playbook")
    python = os.path.join(ROOT, ".venv", "py311", "bin", "python")
    cmd = [python, "-c", MEASURE, python, playbook, "mailops.smtp.validate_environment", "-i", inventory,
           "-e", "validate_junit_file=%s" % junit]
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False, env=env)
    elapsed = time.perf_counter() - start
    returncode, maxrss_kib, cpu = proc.stdout.split()[-3:]
    returncode, maxrss_kib, cpu = int(returncode), int(maxrss_kib), float(cpu)
    # The inventory holds invalid connectors on purpose: the playbook must fail (exit 2), having
    # written the report.
    if returncode != 2 or not os.path.exists(junit):
        raise SystemExit("validate_environment exited %d (expected 2, with a JUnit file)\n%s" % (returncode, proc.stderr))
    return elapsed, maxrss_kib / 1024.0, cpu


_COLLECTIONS = {}


def collections_dir_cached(work):
    if work not in _COLLECTIONS:
        _COLLECTIONS[work] = collections_dir(work)
    return _COLLECTIONS[work]


def junit_counts(path):
    root = ET.parse(path).getroot()
    cases = root.findall(".//testcase")
    failed = [case for case in cases if case.findall("failure")]
    return len(cases), len(failed)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--short", action="store_true", help="%d hosts, one run (what CI runs)" % SHORT)
    parser.add_argument("--hosts", type=int, default=None, help="hosts in the inventory (default %d)" % FULL)
    parser.add_argument("--repeat", type=int, default=None, help="runs (default 3, 1 with --short)")
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    parser.add_argument("--only", nargs="+", default=None, help="run only when B6 is listed (as bench.py)")
    args, _ignored = parser.parse_known_args()  # bench.py's other options are not B6's business
    if args.only is not None and "B6" not in args.only:
        return 0
    hosts = args.hosts or (SHORT if args.short else FULL)
    repeat = args.repeat or (1 if args.short else 3)
    work = tempfile.mkdtemp(prefix="mailops-scale-")
    try:
        inventory = os.path.join(work, "inventory")
        write_inventory(inventory, hosts)
        junit = os.path.join(work, "report.xml")
        times, rss, cpus, counts = [], [], [], set()
        for _run in range(repeat):
            elapsed, peak, cpu = run_once(work, inventory, junit)
            times.append(elapsed)
            cpus.append(cpu)
            rss.append(peak)
            counts.add(junit_counts(junit))
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    expected = (hosts * CONNECTORS_PER_HOST, hosts // INVALID_EVERY)
    row = {
        "id": "B6", "title": "validate_environment over a generated inventory", "hosts": hosts,
        "connectors": hosts * CONNECTORS_PER_HOST, "short": args.short,
        "seconds": {"min": round(min(times), 2), "median": round(statistics.median(times), 2),
                    "max": round(max(times), 2), "runs": [round(t, 2) for t in times]},
        # CPU seconds of the whole run (all processes): on a machine shared with other work, the
        # figure that does not grow with the others' load the way wall time does.
        "cpu_seconds": {"min": round(min(cpus), 2), "median": round(statistics.median(cpus), 2),
                        "max": round(max(cpus), 2)},
        "peak_rss_mib": {"min": round(min(rss)), "median": round(statistics.median(rss)), "max": round(max(rss))},
        "junit": {"testcases": sorted(counts)[0][0], "failed": sorted(counts)[0][1],
                  "expected_testcases": expected[0], "expected_failed": expected[1]},
        "goal": {"seconds": GOAL_SECONDS, "peak_rss_mib": GOAL_RSS_MIB, "applies_at_hosts": FULL},
        "complete": counts == {expected},
    }
    print("B6  validate_environment, %d hosts x %d connectors: %.2f/%.2f/%.2f s (CPU %.1f s)  peak RSS %d/%d/%d MiB  "
          "JUnit %d testcases, %d failed (expected %d, %d)%s" % (
              hosts, CONNECTORS_PER_HOST, row["seconds"]["min"], row["seconds"]["median"], row["seconds"]["max"],
              row["cpu_seconds"]["median"],
              row["peak_rss_mib"]["min"], row["peak_rss_mib"]["median"], row["peak_rss_mib"]["max"],
              row["junit"]["testcases"], row["junit"]["failed"], expected[0], expected[1],
              "" if row["complete"] else "  INCOMPLETE"))
    out_dir = os.path.join(ROOT, "build", "bench")
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "B6.json"), "w", encoding="utf-8") as handle:
        json.dump(row, handle, indent=2)
    return 0 if row["complete"] else 1


if __name__ == "__main__":
    sys.exit(main())
