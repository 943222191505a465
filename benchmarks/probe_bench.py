#!/usr/bin/env python
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Benchmark: probe N connectors (default 500) in one mailops.smtp.probe task against local servers.

Servers: extensions/servers/smtp_server.py, several processes with several listeners each, a mix of
STARTTLS + AUTH, implicit TLS + AUTH and plain relays, certificates verified against the test CA.

Measured in the same run, against the same servers, with the same steps per connector
(connect, banner, EHLO, STARTTLS where declared, verified TLS, EHLO, AUTH, QUIT):
  task      ansible-playbook with one mailops.smtp.probe task over N connectors
            (wall time of the whole process, start-up included)
  ours      the probe engine in-process, at the default concurrency (20) and at --concurrency
  peer      Python's smtplib, one connector after the other: how one-at-a-time tools
            (swaks in a loop, community.general.mail per host) check connectors
The figure of merit is peer/ours: how many times faster the concurrent engine probes.
Each measurement is repeated with a greeting delay on the servers (--greeting-delays): on loopback
everything is CPU, while real servers answer after network round trips and greeting pauses, which
is where concurrency pays.

Usage: python benchmarks/probe_bench.py [--count 500] [--concurrency 100] [--ansible-playbook PATH]
Needs the collection importable (ANSIBLE_COLLECTIONS_PATH / PYTHONPATH pointing at a directory
holding ansible_collections/mailops/smtp), and aiosmtplib, aiosmtpd, trustme.
"""

import argparse
import asyncio
import json
import os
import smtplib
import ssl
import subprocess
import sys
import tempfile
import time

from _playbook import timed_playbook

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SERVER = os.path.join(ROOT, "extensions", "servers", "smtp_server.py")
PASSWORD = "bench-Pw-0451"
KINDS = (
    {"mode": "starttls", "require_starttls": True, "auth": "bench:" + PASSWORD},
    {"mode": "tls", "auth": "bench:" + PASSWORD},
    {"mode": "plain"},
)


def start_servers(state, processes, listeners, greeting_delay=0.0):
    infos = {}
    for proc in range(processes):
        config = []
        for index in range(listeners):
            spec = dict(KINDS[(proc * listeners + index) % len(KINDS)])
            spec["name"] = "p%d-l%d" % (proc, index)
            spec["banner_delay"] = greeting_delay
            config.append(spec)
        path = os.path.join(state, "servers-%d.json" % proc)
        with open(path, "w") as handle:
            json.dump(config, handle)
        out = subprocess.run([sys.executable, SERVER, "--state-dir", state, "--config", path, "--background"],
                             check=True, stdout=subprocess.PIPE, text=True).stdout
        infos.update(json.loads(out))
    return infos


def stop_servers(state, processes):
    for proc in range(processes):
        subprocess.run([sys.executable, SERVER, "--state-dir", state, "--config",
                        os.path.join(state, "servers-%d.json" % proc), "--stop"], check=False)


def make_connectors(infos, count):
    names = sorted(infos)
    conns = []
    for i in range(count):
        info = infos[names[i % len(names)]]
        conn = {
            "name": "bench-%04d" % i,
            "host": "127.0.0.1",
            "port": info["port"],
            "security": {"starttls": "starttls", "tls": "tls", "plain": "none"}[info["mode"]],
            "senders": {"default": "bench%d@example.org" % i},
            "timeout": 60,
        }
        if info["mode"] != "plain":
            conn["tls"] = {"ca_file": info["ca_file"]}
            conn["auth"] = {"username": "bench", "password": PASSWORD}
        conns.append(conn)
    return conns


def run_ours(conns, concurrency):
    from ansible_collections.mailops.smtp.plugins.module_utils._model import normalize
    from ansible_collections.mailops.smtp.plugins.module_utils._smtp.engine import run_all
    from ansible_collections.mailops.smtp.plugins.module_utils._smtp.probe import probe_connector

    options = {"retries": 0, "retry_delay": 0, "ehlo_name": "bench.example.org"}
    normalized = [normalize(c) for c in conns]

    async def worker(conn):
        return await probe_connector(conn, options)

    start = time.monotonic()
    results = asyncio.run(run_all(normalized, worker, concurrency))
    elapsed = time.monotonic() - start
    failed = [r for r in results if r["status"] == "failed"]
    return elapsed, failed


def run_peer(conns):
    start = time.monotonic()
    failures = 0
    for conn in conns:
        try:
            if conn["security"] == "tls":
                ctx = ssl.create_default_context(cafile=conn["tls"]["ca_file"])
                client = smtplib.SMTP_SSL(conn["host"], conn["port"], local_hostname="bench.example.org",
                                          context=ctx, timeout=60)
            else:
                client = smtplib.SMTP(conn["host"], conn["port"], local_hostname="bench.example.org", timeout=60)
            client.ehlo()
            if conn["security"] == "starttls":
                client.starttls(context=ssl.create_default_context(cafile=conn["tls"]["ca_file"]))
                client.ehlo()
            if conn.get("auth"):
                client.login(conn["auth"]["username"], conn["auth"]["password"])
            client.quit()
        except (smtplib.SMTPException, OSError):
            failures += 1
    return time.monotonic() - start, failures


def run_task(conns, ansible_playbook, concurrency):
    with tempfile.TemporaryDirectory() as tmp:
        vars_file = os.path.join(tmp, "vars.json")
        with open(vars_file, "w") as handle:
            json.dump({"bench_connectors": conns}, handle)
        playbook = os.path.join(tmp, "probe.yml")
        with open(playbook, "w") as handle:
            handle.write(
                "- hosts: localhost\n  gather_facts: false\n  tasks:\n"
                "    - mailops.smtp.probe:\n        connectors: \"{{ bench_connectors }}\"\n"
                "        concurrency: %d\n        retries: 0\n        ehlo_name: bench.example.org\n" % concurrency)
        return timed_playbook(ansible_playbook, playbook, vars_file, "probe")


def measure(args, greeting_delay, with_task):
    with tempfile.TemporaryDirectory() as state:
        try:
            infos = start_servers(state, args.server_processes, args.listeners, greeting_delay)
            conns = make_connectors(infos, args.count)
            peer, peer_failures = run_peer(conns)
            ours_default, failed_default = run_ours(conns, 20)
            ours_wide, failed_wide = run_ours(conns, args.concurrency)
            task = run_task(conns, args.ansible_playbook, args.concurrency) if with_task else None
        finally:
            stop_servers(state, args.server_processes)
    print("== greeting delay %d ms: %d connectors over %d listeners in %d server processes "
          "(STARTTLS+AUTH, TLS+AUTH, plain)" % (greeting_delay * 1000, args.count, len(infos), args.server_processes))
    print("peer (smtplib, sequential):            %7.2f s  (%6.1f connectors/s, %d failed)" % (
        peer, args.count / peer, peer_failures))
    print("ours (engine, concurrency 20):         %7.2f s  (%6.1f connectors/s, %d failed)" % (
        ours_default, args.count / ours_default, len(failed_default)))
    print("ours (engine, concurrency %-4d):       %7.2f s  (%6.1f connectors/s, %d failed)" % (
        args.concurrency, ours_wide, args.count / ours_wide, len(failed_wide)))
    if task is not None:
        print("task (ansible-playbook, one probe task, concurrency %d, wall): %.2f s" % (args.concurrency, task))
    print("ratio peer/ours at concurrency 20:   %.2fx faster" % (peer / ours_default))
    print("ratio peer/ours at concurrency %-4d: %.2fx faster" % (args.concurrency, peer / ours_wide))
    if task is not None:
        print("ratio peer/task (whole ansible-playbook run): %.2fx" % (peer / task))
    for res in (failed_default + failed_wide)[:5]:
        print("failed: %s %s" % (res["name"], res["error"]), file=sys.stderr)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=100)
    parser.add_argument("--server-processes", type=int, default=4)
    parser.add_argument("--listeners", type=int, default=6, help="listeners per server process")
    parser.add_argument("--greeting-delays", default="0,50",
                        help="comma-separated greeting delays in ms; one measurement each (real servers answer "
                             "after network round trips and deliberate greeting pauses; loopback does not)")
    parser.add_argument("--ansible-playbook", default="ansible-playbook")
    parser.add_argument("--skip-task", action="store_true", help="do not run ansible-playbook")
    args = parser.parse_args()
    for delay in (float(d) / 1000.0 for d in args.greeting_delays.split(",")):
        measure(args, delay, with_task=not args.skip_task)


if __name__ == "__main__":
    main()
