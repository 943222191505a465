#!/usr/bin/env python
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Where the checks run: time examples/sites/probe_by_site.yml's three ways (docs/scale.md).

Starts the benchmark's SMTP listeners on loopback (STARTTLS, AUTH), spreads N connectors over the
four sites of examples/sites/inventory.yml and times whole ansible-playbook runs of

  single              one probe task on the controller over all N connectors
  per_site forks F    one probe task per site on that site's sender host, F hosts at a time
  delegated           a loop on the controller, each site's task delegated to its sender host

as min/median/max over --repeat runs. Every run asserts that every connector answered.

  .venv/py311/bin/python benchmarks/sites_bench.py --connectors 200 --repeat 3 [--latency 0.010]
"""

import argparse
import json
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import bench  # noqa: E402  pylint: disable=wrong-import-position

EXAMPLE = os.path.join(bench.ROOT, "examples", "sites")
SITES = ("a", "b", "c", "d")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connectors", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--latency", type=float, default=0.0,
                        help="seconds each way in front of every SMTP listener (benchmarks/_latency_proxy.py)")
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="mailops-scale-")
    servers = bench.Servers(work)
    try:
        servers.start_smtp(listeners=4)
        if args.latency:
            servers.with_latency(args.latency)
        conns = bench.smtp_connectors(servers, args.connectors)
        by_site = dict((site, conns[index::len(SITES)]) for index, site in enumerate(SITES))
        vars_file = os.path.join(work, "connectors.json")
        with open(vars_file, "w", encoding="utf-8") as handle:
            json.dump({"scale_connectors": by_site}, handle)
        base = [bench.venv_bin("py311", "ansible-playbook"), "-i", os.path.join(EXAMPLE, "inventory.yml"),
                "-e", "@" + vars_file, "-e", "ansible_python_interpreter=%s" % bench.venv_bin("py311", "python")]
        book = os.path.join(EXAMPLE, "probe_by_site.yml")
        env = bench.ansible_env(work)
        print("%d connectors over %d sites, %s; min/median/max of %d runs" % (
            args.connectors, len(SITES), "%g ms each way" % (args.latency * 1000) if args.latency else "loopback",
            args.repeat))
        rows = []
        for label, extra in (("single", ["--tags", "single"]),
                             ("per_site forks 4", ["--tags", "per_site", "-f", "4"]),
                             ("per_site forks 1", ["--tags", "per_site", "-f", "1"]),
                             ("delegated", ["--tags", "delegated"])):
            cmd = base + extra + [book]
            times = bench.timed(lambda cmd=cmd: bench.run(cmd, env=env), args.repeat)
            row = dict(bench.figures(times), way=label)
            rows.append(row)
            print("%-18s %6.2f / %6.2f / %6.2f s" % (label, row["min"], row["median"], row["max"]))
            sys.stdout.flush()
        out_dir = os.path.join(bench.ROOT, "build", "bench")
        os.makedirs(out_dir, exist_ok=True)
        with open(os.path.join(out_dir, "sites.json"), "w", encoding="utf-8") as handle:
            json.dump({"connectors": args.connectors, "sites": len(SITES), "latency": args.latency, "rows": rows},
                      handle, indent=2)
    finally:
        servers.stop()
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
