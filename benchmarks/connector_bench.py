#!/usr/bin/env python
# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Benchmark mailops.smtp.connector: 200 connectors in one task, first run and no-change rerun.

The peer is ansible.builtin.copy writing a file of the same size in the same play, first run
and rerun, so the figures are ratios that do not depend on the machine. Each step is timed
between two timestamps taken by the play itself, so interpreter start-up is not counted.
A library-level figure (no Ansible: plan + render + write) is printed too.

Usage: ANSIBLE_COLLECTIONS_PATH=... python benchmarks/connector_bench.py [--count 200] [--formats msmtp,json,...]
Not a test: it asserts only that the rerun reports no change.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

PLAYBOOK = """
- name: Benchmark
  hosts: localhost
  gather_facts: false
  tasks:
    - name: t0
      ansible.builtin.set_fact:
        t0: "{{ lookup('ansible.builtin.pipe', 'date +%s.%N') }}"
    - name: Connector, first run
      mailops.smtp.connector:
        format: "{{ fmt }}"
        path: "{{ target }}"
        config: "{{ connectors }}"
        postfix_check: false
      register: first
    - name: t1
      ansible.builtin.set_fact:
        t1: "{{ lookup('ansible.builtin.pipe', 'date +%s.%N') }}"
    - name: Connector, rerun
      mailops.smtp.connector:
        format: "{{ fmt }}"
        path: "{{ target }}"
        config: "{{ connectors }}"
        postfix_check: false
      register: rerun
    - name: t2
      ansible.builtin.set_fact:
        t2: "{{ lookup('ansible.builtin.pipe', 'date +%s.%N') }}"
    - name: Copy, first run
      ansible.builtin.copy:
        content: "{{ peer_content }}"
        dest: "{{ peer }}"
        mode: "0600"
    - name: t3
      ansible.builtin.set_fact:
        t3: "{{ lookup('ansible.builtin.pipe', 'date +%s.%N') }}"
    - name: Copy, rerun
      ansible.builtin.copy:
        content: "{{ peer_content }}"
        dest: "{{ peer }}"
        mode: "0600"
      register: peer_rerun
    - name: t4
      ansible.builtin.set_fact:
        t4: "{{ lookup('ansible.builtin.pipe', 'date +%s.%N') }}"
    - name: Results
      ansible.builtin.copy:
        dest: "{{ results }}"
        mode: "0600"
        content: "{{ {'t': [t0, t1, t2, t3, t4], 'first': first.changed, 'rerun': rerun.changed,
                     'peer_rerun': peer_rerun.changed} | to_json }}"
"""


def connectors(count):
    out = []
    for index in range(count):
        out.append({
            "name": "app-%03d" % index,
            "host": "smtp%d.example.org" % (index % 7),
            "port": 2000 + index,
            "tls": {"ca_file": "/etc/ssl/private-ca.pem"},
            "auth": {"username": "app%03d@example.org" % index, "password": "bench-password-%03d" % index},
            "senders": {"default": '"App %d" <app%03d@example.org>' % (index, index)},
        })
    return out


def library_figures(conns, fmt, work):
    from ansible_collections.mailops.smtp.plugins.module_utils import _apply

    class Host:
        def run(self, cmd):
            proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
            return proc.returncode, proc.stdout, proc.stderr

        def which(self, name):
            for directory in ("/usr/sbin", "/usr/bin"):
                if os.path.exists(os.path.join(directory, name)):
                    return os.path.join(directory, name)
            return None

    path = os.path.join(work, "lib-" + fmt)
    if fmt == "postfix":
        os.makedirs(path, exist_ok=True)
    params = dict((k, v.get("default")) for k, v in _apply.argument_spec().items())
    params.update(config=conns, format=fmt, path=path, postfix_check=False)
    start = time.perf_counter()
    first = _apply.run(params, Host())
    middle = time.perf_counter()
    rerun = _apply.run(params, Host())
    end = time.perf_counter()
    assert first["changed"] and not rerun["changed"]
    return middle - start, end - middle


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--formats", default="msmtp,json,yaml,env,ini,postfix")
    args = parser.parse_args()
    conns = connectors(args.count)
    rows = []
    with tempfile.TemporaryDirectory() as work:
        os.chmod(work, 0o700)
        for fmt in args.formats.split(","):
            target = os.path.join(work, fmt + ("-conf" if fmt == "postfix" else ".out"))
            if fmt == "postfix":
                os.makedirs(target)
            lib_first, lib_rerun = library_figures(conns, fmt, work)
            extra = {
                "fmt": fmt, "target": target, "connectors": conns, "peer": os.path.join(work, fmt + ".peer"),
                "results": os.path.join(work, fmt + ".results.json"),
            }
            # The peer writes as many bytes as the connector run did (the library run's output).
            lib_path = os.path.join(work, "lib-" + fmt)
            if os.path.isdir(lib_path):
                size = sum(os.path.getsize(os.path.join(lib_path, n)) for n in os.listdir(lib_path))
            else:
                size = os.path.getsize(lib_path)
            extra["peer_content"] = ("x" * 79 + "\n") * (size // 80 + 1)
            vars_file = os.path.join(work, fmt + ".vars.json")
            with open(vars_file, "w") as handle:
                json.dump(extra, handle)
            book = os.path.join(work, "bench.yml")
            with open(book, "w") as handle:
                handle.write(PLAYBOOK)
            subprocess.run(["ansible-playbook", "-i", "localhost,", "-c", "local",
                            "-e", "ansible_python_interpreter=%s" % sys.executable, "-e", "@" + vars_file, book],
                           check=True, stdout=subprocess.DEVNULL)
            with open(extra["results"]) as handle:
                res = json.load(handle)
            t = [float(x) for x in res["t"]]
            assert res["first"] and not res["rerun"] and not res["peer_rerun"], res
            rows.append((fmt, t[1] - t[0], t[2] - t[1], t[3] - t[2], t[4] - t[3], lib_first, lib_rerun, size))
    print("%d connectors in one task; peer: ansible.builtin.copy of a file of the same size, same play" % args.count)
    print("%-8s %10s %10s %10s %10s %8s %8s %10s %10s %9s" % (
        "format", "first s", "rerun s", "copy1 s", "copy2 s", "first/x", "rerun/x", "lib1 ms", "lib2 ms", "bytes"))
    for fmt, first, rerun, copy1, copy2, lib1, lib2, size in rows:
        print("%-8s %10.3f %10.3f %10.3f %10.3f %8.2f %8.2f %10.1f %10.1f %9d" % (
            fmt, first, rerun, copy1, copy2, first / copy1, rerun / copy2, lib1 * 1000, lib2 * 1000, size))


if __name__ == "__main__":
    main()
