#!/usr/bin/env python
# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Authoritative DNS for tests: nsd on loopback, serving generated zones with good and broken mail setups.

Besides nsd, the process keeps a UDP/TCP socket that reads queries and never answers (the
"dead nameserver" case). A zone nsd cannot load (broken.test) makes nsd itself answer SERVFAIL.
See extensions/servers/README.md (section DNS) for the zones and what each case is for.
"""

from __future__ import annotations

import argparse
import base64
import ipaddress
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

import _daemon

SOA = "@ IN SOA ns.{origin}. hostmaster.{origin}. 1 3600 600 86400 60\n@ IN NS ns.{origin}.\nns IN A 127.0.0.1\n"
HTTPS_ADDRESS = "127.0.0.44"

# Relay addresses of the fixture (documentation ranges: they only ever appear inside DNS data).
RELAY_GOOD = "192.0.2.10"          # PTR relay.mail.test, forward-confirmed; authorized by good.mail.test
RELAY_NO_PTR = "192.0.2.20"        # no PTR at all
RELAY_NOT_CONFIRMED = "192.0.2.30"  # PTR fake.mail.test, whose A is another address
RELAY_GENERIC = "192.0.2.40"       # PTR 192-0-2-40.dyn.isp.mail.test, forward-confirmed
RELAY_LISTED = "192.0.2.66"        # listed in bl.test (127.0.0.2 + TXT reason)
RELAY_GOOD6 = "2001:db8:25::10"    # PTR relay6.mail.test, forward-confirmed
RELAY_LISTED6 = "2001:db8:25::66"  # listed in bl.test by nibbles


def txt(value):
    """A TXT RDATA in zone-file syntax, split into 255-byte character-strings."""
    parts = [value[i:i + 255] for i in range(0, len(value), 255)] or [""]
    return " ".join('"%s"' % p.replace("\\", "\\\\").replace('"', '\\"') for p in parts)


def _der_len(n):
    if n < 0x80:
        return bytes([n])
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(raw)]) + raw


def _der(tag, body):
    return bytes([tag]) + _der_len(len(body)) + body


def _der_int(value):
    raw = value.to_bytes((value.bit_length() + 8) // 8, "big")
    return _der(0x02, raw)


def rsa_spki_b64(bits, seed):
    """Base64 SubjectPublicKeyInfo of an RSA public key with a modulus of exactly `bits` bits.

    DNS checks only parse public keys, so a well-formed key with a pseudo-random modulus is
    enough and keeps start-up fast (no prime generation).
    """
    rng = random.Random(seed)
    modulus = rng.getrandbits(bits) | (1 << (bits - 1)) | 1
    pkcs1 = _der(0x30, _der_int(modulus) + _der_int(65537))
    algo = _der(0x30, _der(0x06, bytes([0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01])) + b"\x05\x00")
    spki = _der(0x30, algo + _der(0x03, b"\x00" + pkcs1))
    return base64.b64encode(spki).decode("ascii")


def ed25519_b64(seed):
    return base64.b64encode(random.Random(seed).getrandbits(256).to_bytes(32, "big")).decode("ascii")


def fixture_zones(https_address=HTTPS_ADDRESS):
    """Zone name -> list of zone-file lines (relative names) for the test cases."""
    zones = {}
    hosts = ["%s IN A 198.51.100.%d" % ("h%d" % i, i) for i in range(1, 13)]
    m = [
        # ---- the good domain: everything right
        "good IN MX 10 mx1", "good IN MX 20 mx2",
        "good IN TXT %s" % txt("v=spf1 include:_spf.provider.test -all"),
        "_dmarc.good IN TXT %s" % txt("v=DMARC1; p=reject; sp=reject; adkim=s; aspf=r; "
                                      "rua=mailto:dmarc@reports.test; ruf=mailto:forensic@good.mail.test"),
        "s2048._domainkey.good IN TXT %s" % txt("v=DKIM1; k=rsa; p=" + rsa_spki_b64(2048, 1)),
        "s1024._domainkey.good IN TXT %s" % txt("v=DKIM1; k=rsa; p=" + rsa_spki_b64(1024, 2)),
        "s512._domainkey.good IN TXT %s" % txt("v=DKIM1; k=rsa; p=" + rsa_spki_b64(512, 3)),
        "revoked._domainkey.good IN TXT %s" % txt("v=DKIM1; k=rsa; p="),
        "ed._domainkey.good IN TXT %s" % txt("v=DKIM1; k=ed25519; p=" + ed25519_b64(4)),
        "garbage._domainkey.good IN TXT %s" % txt("v=DKIM1; k=rsa; p=bm90IGEga2V5"),
        "_mta-sts.good IN TXT %s" % txt("v=STSv1; id=20260101T000000"),
        "mta-sts.good IN A %s" % https_address,
        "_smtp._tls.good IN TXT %s" % txt("v=TLSRPTv1; rua=mailto:tlsrpt@reports.test"),
        "mx1 IN A 192.0.2.25", "mx2 IN A 192.0.2.26", "mx2 IN AAAA 2001:db8:25::26",
        "_25._tcp.mx1 IN TLSA 3 1 1 " + "ab" * 32,
        "relay IN A %s" % RELAY_GOOD, "relay6 IN AAAA %s" % RELAY_GOOD6,
        "_587._tcp.relay IN TLSA 3 1 1 " + "cd" * 32,
        "fake IN A 192.0.2.99",
        "192-0-2-40.dyn.isp IN A %s" % RELAY_GENERIC,
        # ---- SPF cases
        "unauth IN MX 10 mx1", "unauth IN TXT %s" % txt("v=spf1 ip4:198.51.100.0/24 -all"),
        "softfail IN MX 10 mx1", "softfail IN TXT %s" % txt("v=spf1 ip4:198.51.100.0/24 ~all"),
        "toomany IN MX 10 mx1",
        "toomany IN TXT %s" % txt("v=spf1 " + " ".join("a:h%d.mail.test" % i for i in range(1, 12))
                                  + " ip4:%s -all" % RELAY_GOOD),
        "tworecords IN MX 10 mx1",
        "tworecords IN TXT %s" % txt("v=spf1 ip4:%s -all" % RELAY_GOOD),
        "tworecords IN TXT %s" % txt("v=spf1 include:_spf.provider.test -all"),
        "loop IN MX 10 mx1", "loop IN TXT %s" % txt("v=spf1 include:loop2.mail.test -all"),
        "loop2 IN TXT %s" % txt("v=spf1 include:loop.mail.test -all"),
        "void IN MX 10 mx1",
        "void IN TXT %s" % txt("v=spf1 a:nx1.mail.test a:nx2.mail.test a:nx3.mail.test ip4:%s -all" % RELAY_GOOD),
        "ptrspf IN MX 10 mx1", "ptrspf IN TXT %s" % txt("v=spf1 ptr ip4:%s -all" % RELAY_GOOD),
        "nospf IN MX 10 mx1",
        "macro IN MX 10 mx1", "macro IN TXT %s" % txt("v=spf1 exists:%{i}._spf.provider.test -all"),
        # ---- DMARC cases
        "nodmarc IN MX 10 mx1",
        "pnone IN MX 10 mx1", "_dmarc.pnone IN TXT %s" % txt("v=DMARC1; p=none; rua=mailto:dmarc@pnone.mail.test"),
        "badtag IN MX 10 mx1", "_dmarc.badtag IN TXT %s" % txt("v=DMARC1; p=reject; aspf=x; rua=mailto:d@badtag.mail.test"),
        "typo IN MX 10 mx1", "_dmarc.typo IN TXT %s" % txt("v=DMARC1; p=reject; rua=mailto:d@typo.mail.test; rfu=x"),
        "extrua IN MX 10 mx1", "_dmarc.extrua IN TXT %s" % txt("v=DMARC1; p=reject; rua=mailto:d@elsewhere.test"),
        # ---- MX cases
        "nullmx IN MX 0 .",
        "dupmx IN MX 10 mx1", "dupmx IN MX 20 mx1.mail.test.", "dupmx IN MX 30 mx2",
        "cnamemx IN MX 10 alias", "alias IN CNAME mx1",
        "nomx IN A 192.0.2.50",
        "deadmx IN MX 10 nowhere",
        # ---- MTA-STS and TLS-RPT cases
        "stsmismatch IN MX 10 mx1", "_mta-sts.stsmismatch IN TXT %s" % txt("v=STSv1; id=1"),
        "mta-sts.stsmismatch IN A %s" % https_address,
        "ststesting IN MX 10 mx1", "_mta-sts.ststesting IN TXT %s" % txt("v=STSv1; id=2"),
        "mta-sts.ststesting IN A %s" % https_address,
        "stsbadcert IN MX 10 mx1", "_mta-sts.stsbadcert IN TXT %s" % txt("v=STSv1; id=3"),
        "mta-sts.stsbadcert IN A %s" % https_address,
        "stsnopolicy IN MX 10 mx1", "_mta-sts.stsnopolicy IN TXT %s" % txt("v=STSv1; id=4"),
        "mta-sts.stsnopolicy IN A %s" % https_address,
        "badrpt IN MX 10 mx1", "_smtp._tls.badrpt IN TXT %s" % txt("v=TLSRPTv1; rua=ftp://reports.test/x"),
    ] + hosts
    zones["mail.test"] = m
    zones["provider.test"] = [
        "_spf IN TXT %s" % txt("v=spf1 include:_nets.provider.test ~all"),
        "_nets IN TXT %s" % txt("v=spf1 ip4:192.0.2.0/28 ip6:2001:db8:25::/64 -all"),
        "%s._spf IN A 127.0.0.2" % RELAY_GOOD,
    ]
    zones["reports.test"] = [
        "good.mail.test._report._dmarc IN TXT %s" % txt("v=DMARC1"),
    ]
    zones["2.0.192.in-addr.arpa"] = [
        "10 IN PTR relay.mail.test.",
        "30 IN PTR fake.mail.test.",
        "40 IN PTR 192-0-2-40.dyn.isp.mail.test.",
        "66 IN PTR relay.mail.test.",
    ]
    zones["5.2.0.0.8.b.d.0.1.0.0.2.ip6.arpa"] = [
        "%s IN PTR relay6.mail.test." % _nibbles_under(RELAY_GOOD6, 12),
    ]
    zones["bl.test"] = [
        "%s IN A 127.0.0.2" % _reverse(RELAY_LISTED),
        "%s IN TXT %s" % (_reverse(RELAY_LISTED), txt("Listed for sending spam, see https://bl.test/q?ip=%s"
                                                      % RELAY_LISTED)),
        "%s IN A 127.0.0.4" % _reverse(RELAY_LISTED6),
        "2.0.0.127 IN A 127.0.0.2",  # RFC 5782 test entry
    ]
    zones["refusing.test"] = ["* IN A 127.255.255.254", "* IN TXT %s" % txt("Queries via public resolvers are refused")]
    zones["wildcard.test"] = ["* IN A 192.0.2.200"]
    zones["elsewhere.test"] = ["mx IN A 192.0.2.27"]
    return zones


def _reverse(ip):
    addr = ipaddress.ip_address(ip)
    if addr.version == 4:
        return ".".join(reversed(str(addr).split(".")))
    return ".".join(reversed(addr.exploded.replace(":", "")))


def _nibbles_under(ip, zone_nibbles):
    """Relative owner name of an IPv6 PTR inside a zone that covers the first zone_nibbles nibbles."""
    nibbles = list(reversed(ipaddress.ip_address(ip).exploded.replace(":", "")))
    return ".".join(nibbles[:32 - zone_nibbles])


def fixture_policies():
    """MTA-STS policies by host name, and the names the HTTPS certificate covers."""
    policies = {
        "mta-sts.good.mail.test": "version: STSv1\nmode: enforce\nmx: mx1.mail.test\nmx: *.mail.test\n"
                                  "max_age: 604800\n",
        "mta-sts.stsmismatch.mail.test": "version: STSv1\nmode: enforce\nmx: mx.elsewhere.test\nmax_age: 604800\n",
        "mta-sts.ststesting.mail.test": "version: STSv1\nmode: testing\nmx: mx1.mail.test\nmax_age: 3600\n",
        "mta-sts.stsbadcert.mail.test": "version: STSv1\nmode: enforce\nmx: mx1.mail.test\nmax_age: 604800\n",
    }
    cert_names = ["mta-sts.good.mail.test", "mta-sts.stsmismatch.mail.test", "mta-sts.ststesting.mail.test",
                  "mta-sts.stsnopolicy.mail.test"]
    return policies, cert_names


def bench_zones(count):
    """count domains for the benchmark, each with MX, SPF (shared includes), DMARC, and a relay with PTR."""
    lines = []
    ptr4 = {}
    bl = []
    for i in range(count):
        d = "d%04d" % i
        relay = ipaddress.ip_address("198.18.0.0") + i + 1
        # 1 domain in 25 publishes an SPF record with an unknown mechanism and a DMARC record with
        # an unknown policy: invalid for every checker, so that comparing verdicts means something.
        broken = i % 25 == 12
        lines += [
            "%s IN MX 10 mx.%s" % (d, d), "mx.%s IN A %s" % (d, relay),
            "%s IN TXT %s" % (d, txt("v=spf1 ip4:%s include:_spf.provider.test include:_spf%d.bench.test %s~all"
                                     % (relay, i % 10, "bogus:%s.bench.test " % d if broken else ""))),
            "_dmarc.%s IN TXT %s" % (d, txt("v=DMARC1; p=%s; rua=mailto:dmarc@%s.bench.test"
                                            % ("sometimes" if broken else "quarantine", d))),
            "relay.%s IN A %s" % (d, relay),
        ]
        octets = str(relay).split(".")
        ptr4.setdefault("%s.%s.in-addr.arpa" % (octets[1], octets[0]), []).append(
            "%s.%s IN PTR relay.%s.bench.test." % (octets[3], octets[2], d))
        if i % 50 == 0:
            bl.append("%s IN A 127.0.0.3" % _reverse(str(relay)))
    for j in range(10):
        lines.append("_spf%d IN TXT %s" % (j, txt("v=spf1 ip4:203.0.113.%d/32 a:mx.d%04d.bench.test -all" % (j, j))))
    zones = {"bench.test": lines, "bench-bl.test": bl + ["2.0.0.127 IN A 127.0.0.2"]}
    for name, recs in ptr4.items():
        zones[name] = recs
    return zones


def relay_for_bench(i):
    return str(ipaddress.ip_address("198.18.0.0") + i + 1)


def write_zones(workdir, zones):
    entries = []
    for name, lines in sorted(zones.items()):
        path = os.path.join(workdir, "%s.zone" % name)
        with open(path, "w", encoding="utf-8") as handle:
            handle.write("$ORIGIN %s.\n$TTL 300\n" % name)
            handle.write(SOA.format(origin=name))
            handle.write("\n".join(lines) + "\n")
        entries.append((name, os.path.basename(path)))
    # A zone nsd cannot load: nsd answers SERVFAIL for it (a real server's SERVFAIL).
    with open(os.path.join(workdir, "broken.test.zone"), "w", encoding="utf-8") as handle:
        handle.write("$ORIGIN broken.test.\nthis line ( is not a record\n")
    entries.append(("broken.test", "broken.test.zone"))
    return entries


def nsd_conf(workdir, host, port, entries):
    lines = [
        "server:",
        "  ip-address: %s@%d" % (host, port),
        '  username: ""',
        '  chroot: ""',
        '  zonesdir: "%s"' % workdir,
        '  pidfile: "%s"' % os.path.join(workdir, "nsd.pid"),
        '  database: ""',
        '  zonelistfile: "%s"' % os.path.join(workdir, "zone.list"),
        '  xfrdfile: "%s"' % os.path.join(workdir, "xfrd.state"),
        '  xfrdir: "%s"' % workdir,
        '  logfile: "%s"' % os.path.join(workdir, "nsd.log"),
        "  verbosity: 1",
        "  server-count: 1",
        "  hide-version: yes",
        "  refuse-any: yes",
        "  rrl-ratelimit: 0",  # response rate limiting would drop answers to a fast client
        "remote-control:",
        "  control-enable: no",
    ]
    for name, filename in entries:
        lines += ["zone:", "  name: %s" % name, "  zonefile: %s" % filename]
    return "\n".join(lines) + "\n"


def free_port(host):
    """A port free for both UDP and TCP on host."""
    for _attempt in range(50):
        tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            tcp.bind((host, 0))
            port = tcp.getsockname()[1]
            udp.bind((host, port))
            return port
        except OSError:
            continue
        finally:
            tcp.close()
            udp.close()
    raise RuntimeError("no free port on %s" % host)


def silent_server(host):
    """A nameserver that reads every query and never answers (UDP and TCP)."""
    port = free_port(host)
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind((host, port))
    tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    tcp.bind((host, port))
    tcp.listen(16)
    held = []

    def drain_udp():
        while True:
            try:
                udp.recvfrom(4096)
            except OSError:
                return

    def hold_tcp():
        while True:
            try:
                conn, _addr = tcp.accept()
            except OSError:
                return
            held.append(conn)

    for target in (drain_udp, hold_tcp):
        threading.Thread(target=target, daemon=True).start()
    return port, (udp, tcp)


def wait_for_dns(host, port, name, deadline):
    """Poll nsd with a hand-made query until it answers (no third-party client needed)."""
    query = b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00"
    for label in name.split("."):
        query += bytes([len(label)]) + label.encode("ascii")
    query += b"\x00\x00\x06\x00\x01"  # SOA IN
    while time.time() < deadline:
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.settimeout(0.3)
        try:
            sock.sendto(query, (host, port))
            data, _addr = sock.recvfrom(4096)
            if data[:2] == b"\x12\x34" and (data[3] & 0x0f) == 0:
                return True
        except OSError:
            pass
        finally:
            sock.close()
        time.sleep(0.1)
    return False


def state_path(state_dir):
    return os.path.join(state_dir, "dns.json")


def serve(args):
    nsd = shutil.which("nsd") or "/usr/sbin/nsd"
    if not os.path.exists(nsd):
        sys.stderr.write("nsd not found: install the Debian package 'nsd'\n")
        return 2
    os.makedirs(args.state_dir, exist_ok=True)
    workdir = tempfile.mkdtemp(prefix="nsd-", dir=args.state_dir)
    zones = fixture_zones(args.https_address)
    if args.bench:
        zones.update(bench_zones(args.bench))
    entries = write_zones(workdir, zones)
    for spec in args.zone:
        name, _sep, path = spec.partition("=")
        if not name or not os.path.isfile(path):
            sys.stderr.write("--zone wants NAME=FILE with an existing zone file, got %r\n" % spec)
            return 2
        filename = "extra-%s.zone" % name.rstrip(".")
        shutil.copyfile(path, os.path.join(workdir, filename))
        entries.append((name.rstrip("."), filename))
    port = args.port or free_port(args.host)
    conf = os.path.join(workdir, "nsd.conf")
    with open(conf, "w", encoding="utf-8") as handle:
        handle.write(nsd_conf(workdir, args.host, port, entries))
    policies, cert_names = fixture_policies()
    policy_dir = os.path.join(args.state_dir, "mta-sts")
    os.makedirs(policy_dir, exist_ok=True)
    for host, text in policies.items():
        with open(os.path.join(policy_dir, host), "w", encoding="utf-8") as handle:
            handle.write(text)
    with open(os.path.join(args.state_dir, "mta-sts-cert-names.json"), "w", encoding="utf-8") as handle:
        json.dump(cert_names, handle)
    silent_port, _socks = silent_server(args.host)
    child = subprocess.Popen([nsd, "-d", "-c", conf], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    if not wait_for_dns(args.host, port, "mail.test", time.time() + 30):
        child.terminate()
        log = os.path.join(workdir, "nsd.log")
        sys.stderr.write("nsd did not answer; log:\n%s\n" % (open(log).read() if os.path.exists(log) else "(none)"))
        return 1
    state = {
        "host": args.host, "port": port, "nameserver": "%s:%d" % (args.host, port),
        "silent_nameserver": "%s:%d" % (args.host, silent_port), "pid": os.getpid(), "nsd_pid": child.pid,
        "workdir": workdir, "zones": sorted(z for z, _f in entries), "https_address": args.https_address,
        "mta_sts_policies": policy_dir, "bench_domains": args.bench,
        "relays": {"good": RELAY_GOOD, "no_ptr": RELAY_NO_PTR, "not_confirmed": RELAY_NOT_CONFIRMED,
                   "generic": RELAY_GENERIC, "listed": RELAY_LISTED, "good6": RELAY_GOOD6,
                   "listed6": RELAY_LISTED6},
    }
    _daemon.publish(state_path(args.state_dir), state)
    try:
        _daemon.supervise(child, state_path(args.state_dir), 10)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--state-dir", required=True, help="directory for dns.json, zones and MTA-STS policies")
    parser.add_argument("--host", default="127.0.0.1", help="loopback address to listen on")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--https-address", default=HTTPS_ADDRESS,
                        help="address the mta-sts.* names resolve to (where https_server.py listens)")
    parser.add_argument("--bench", type=int, default=0, metavar="N", help="also serve N benchmark domains")
    parser.add_argument("--zone", action="append", default=[], metavar="NAME=FILE",
                        help="also serve this zone file (repeatable), e.g. dane.test=/tmp/dane.test.zone")
    _daemon.add_control_arguments(parser, "nsd answers")
    args = parser.parse_args(argv)
    if not ipaddress.ip_address(args.host).is_loopback:
        parser.error("--host must be a loopback address")
    done = _daemon.control(args, __file__, argv, state_path(args.state_dir),
                           os.path.join(args.state_dir, "dns_server.log"), 60)
    if done is not None:
        return done
    return serve(args)


if __name__ == "__main__":
    sys.exit(main())
