#!/usr/bin/env python
# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A whole mail delivery chain for tests: a signing relay, a receiver that judges, a mailbox, DNS.

- relay: Postfix on 127.0.0.1 (submission with STARTTLS and AUTH against Dovecot's SASL), which
  signs with OpenDKIM (milter, keys generated per run) and relays everything to the receiver.
- receiver: a second Postfix inside a network namespace of its own, reached from the relay over a
  veth pair, that evaluates SPF (postfix-policyd-spf-python), DKIM (OpenDKIM in verify mode) and
  DMARC (OpenDMARC), writes Authentication-Results with the authserv-id AUTHSERV_ID and delivers
  over LMTP into Dovecot. Recipient addresses with a detail choose what the receiver does.
- mailbox: Dovecot (dovecot_instance.py) on 127.0.0.1, IMAP STARTTLS and IMAPS.
- DNS: nsd (dns_server.py) inside the namespace on port 53, which the receiver's milters and
  policy server use through the namespace's /etc/netns/NAME/resolv.conf, and a second nsd with the
  same zones on a free loopback port for the checks run from the host.

Needs root, the Debian packages listed in tests/system-packages.txt and trustme. Nothing leaves
the machine. See extensions/servers/README.md (section Delivery chain).
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import _daemon
from dns_server import SOA, txt

try:
    import trustme
except ImportError as exc:  # pragma: no cover - reported to the person starting the chain
    sys.stderr.write("mail_chain.py needs trustme: pip install trustme (%s)\n" % exc)
    sys.exit(2)

HERE = os.path.dirname(os.path.abspath(__file__))
ZONE = "delivery.test"
SIGNER_ZONE = "signer.test"
RCPT_DOMAIN = "rcpt." + ZONE
RELAY_NAME = "relay." + ZONE
RECEIVER_NAME = "mx." + RCPT_DOMAIN
MAILBOX_NAME = "imap." + RCPT_DOMAIN
AUTHSERV_ID = RECEIVER_NAME
SELECTOR = "mailops"
FORGED_AUTHSERV_ID = "mx.forged.test"
# The /30 between the host and the namespace comes from 198.19.0.0/16 (RFC 2544 benchmarking
# range): never routed anywhere, and it only ever exists between this machine and its namespace.
LINK_RANGE = ipaddress.ip_network("198.19.0.0/16")

# Sender domains, each with SPF, DMARC and a DKIM key in DNS, and how the relay signs its mail.
#   good      aligned DKIM pass, SPF pass
#   badkey    DNS publishes a different key than the one the relay signs with: dkim=fail
#   spffail   SPF authorizes only 192.0.2.10, not the relay: spf=fail (DKIM passes)
#   unaligned signed with d=signer.test, not aligned with From (SPF passes)
SENDER_DOMAINS = ("good", "badkey", "spffail", "unaligned")

# What the receiver does, chosen by the recipient (detail after "+").
RECIPIENTS = {
    "inbox": "probe@" + RCPT_DOMAIN,
    "junk": "probe+junk@" + RCPT_DOMAIN,        # marked X-Spam-Flag: YES, sieve files it into \Junk
    "hold": "probe+hold@" + RCPT_DOMAIN,        # put on hold at the receiver: never delivered
    "footer": "probe+footer@" + RCPT_DOMAIN,    # a content filter appends a footer to the body
    "forged": "probe+forged@" + RCPT_DOMAIN,    # the relay adds a forged Authentication-Results
    "unknown": "nobody@" + RCPT_DOMAIN,         # 550 5.1.1 at RCPT: the relay bounces to the sender
}

FOOTER_FILTER = r'''#!/usr/bin/python3
"""After-queue content filter: append a footer to the body and reinject over SMTP."""
import smtplib
import sys

sender, recipients = sys.argv[1], sys.argv[2:]
data = sys.stdin.buffer.read()
if not data.endswith(b"\n"):
    data += b"\n"
data += b"\n-- \nThis message was scanned by the receiving gateway.\n"
with smtplib.SMTP("127.0.0.1", %(port)d) as smtp:
    smtp.sendmail(sender, recipients, data)
'''


def run(argv, **kwargs):
    return subprocess.run(argv, check=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, **kwargs)


def write(path, text, mode=0o644):
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.chmod(path, mode)


FREE_PORT = "import socket; s = socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])"


def free_port(netns=None):
    """A free TCP port on 127.0.0.1, of the host or of a network namespace."""
    prefix = ["ip", "netns", "exec", netns] if netns else []
    return int(run(prefix + [sys.executable, "-c", FREE_PORT]).stdout)


def pick_link():
    """A /30 of LINK_RANGE that no interface of this machine uses yet."""
    used = run(["ip", "-4", "-o", "addr"]).stdout.decode()
    for _attempt in range(100):
        net = ipaddress.ip_network("%s/30" % (LINK_RANGE.network_address + 4 * random.randrange(1, 16383)))
        if str(net.network_address + 1) not in used and str(net.network_address + 2) not in used:
            return net
    raise RuntimeError("no free /30 in %s" % LINK_RANGE)


def dkim_key(directory, name):
    """A 2048-bit key from opendkim-genkey; returns the private key path and the TXT value."""
    run(["opendkim-genkey", "-b", "2048", "-h", "sha256", "-s", name, "-D", directory])
    with open(os.path.join(directory, name + ".txt"), encoding="utf-8") as handle:
        text = handle.read()
    value = "".join(text.split('"')[1::2])  # the quoted character-strings, joined
    os.chmod(os.path.join(directory, name + ".private"), 0o600)
    return os.path.join(directory, name + ".private"), value


def zone_file(path, origin, lines):
    write(path, "$ORIGIN %s.\n$TTL 60\n" % origin + SOA.format(origin=origin) + "\n".join(lines) + "\n")


def chain_zones(workdir, link, key_txt, other_txt):
    """delivery.test, signer.test and the reverse zone of the link, as files for dns_server.py --zone."""
    relay_ip, receiver_ip = str(link.network_address + 1), str(link.network_address + 2)
    spf_pass = "v=spf1 ip4:%s -all" % relay_ip
    lines = [
        "relay IN A %s" % relay_ip,
        "mx.rcpt IN A %s" % receiver_ip,
        "rcpt IN MX 10 mx.rcpt",
        "rcpt IN TXT %s" % txt("v=spf1 -all"),
    ]
    spf = {"good": spf_pass, "badkey": spf_pass, "spffail": "v=spf1 ip4:192.0.2.10 -all", "unaligned": spf_pass}
    keys = {"good": key_txt, "badkey": other_txt, "spffail": key_txt, "unaligned": key_txt}
    for name in SENDER_DOMAINS:
        lines += [
            "%s IN MX 10 mx.rcpt" % name,
            "%s IN TXT %s" % (name, txt(spf[name])),
            "_dmarc.%s IN TXT %s" % (name, txt("v=DMARC1; p=reject; adkim=r; aspf=r")),
            "%s._domainkey.%s IN TXT %s" % (SELECTOR, name, txt(keys[name])),
        ]
    files = {}
    files[ZONE] = os.path.join(workdir, "delivery.test.zone")
    zone_file(files[ZONE], ZONE, lines)
    files[SIGNER_ZONE] = os.path.join(workdir, "signer.test.zone")
    zone_file(files[SIGNER_ZONE], SIGNER_ZONE, ["%s._domainkey IN TXT %s" % (SELECTOR, txt(key_txt)),
                                                "@ IN TXT %s" % txt("v=spf1 -all")])
    octets = relay_ip.split(".")
    reverse = "%s.%s.%s.in-addr.arpa" % (octets[2], octets[1], octets[0])
    files[reverse] = os.path.join(workdir, reverse + ".zone")
    zone_file(files[reverse], reverse, ["%s IN PTR %s." % (octets[3], RELAY_NAME),
                                        "%s IN PTR %s." % (str(receiver_ip).split(".")[3], RECEIVER_NAME)])
    return files


def certificate(directory, ca, names):
    leaf = ca.issue_cert(*names)
    key, chain = os.path.join(directory, "key.pem"), os.path.join(directory, "chain.pem")
    leaf.private_key_pem.write_to_path(key)
    with open(chain, "wb") as handle:
        for blob in leaf.cert_chain_pems:
            handle.write(blob.bytes())
    os.chmod(key, 0o600)
    return key, chain


class Chain:
    """Starts the parts in order and keeps what undoes each one, so stop() tears down what exists."""

    def __init__(self, args):
        self.args = args
        self.home = os.path.abspath(args.state_dir)  # chain.json and the log
        self.state_dir = self.home  # every part's files: see start()
        self.undo = []
        self.children = []

    def python(self, script, *argv, netns=None):
        prefix = ["ip", "netns", "exec", netns] if netns else []
        return run(prefix + [sys.executable, os.path.join(HERE, script)] + list(argv))

    def start(self):
        args = self.args
        os.makedirs(self.home, exist_ok=True)
        os.chmod(self.home, 0o755)
        if not open_to_all(self.home):
            # Postfix, Dovecot, OpenDKIM and policyd-spf run as their own users and must reach
            # their files: a state directory under /root (mode 0700) gets its parts elsewhere.
            self.state_dir = tempfile.mkdtemp(prefix="mailops-chain-parts-", dir="/var/lib")
            os.chmod(self.state_dir, 0o755)
            self.undo.append(lambda: shutil.rmtree(self.state_dir, ignore_errors=True))
        # OpenDKIM refuses keys and configuration below a world-writable directory such as /tmp.
        private = tempfile.mkdtemp(prefix="mailops-chain-", dir="/var/lib")
        self.undo.append(lambda: shutil.rmtree(private, ignore_errors=True))
        os.chmod(private, 0o700)
        key, key_txt = dkim_key(private, SELECTOR)
        other_dir = os.path.join(private, "other")
        os.mkdir(other_dir, 0o700)
        _other_key, other_txt = dkim_key(other_dir, SELECTOR)

        # ---- network namespace, veth pair, resolv.conf of the namespace
        tag = "%06x" % random.randrange(1 << 24)
        netns = "mailops-" + tag
        link = pick_link()
        relay_ip, receiver_ip = str(link.network_address + 1), str(link.network_address + 2)
        etc = os.path.join("/etc/netns", netns)
        os.makedirs(etc)
        self.undo.append(lambda: shutil.rmtree(etc, ignore_errors=True))
        write(os.path.join(etc, "resolv.conf"), "nameserver 127.0.0.1\noptions timeout:2 attempts:2\n")
        run(["ip", "netns", "add", netns])
        self.undo.append(lambda: subprocess.run(["ip", "netns", "del", netns], check=False))
        self.undo.append(lambda: self.kill_namespace(netns))
        host_if, ns_if = "mo%sh" % tag, "mo%sn" % tag
        run(["ip", "link", "add", host_if, "type", "veth", "peer", "name", ns_if])
        self.undo.append(lambda: subprocess.run(["ip", "link", "del", host_if], check=False,
                                                stderr=subprocess.DEVNULL))
        run(["ip", "link", "set", ns_if, "netns", netns])
        run(["ip", "addr", "add", "%s/30" % relay_ip, "dev", host_if])
        run(["ip", "link", "set", host_if, "up"])
        for cmd in (["ip", "link", "set", "lo", "up"], ["ip", "addr", "add", "%s/30" % receiver_ip, "dev", ns_if],
                    ["ip", "link", "set", ns_if, "up"]):
            run(["ip", "netns", "exec", netns] + cmd)

        # ---- DNS: the same zones inside the namespace (port 53) and on the host (free port)
        zones_dir = os.path.join(self.state_dir, "zones")
        os.makedirs(zones_dir, exist_ok=True)
        zone_args = []
        for name, path in chain_zones(zones_dir, link, key_txt, other_txt).items():
            zone_args += ["--zone", "%s=%s" % (name, path)]
        dns_ns_dir, dns_host_dir = os.path.join(self.state_dir, "dns-receiver"), os.path.join(self.state_dir, "dns")
        self.python("dns_server.py", "--state-dir", dns_ns_dir, "--port", "53", "--background", *zone_args,
                    netns=netns)
        self.undo.append(lambda: self.python("dns_server.py", "--state-dir", dns_ns_dir, "--stop"))
        dns = json.loads(self.python("dns_server.py", "--state-dir", dns_host_dir, "--background",
                                     *zone_args).stdout)
        self.undo.append(lambda: self.python("dns_server.py", "--state-dir", dns_host_dir, "--stop"))

        # ---- Dovecot: mailboxes, and SASL for the relay
        users = [args.mailbox, args.bounce_mailbox, args.relay_user]
        dovecot = self._dovecot(users)
        names = [u.split(":", 1)[0] for u in users]

        # ---- certificates for the two Postfix instances
        ca = trustme.CA(organization_name="mailops delivery chain CA")
        tls_dir = os.path.join(self.state_dir, "tls")
        os.makedirs(os.path.join(tls_dir, "relay"), exist_ok=True)
        os.makedirs(os.path.join(tls_dir, "receiver"), exist_ok=True)
        ca_file = os.path.join(self.state_dir, "chain-ca.pem")
        ca.cert_pem.write_to_path(ca_file)
        relay_key, relay_chain = certificate(os.path.join(tls_dir, "relay"), ca, ["localhost", "127.0.0.1", RELAY_NAME])
        rcv_key, rcv_chain = certificate(os.path.join(tls_dir, "receiver"), ca, [RECEIVER_NAME])

        # ---- milters
        milters = os.path.join(self.state_dir, "milters")
        os.makedirs(milters, exist_ok=True)
        os.chmod(milters, 0o755)
        relay_dkim = self._opendkim_signer(private, key, milters)
        rcv_dkim, rcv_dmarc = self._receiver_milters(private, milters, netns)

        # ---- receiver Postfix (in the namespace)
        rcv = os.path.join(self.state_dir, "receiver")
        conf_dir = os.path.join(self.state_dir, "receiver-tables")
        os.makedirs(conf_dir, exist_ok=True)
        write(os.path.join(conf_dir, "mailboxes"), "".join("%s@%s OK\n" % (n, RCPT_DOMAIN) for n in names[:2]))
        bounce_to = "%s@%s" % (names[1], RCPT_DOMAIN)
        sender_domains = ["%s.%s" % (d, ZONE) for d in SENDER_DOMAINS]
        write(os.path.join(conf_dir, "aliases"), "".join("@%s %s\n" % (d, bounce_to) for d in sender_domains))
        write(os.path.join(conf_dir, "recipient_access"), "".join([
            "%s PREPEND X-Spam-Flag: YES\n" % RECIPIENTS["junk"],
            "%s HOLD held for inspection\n" % RECIPIENTS["hold"],
            "%s FILTER footer:footer\n" % RECIPIENTS["footer"],
        ]))
        reinject_port = free_port(netns)
        write(os.path.join(conf_dir, "footer.py"), FOOTER_FILTER % {"port": reinject_port}, 0o755)
        write(os.path.join(conf_dir, "policyd-spf.conf"), "\n".join([
            "debugLevel = 1", "TestOnly = 1", "HELO_reject = False", "Mail_From_reject = False",
            "PermError_reject = False", "TempError_Defer = False", "skip_addresses = 127.0.0.0/8,::1",
            "Header_Type = AR", "Authserv_Id = %s" % AUTHSERV_ID, ""]))
        self.undo.append(lambda: run(["sh", os.path.join(HERE, "postfix_instance.sh"), "stop", rcv]))
        run(["ip", "netns", "exec", netns, "sh", os.path.join(HERE, "postfix_instance.sh"), "start", rcv,
             "%s:25" % receiver_ip,
             "myhostname = %s" % RECEIVER_NAME,
             "mynetworks = 127.0.0.0/8",
             "recipient_delimiter = +",
             "virtual_mailbox_domains = %s" % RCPT_DOMAIN,
             "virtual_mailbox_maps = texthash:%s/mailboxes" % conf_dir,
             "virtual_alias_domains = %s" % " ".join(sender_domains),
             "virtual_alias_maps = texthash:%s/aliases" % conf_dir,
             "virtual_transport = lmtp:unix:%s" % dovecot["lmtp_socket"],
             "smtpd_tls_security_level = may",
             "smtpd_tls_chain_files = %s, %s" % (rcv_key, rcv_chain),
             "smtpd_tls_received_header = yes",
             "smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination",
             "smtpd_recipient_restrictions = %scheck_recipient_access texthash:%s/recipient_access, "
             "check_policy_service unix:private/policyd-spf"
             % ("sleep %d, " % args.receiver_delay if args.receiver_delay else "", conf_dir),
             "policyd-spf_time_limit = 3600",
             "smtpd_milters = unix:%s, unix:%s" % (rcv_dkim, rcv_dmarc),
             "milter_default_action = tempfail",
             "policyd-spf/unix = policyd-spf unix - n n - 0 spawn user=policyd-spf argv=/usr/bin/policyd-spf "
             "%s/policyd-spf.conf" % conf_dir,
             "footer/unix = footer unix - n n - 10 pipe flags=Rq user=nobody argv=%s/footer.py ${sender} ${recipient}"
             % conf_dir,
             "127.0.0.1:%d/inet = 127.0.0.1:%d inet n - n - - smtpd -o smtpd_milters= -o content_filter= "
             "-o smtpd_recipient_restrictions=permit_mynetworks,reject -o smtpd_tls_security_level=none"
             % (reinject_port, reinject_port),
             "inet_interfaces = %s, 127.0.0.1" % receiver_ip])

        # ---- relay Postfix (on the host)
        relay = os.path.join(self.state_dir, "relay")
        relay_tables = os.path.join(self.state_dir, "relay-tables")
        os.makedirs(relay_tables, exist_ok=True)
        write(os.path.join(relay_tables, "forge"),
              "%s PREPEND Authentication-Results: %s; dkim=fail reason=\"forged\" header.d=%s.%s; spf=fail "
              "smtp.mailfrom=%s.%s; dmarc=fail header.from=%s.%s\n"
              % (RECIPIENTS["forged"], FORGED_AUTHSERV_ID, "good", ZONE, "good", ZONE, "good", ZONE))
        relay_port = args.relay_port or free_port()
        self.undo.append(lambda: run(["sh", os.path.join(HERE, "postfix_instance.sh"), "stop", relay]))
        run(["sh", os.path.join(HERE, "postfix_instance.sh"), "start", relay, str(relay_port),
             "myhostname = %s" % RELAY_NAME,
             "mynetworks = 127.0.0.1/32",
             "relayhost = [%s]:25" % receiver_ip,
             "smtp_bind_address = %s" % relay_ip,
             "smtp_tls_security_level = encrypt",
             "smtpd_tls_security_level = encrypt",
             "smtpd_tls_auth_only = yes",
             "smtpd_tls_chain_files = %s, %s" % (relay_key, relay_chain),
             "smtpd_tls_received_header = yes",
             "smtpd_sasl_auth_enable = yes",
             "smtpd_sasl_type = dovecot",
             "smtpd_sasl_path = %s" % dovecot["auth_socket"],
             "smtpd_relay_restrictions = permit_sasl_authenticated, reject",
             "smtpd_recipient_restrictions = check_recipient_access texthash:%s/forge" % relay_tables,
             "smtpd_milters = unix:%s" % relay_dkim,
             "milter_default_action = tempfail",
             "default_process_limit = 200",
             "smtp_destination_concurrency_limit = 100"])

        state = {
            "relay": {"host": "127.0.0.1", "port": relay_port, "ca_file": ca_file, "server_name": "localhost",
                      "username": names[2], "hostname": RELAY_NAME, "address": relay_ip,
                      "config_dir": os.path.join(relay, "conf"), "log": os.path.join(relay, "postfix.log")},
            "receiver": {"hostname": RECEIVER_NAME, "address": receiver_ip, "authserv_id": AUTHSERV_ID,
                         "forged_authserv_id": FORGED_AUTHSERV_ID, "netns": netns,
                         "config_dir": os.path.join(rcv, "conf"), "log": os.path.join(rcv, "postfix.log")},
            "mailbox": {"host": dovecot["host"], "port": dovecot["imap_port"], "imaps_port": dovecot["imaps_port"],
                        "ca_file": dovecot["ca_file"], "username": names[0], "junk_folder": dovecot["junk_folder"]},
            "bounce_mailbox": {"host": dovecot["host"], "port": dovecot["imap_port"],
                               "imaps_port": dovecot["imaps_port"], "ca_file": dovecot["ca_file"],
                               "username": names[1], "address": bounce_to},
            "dovecot": dovecot,
            "nameserver": dns["nameserver"],
            "domains": {d: "%s.%s" % (d, ZONE) for d in SENDER_DOMAINS},
            "signer_domain": SIGNER_ZONE, "selector": SELECTOR,
            "recipients": dict(RECIPIENTS),
            "pid": os.getpid(),
        }
        return state

    def _dovecot(self, users):
        argv = ["--state-dir", self.state_dir, "--name", "dovecot", "--hostname", MAILBOX_NAME, "--background"]
        for user in users:
            argv += ["--user", user]
        state = json.loads(self.python("dovecot_instance.py", *argv).stdout)
        self.undo.append(lambda: self.python("dovecot_instance.py", "--state-dir", self.state_dir, "--name",
                                             "dovecot", "--stop"))
        return state

    def spawn(self, argv, log):
        handle = open(log, "ab")  # pylint: disable=consider-using-with
        child = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=handle, stderr=subprocess.STDOUT)
        handle.close()
        self.children.append(child)

        def kill():
            if child.poll() is None:
                child.terminate()
                try:
                    child.wait(10)
                except subprocess.TimeoutExpired:
                    child.kill()
        self.undo.append(kill)
        return child

    def wait_socket(self, path, child, what):
        deadline = time.time() + 20
        while time.time() < deadline:
            if os.path.exists(path):
                return path
            if child.poll() is not None:
                break
            time.sleep(0.1)
        raise RuntimeError("%s did not create %s" % (what, path))

    def _opendkim_signer(self, private, key, milters):
        """OpenDKIM signing on the relay: every sender domain with its own d=, unaligned with d=signer.test."""
        keytable, signing = os.path.join(private, "KeyTable"), os.path.join(private, "SigningTable")
        write(keytable, "".join("%s %s:%s:%s\n" % (d, "%s.%s" % (d, ZONE) if d != "unaligned" else SIGNER_ZONE,
                                                   SELECTOR, key) for d in SENDER_DOMAINS), 0o600)
        write(signing, "".join("*@%s.%s %s\n" % (d, ZONE, d) for d in SENDER_DOMAINS), 0o600)
        sock = os.path.join(milters, "relay-dkim.sock")
        conf = os.path.join(private, "opendkim-relay.conf")
        write(conf, "\n".join([
            "Mode s", "Syslog no", "UMask 000", "Socket local:%s" % sock,
            "KeyTable file:%s" % keytable, "SigningTable refile:%s" % signing,
            "Canonicalization relaxed/relaxed", "SignatureAlgorithm rsa-sha256", "OversignHeaders From",
            "InternalHosts 127.0.0.1", "PidFile %s" % os.path.join(private, "opendkim-relay.pid"), ""]), 0o600)
        child = self.spawn(["opendkim", "-f", "-x", conf], os.path.join(milters, "relay-dkim.log"))
        return self.wait_socket(sock, child, "OpenDKIM (relay)")

    def _receiver_milters(self, private, milters, netns):
        dkim_sock = os.path.join(milters, "receiver-dkim.sock")
        dkim_conf = os.path.join(private, "opendkim-receiver.conf")
        # Debian's OpenDKIM resolves through libunbound, which ignores resolv.conf, never queries a
        # nameserver on loopback and answers NXDOMAIN for the special-use name "test." unless told
        # otherwise: forward everything to the namespace's nsd.
        unbound_conf = os.path.join(private, "unbound.conf")
        write(unbound_conf, "server:\n  do-not-query-localhost: no\n  local-zone: \"test.\" nodefault\n"
                            "forward-zone:\n  name: \".\"\n  forward-addr: 127.0.0.1\n", 0o600)
        write(dkim_conf, "\n".join([
            "Mode v", "Syslog no", "UMask 000", "Socket local:%s" % dkim_sock, "AuthservID %s" % AUTHSERV_ID,
            "AlwaysAddARHeader yes", "ResolverConfiguration %s" % unbound_conf,
            "PidFile %s" % os.path.join(private, "opendkim-receiver.pid"), ""]), 0o600)
        dkim = self.spawn(["ip", "netns", "exec", netns, "opendkim", "-f", "-x", dkim_conf],
                          os.path.join(milters, "receiver-dkim.log"))
        dmarc_sock = os.path.join(milters, "receiver-dmarc.sock")
        dmarc_conf = os.path.join(private, "opendmarc.conf")
        write(dmarc_conf, "\n".join([
            "AuthservID %s" % AUTHSERV_ID, "TrustedAuthservIDs %s" % AUTHSERV_ID, "Socket local:%s" % dmarc_sock,
            "UMask 000", "Syslog false", "SPFSelfValidate true", "RejectFailures false", "FailureReports false",
            "IgnoreAuthenticatedClients false", "PidFile %s" % os.path.join(private, "opendmarc.pid"), ""]), 0o600)
        dmarc = self.spawn(["ip", "netns", "exec", netns, "opendmarc", "-f", "-c", dmarc_conf],
                           os.path.join(milters, "receiver-dmarc.log"))
        return (self.wait_socket(dkim_sock, dkim, "OpenDKIM (receiver)"),
                self.wait_socket(dmarc_sock, dmarc, "OpenDMARC (receiver)"))

    @staticmethod
    def kill_namespace(netns):
        """Whatever still runs in the namespace (Postfix's policy server lingers after stop)."""
        listed = subprocess.run(["ip", "netns", "pids", netns], check=False, stdout=subprocess.PIPE)
        for pid in listed.stdout.split():
            try:
                os.kill(int(pid), signal.SIGKILL)
            except OSError:
                pass

    def stop(self):
        for child in self.children:  # milters take a few seconds to exit: signal them all at once
            if child.poll() is None:
                child.terminate()
        while self.undo:
            action = self.undo.pop()
            try:
                action()
            except (OSError, subprocess.CalledProcessError) as exc:
                sys.stderr.write("teardown: %s\n" % exc)


def open_to_all(path):
    """Whether users other than root can pass through every directory down to path."""
    path = os.path.abspath(path)
    while True:
        if not os.stat(path).st_mode & 0o001:
            return False
        parent = os.path.dirname(path)
        if parent == path:
            return True
        path = parent


def state_path(state_dir):
    return os.path.join(state_dir, "chain.json")


def serve(args):
    for tool in ("postfix", "opendkim", "opendkim-genkey", "opendmarc", "policyd-spf", "dovecot", "nsd", "ip"):
        if not shutil.which(tool) and not os.path.exists(os.path.join("/usr/sbin", tool)):
            sys.stderr.write("%s not found: install the packages in tests/system-packages.txt\n" % tool)
            return 2
    chain = Chain(args)
    stopping = []
    signal.signal(signal.SIGTERM, lambda _s, _f: stopping.append(True))
    signal.signal(signal.SIGINT, lambda _s, _f: stopping.append(True))
    try:
        try:
            state = chain.start()
        except (OSError, RuntimeError, subprocess.CalledProcessError) as exc:
            output = getattr(exc, "stdout", b"") or b""
            sys.stderr.write("mail chain did not start: %s\n%s\n" % (exc, output.decode(errors="replace")))
            return 1
        _daemon.publish(state_path(chain.home), state)
        while not stopping and all(c.poll() is None for c in chain.children):
            time.sleep(0.2)
    finally:
        chain.stop()
        _daemon.discard(state_path(chain.home))  # last: --stop returns once all is torn down
    return 0


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--state-dir", required=True, help="directory for chain.json and every part's files")
    parser.add_argument("--relay-user", default="mailer:Relay-S3cret", metavar="USER:PASSWORD",
                        help="SASL login the relay requires")
    parser.add_argument("--mailbox", default="probe:Imap-S3cret", metavar="USER:PASSWORD",
                        help="IMAP login of the mailbox the test messages go to (probe@%s)" % RCPT_DOMAIN)
    parser.add_argument("--bounce-mailbox", default="bounces:B0unce-S3cret", metavar="USER:PASSWORD",
                        help="IMAP login of the mailbox every address at the sender domains goes to")
    parser.add_argument("--relay-port", type=int, default=0, help="submission port of the relay; 0 picks one")
    parser.add_argument("--receiver-delay", type=int, default=0, metavar="SECONDS",
                        help="the receiver pauses this long at RCPT (Postfix 'sleep'): a slow, distant receiver")
    _daemon.add_control_arguments(parser, "every part of the chain is ready")
    args = parser.parse_args(argv)
    done = _daemon.control(args, __file__, argv, state_path(os.path.abspath(args.state_dir)),
                           os.path.join(args.state_dir, "mail_chain.log"), 120)
    if done is not None:
        return done
    return serve(args)


if __name__ == "__main__":
    sys.exit(main())
