#!/usr/bin/env python
# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Benchmark: DNS checks of N sender domains (MX, SPF with includes, DMARC, PTR, DNSBL) in one task.

Both sides ask the same local nsd (extensions/servers/dns_server.py --bench N) for the same records:

- mailops.smtp: the dns_check engine (asyncio, bounded concurrency, answers shared in the task),
  called directly and, when ansible-playbook is available, as one mailops.smtp.dns_check task;
- peer: a plain loop of dnspython's synchronous resolver, one domain after the other, the way
  per-domain tools (checkdmarc and the like) check mail DNS.

Prints the wall-clock times, query counts and the ratio peer/engine. Not a test: run it by hand,
    python benchmarks/dns_bench.py [--domains 1000] [--concurrency 100]
It needs nsd, dnspython and (for the task run) ansible-core, and only talks to 127.0.0.1.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SERVER = os.path.join(ROOT, "extensions", "servers", "dns_server.py")
CHECKS = ["mx", "spf", "dmarc", "ptr", "dnsbl"]
ZONE = "bench-bl.test"


class LatencyProxy:
    """UDP forwarder on loopback that holds every answer for `delay` seconds: a resolver's round trip.

    On loopback nsd answers in microseconds, so both sides are bound by the CPU cost of building
    and parsing messages; real resolvers answer uncached questions in tens of milliseconds.
    """

    def __init__(self, upstream, delay):
        import asyncio  # pylint: disable=import-outside-toplevel

        self.asyncio = asyncio
        self.upstream = upstream
        self.delay = delay
        self.loop = asyncio.new_event_loop()
        self.port = None
        ready = threading.Event()
        threading.Thread(target=self._run, args=(ready,), daemon=True).start()
        ready.wait(10)

    def _run(self, ready):
        asyncio = self.asyncio
        proxy = self

        class Front(asyncio.DatagramProtocol):
            def connection_made(self, transport):
                self.transport = transport

            def datagram_received(self, data, addr):
                front = self
                query = data
                client = addr

                class Back(asyncio.DatagramProtocol):
                    def connection_made(self, transport):
                        self.transport = transport
                        transport.sendto(query)

                    def datagram_received(self, data, addr):
                        proxy.loop.call_later(proxy.delay, front.transport.sendto, data, client)
                        self.transport.close()

                proxy.loop.create_task(proxy.loop.create_datagram_endpoint(Back, remote_addr=proxy.upstream))

        asyncio.set_event_loop(self.loop)
        transport, _proto = self.loop.run_until_complete(
            self.loop.create_datagram_endpoint(Front, local_addr=("127.0.0.1", 0)))
        self.port = transport.get_extra_info("sockname")[1]
        ready.set()
        self.loop.run_forever()


def collection_path():
    """A directory that holds ansible_collections/mailops/smtp pointing at this tree."""
    base = tempfile.mkdtemp(prefix="dns-bench-coll-")
    os.makedirs(os.path.join(base, "ansible_collections", "mailops"))
    os.symlink(ROOT, os.path.join(base, "ansible_collections", "mailops", "smtp"))
    return base


def connectors(count):
    sys.path.insert(0, os.path.join(ROOT, "extensions", "servers"))
    import dns_server  # pylint: disable=import-error,import-outside-toplevel

    return [{"name": "app-%04d" % i, "host": dns_server.relay_for_bench(i), "port": 25, "security": "starttls",
             "senders": {"default": "noreply@d%04d.bench.test" % i}} for i in range(count)]


def params_for(conns, nameserver, concurrency):
    return {"connectors": conns, "domains": [], "relay_ips": [], "checks": CHECKS, "nameservers": [nameserver],
            "timeout": 5.0, "concurrency": concurrency, "dkim_selectors": [], "dnsbl_zones": [ZONE],
            "min_dmarc_policy": "quarantine", "fail_on": ["never"], "ca_file": None}


def run_engine(params, coll):
    sys.path.insert(0, coll)
    from ansible_collections.mailops.smtp.plugins.module_utils._dns import engine  # pylint: disable=import-error

    started = time.perf_counter()
    results, summary, _failed, info = engine.run(params)
    return time.perf_counter() - started, summary, info["queries"], len(results)


def run_task(params, coll, workdir):
    playbook = os.path.join(workdir, "bench.yml")
    args = dict((k, v) for k, v in params.items() if v is not None)
    with open(os.path.join(workdir, "args.json"), "w", encoding="utf-8") as handle:
        json.dump({"bench_args": args}, handle)
    with open(playbook, "w", encoding="utf-8") as handle:
        handle.write("- hosts: localhost\n  gather_facts: false\n  tasks:\n"
                     "    - mailops.smtp.dns_check: '{{ bench_args }}'\n      register: out\n"
                     "    - ansible.builtin.debug:\n        msg: '{{ out.summary }}'\n")
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=coll, ANSIBLE_NOCOLOR="1")
    cmd = [shutil.which("ansible-playbook") or os.path.join(os.path.dirname(sys.executable), "ansible-playbook"),
           "-i", "localhost,", "-c", "local", "-e", "ansible_python_interpreter=%s" % sys.executable,
           "-e", "@" + os.path.join(workdir, "args.json"), playbook]
    started = time.perf_counter()
    proc = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, check=False)
    elapsed = time.perf_counter() - started
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout.decode("utf-8", "replace")[-3000:])
        return None
    return elapsed


def run_peer(conns, host, port):
    """One domain after the other with dnspython's synchronous resolver, no sharing between domains."""
    import dns.resolver  # pylint: disable=import-outside-toplevel
    import dns.reversename  # pylint: disable=import-outside-toplevel

    res = dns.resolver.Resolver(configure=False)
    res.nameservers = [host]
    res.port = port
    res.lifetime = 5.0
    res.cache = None
    count = [0]

    def ask(name, rdtype):
        count[0] += 1
        try:
            return list(res.resolve(name, rdtype, search=False))
        except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
            return []

    def spf_tree(domain, depth=0):
        for rdata in ask(domain, "TXT"):
            text = b"".join(rdata.strings).decode()
            if not text.startswith("v=spf1"):
                continue
            for term in text.split()[1:]:
                term = term.lstrip("+-~?")
                if term.startswith("include:") and depth < 10:
                    spf_tree(term[8:], depth + 1)
                elif term.startswith("a:"):
                    ask(term[2:], "A")

    started = time.perf_counter()
    for conn in conns:
        domain = conn["senders"]["default"].split("@")[1]
        relay = conn["host"]
        for mx in ask(domain, "MX"):
            ask(mx.exchange.to_text(), "A")
            ask(mx.exchange.to_text(), "AAAA")
        spf_tree(domain)
        ask("_dmarc." + domain, "TXT")
        for ptr in ask(dns.reversename.from_address(relay).to_text(), "PTR"):
            ask(ptr.target.to_text(), "A")
        answers = ask(".".join(reversed(relay.split("."))) + "." + ZONE, "A")
        if answers:
            ask(".".join(reversed(relay.split("."))) + "." + ZONE, "TXT")
    return time.perf_counter() - started, count[0]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--domains", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=100)
    parser.add_argument("--no-task", action="store_true", help="skip the ansible-playbook run")
    parser.add_argument("--latency-ms", type=float, default=0.0,
                        help="also measure both sides through a proxy adding this round-trip time (e.g. 10)")
    args = parser.parse_args()
    state_dir = tempfile.mkdtemp(prefix="dns-bench-")
    coll = collection_path()
    out = subprocess.run([sys.executable, SERVER, "--state-dir", state_dir, "--bench", str(args.domains),
                          "--background"], stdout=subprocess.PIPE, check=True)
    state = json.loads(out.stdout)
    try:
        conns = connectors(args.domains)
        params = params_for(conns, state["nameserver"], args.concurrency)
        engine_s, summary, queries, nresults = run_engine(params, coll)
        peer_s, peer_queries = run_peer(conns, state["host"], state["port"])
        task_s = None if args.no_task else run_task(params, coll, state_dir)
        print("domains: %d (connectors: %d, relays: %d), checks: %s" % (
            args.domains, len(conns), len(conns), ", ".join(CHECKS)))
        print("mailops.smtp engine: %.2fs, %d queries, %d results, summary %s" % (
            engine_s, queries, nresults, json.dumps(summary, sort_keys=True)))
        if task_s is not None:
            print("mailops.smtp.dns_check as one ansible-playbook task (process start included): %.2fs" % task_s)
        print("peer (sequential dnspython sync loop): %.2fs, %d queries" % (peer_s, peer_queries))
        print("ratio peer/engine: %.1fx faster" % (peer_s / engine_s))
        if task_s is not None:
            print("ratio peer/task: %.1fx faster" % (peer_s / task_s))
        if args.latency_ms:
            proxy = LatencyProxy((state["host"], state["port"]), args.latency_ms / 1000.0)
            lat_params = params_for(conns, "127.0.0.1:%d" % proxy.port, args.concurrency)
            lat_engine_s, lat_summary, lat_queries, _n = run_engine(lat_params, coll)
            lat_peer_s, lat_peer_queries = run_peer(conns, "127.0.0.1", proxy.port)
            print("with %.0f ms round trip: engine %.2fs (%d queries, summary %s), peer %.2fs (%d queries), "
                  "ratio peer/engine: %.1fx faster" % (
                      args.latency_ms, lat_engine_s, lat_queries, json.dumps(lat_summary, sort_keys=True),
                      lat_peer_s, lat_peer_queries, lat_peer_s / lat_engine_s))
    finally:
        subprocess.run([sys.executable, SERVER, "--state-dir", state_dir, "--stop"], check=False)
        shutil.rmtree(state_dir, ignore_errors=True)
        shutil.rmtree(coll, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
