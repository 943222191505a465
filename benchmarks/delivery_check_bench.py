#!/usr/bin/env python
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Benchmark: verify N connectors (default 100) end to end in one mailops.smtp.delivery_check task.

Servers: the delivery chain of tests/servers/mail_chain.py (Postfix relay signing with OpenDKIM,
a receiving Postfix in its own network namespace with policyd-spf, OpenDKIM and OpenDMARC,
Dovecot, nsd). Every connector submits through the relay with STARTTLS and AUTH, and its probe
is found over IMAPS, judged (DKIM verified, SPF, DMARC) and deleted.

Measured in the same run, against the same chain:
  task      ansible-playbook with one delivery_check task over N connectors (force: true), wall
            time of the whole process (start-up included) and the module's own wall_seconds
  slowest   the largest end-to-end delay of one delivery in that task (summary.max_delay_seconds)
  sum       the sum of the N end-to-end delays: what checking one connector after the other costs
  peer      smtplib + imaplib, one connector after the other (send, poll the mailbox until the
            token arrives, delete it), as a check_email_delivery loop does; run for --peer-count
            connectors and scaled to N
The figure of merit is wall/slowest: with concurrent connectors the task takes about as long as
its slowest delivery plus a constant, not the sum of the deliveries.

The receiver pauses --receiver-delay seconds (default 3) for every message, as a distant receiver
does; on loopback a delivery otherwise takes a fraction of a second and the constant dominates.

Usage: sudo python benchmarks/delivery_check_bench.py [--count 100] [--peer-count 10] [--receiver-delay 3]
Needs root (network namespace), the packages of tests/system-packages.txt, the collection
importable by ansible-playbook (ANSIBLE_COLLECTIONS_PATH), and trustme, aiosmtplib, dnspython,
dkimpy.
"""

import argparse
import imaplib
import json
import os
import smtplib
import ssl
import subprocess
import sys
import tempfile
import time
import uuid

from _playbook import timed_playbook

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CHAIN = os.path.join(ROOT, "tests", "servers", "mail_chain.py")
RELAY_PASSWORD = "bench-Relay-0452"
MAILBOX_PASSWORD = "bench-Imap-0453"


def start_chain(state, receiver_delay):
    out = subprocess.run([sys.executable, CHAIN, "--state-dir", state, "--relay-user", "mailer:" + RELAY_PASSWORD,
                          "--mailbox", "probe:" + MAILBOX_PASSWORD, "--receiver-delay", str(receiver_delay),
                          "--background"],
                         check=True, stdout=subprocess.PIPE, text=True).stdout
    return json.loads(out)


def stop_chain(state):
    subprocess.run([sys.executable, CHAIN, "--state-dir", state, "--stop"], check=False)


def make_connectors(chain, count):
    relay, mailbox = chain["relay"], chain["mailbox"]
    return [{
        "name": "bench-%04d" % i,
        "host": relay["host"],
        "port": relay["port"],
        "security": "starttls",
        "tls": {"ca_file": relay["ca_file"], "server_name": relay["server_name"]},
        "auth": {"username": relay["username"], "password": RELAY_PASSWORD},
        "senders": {"default": "bench%d@%s" % (i, chain["domains"]["good"])},
        "timeout": 60,
        "test": {"to": [chain["recipients"]["inbox"]], "mailbox": {
            "host": mailbox["host"], "port": mailbox["imaps_port"], "security": "imaps",
            "username": mailbox["username"], "password": MAILBOX_PASSWORD, "address": chain["recipients"]["inbox"],
            "tls": {"ca_file": mailbox["ca_file"]}, "authserv_id": chain["receiver"]["authserv_id"]}},
    } for i in range(count)]


def run_task(chain, conns, ansible_playbook, deadline, concurrency):
    with tempfile.TemporaryDirectory() as tmp:
        vars_file = os.path.join(tmp, "vars.json")
        with open(vars_file, "w") as handle:
            json.dump({"bench_connectors": conns, "bench_nameserver": chain["nameserver"],
                       "bench_state": os.path.join(tmp, "state.json"), "bench_out": os.path.join(tmp, "out.json")},
                      handle)
        playbook = os.path.join(tmp, "delivery.yml")
        with open(playbook, "w") as handle:
            handle.write(
                "- hosts: localhost\n  gather_facts: false\n  tasks:\n"
                "    - mailops.smtp.delivery_check:\n        connectors: \"{{ bench_connectors }}\"\n"
                "        dns: {nameservers: [\"{{ bench_nameserver }}\"]}\n"
                "        state_file: \"{{ bench_state }}\"\n        force: true\n        fail_on: []\n"
                "        deadline: %d\n        concurrency: %d\n      register: bench\n"
                "    - ansible.builtin.copy:\n        content: \"{{ bench | to_json }}\"\n"
                "        dest: \"{{ bench_out }}\"\n        mode: '0600'\n" % (deadline, concurrency))
        elapsed = timed_playbook(ansible_playbook, playbook, vars_file, "delivery_check")
        with open(os.path.join(tmp, "out.json")) as handle:
            return elapsed, json.load(handle)


def run_peer(chain, count, timeout=60.0):
    """One connector after the other: send, poll the inbox until the token is there, delete it."""
    relay, mailbox = chain["relay"], chain["mailbox"]
    relay_tls = ssl.create_default_context(cafile=relay["ca_file"])
    imap_tls = ssl.create_default_context(cafile=mailbox["ca_file"])
    start = time.monotonic()
    failures = 0
    for i in range(count):
        token = uuid.uuid4().hex
        sender = "peer%d@%s" % (i, chain["domains"]["good"])
        message = ("From: %s\r\nTo: %s\r\nSubject: peer %s\r\nMessage-ID: <%s@bench>\r\n\r\nbench\r\n"
                   % (sender, chain["recipients"]["inbox"], token, token))
        with smtplib.SMTP(relay["host"], relay["port"], timeout=timeout) as smtp:
            smtp.starttls(context=relay_tls)
            smtp.login(relay["username"], RELAY_PASSWORD)
            smtp.sendmail(sender, [chain["recipients"]["inbox"]], message.encode())
        session = imaplib.IMAP4_SSL(mailbox["host"], mailbox["imaps_port"], ssl_context=imap_tls)
        session.login(mailbox["username"], MAILBOX_PASSWORD)
        found = False
        deadline = time.monotonic() + timeout
        pause = 0.1
        while not found and time.monotonic() < deadline:
            session.select("INBOX")
            _typ, data = session.uid("SEARCH", "HEADER", "Message-ID", token)
            if data and data[0]:
                session.uid("STORE", data[0].decode().split()[0], "+FLAGS", "(\\Deleted)")
                session.expunge()
                found = True
            else:
                time.sleep(pause)
                pause = min(pause * 2, 1.0)
        session.logout()
        failures += not found
    return time.monotonic() - start, failures


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100)
    parser.add_argument("--peer-count", type=int, default=10, help="connectors the sequential peer checks")
    parser.add_argument("--deadline", type=int, default=300)
    parser.add_argument("--receiver-delay", type=int, default=3,
                        help="seconds the receiver pauses at RCPT for every message (a distant receiver; on loopback "
                             "a delivery otherwise takes a fraction of a second)")
    parser.add_argument("--concurrency", type=int, default=100)
    parser.add_argument("--ansible-playbook", default="ansible-playbook")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as state:
        os.chmod(state, 0o755)
        try:
            chain = start_chain(state, args.receiver_delay)
            conns = make_connectors(chain, args.count)
            task, out = run_task(chain, conns, args.ansible_playbook, args.deadline, args.concurrency)
            peer, peer_failures = run_peer(chain, args.peer_count)
        finally:
            stop_chain(state)
    results = out["results"]
    delays = [r["delay_seconds"] for r in results if r.get("delay_seconds") is not None]
    statuses = {}
    for res in results:
        statuses[res["status"]] = statuses.get(res["status"], 0) + 1
    slowest, total = max(delays), sum(delays)
    wall = out["summary"]["wall_seconds"]
    print("== %d connectors, one delivery_check task (concurrency %d), through the local chain (relay + OpenDKIM "
          "-> receiver with SPF/DKIM/DMARC milters, pausing %d s per message -> Dovecot)"
          % (args.count, args.concurrency, args.receiver_delay))
    print("statuses:                                 %s" % json.dumps(statuses, sort_keys=True))
    print("task (ansible-playbook, wall):            %7.2f s" % task)
    print("module wall_seconds:                      %7.2f s" % wall)
    print("slowest single delivery (end to end):     %7.2f s" % slowest)
    print("fastest / median delivery:                %7.2f s / %.2f s" % (min(delays), sorted(delays)[len(delays) // 2]))
    print("sum of the %d deliveries:                %8.2f s" % (len(delays), total))
    print("wall - slowest (the constant):            %7.2f s" % (wall - slowest))
    print("ratio wall/slowest:                       %7.2fx" % (wall / slowest))
    print("ratio sum/wall:                           %7.2fx" % (total / wall))
    print("peer (smtplib+imaplib, sequential, %d):  %7.2f s (%d not found) -> %.2f s for %d connectors" % (
        args.peer_count, peer, peer_failures, peer * args.count / args.peer_count, args.count))
    print("ratio peer/task (scaled to %d):          %7.2fx" % (args.count, peer * args.count / args.peer_count / task))


if __name__ == "__main__":
    main()
