# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""DnsClient's transport against small nameservers on loopback (real UDP and TCP sockets, answers
written with dnspython): shared UDP socket, truncation to TCP, failover, timeouts, rcodes."""

from __future__ import annotations

import asyncio
import socket
import struct

import dns.flags
import dns.message
import dns.rcode
import dns.rrset

from ansible_collections.mailops.smtp.plugins.module_utils._dns.resolver import DnsClient

LONG = "v=spf1 " + " ".join("ip4:192.0.2.%d" % i for i in range(1, 120)) + " -all"


def _answer(wire, behaviour, over_tcp=False):
    """The answer's wire for a question, or None to stay silent."""
    query = dns.message.from_wire(wire)
    name = query.question[0].name.to_text().rstrip(".")
    if behaviour == "silent":
        return None
    response = dns.message.make_response(query)
    if behaviour == "servfail":
        response.set_rcode(dns.rcode.SERVFAIL)
        return response.to_wire()
    if name.startswith("none."):
        response.set_rcode(dns.rcode.NXDOMAIN)
        return response.to_wire()
    if name.startswith("big.") and not over_tcp:
        response.flags |= dns.flags.TC
        return response.to_wire()
    text = LONG if name.startswith("big.") else "v=spf1 -all"
    response.answer.append(dns.rrset.from_text(query.question[0].name, 60, "IN", "TXT",
                                               '"%s"' % '" "'.join(text[i:i + 200] for i in range(0, len(text), 200))))
    return response.to_wire()


class _Udp(asyncio.DatagramProtocol):
    def __init__(self, behaviour, seen):
        self.behaviour = behaviour
        self.seen = seen
        self.transport = None

    def connection_made(self, transport):
        self.transport = transport

    def datagram_received(self, data, addr):
        self.seen.append("udp")
        if self.behaviour == "stray":
            # First an answer under another ID (ignored), then the real one.
            self.transport.sendto(b"\x00\x00" + _answer(data, "ok")[2:], addr)
            if data[:2] == b"\x00\x00":
                return
        wire = _answer(data, self.behaviour)
        if wire is not None:
            self.transport.sendto(wire, addr)


async def _nameserver(behaviour, seen):
    """Start a UDP and a TCP listener on one free loopback port; returns (address:port, closer)."""
    loop = asyncio.get_running_loop()
    probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()

    async def tcp(reader, writer):
        seen.append("tcp")
        size = struct.unpack("!H", await reader.readexactly(2))[0]
        wire = _answer(await reader.readexactly(size), behaviour, over_tcp=True)
        writer.write(struct.pack("!H", len(wire)) + wire)
        await writer.drain()
        writer.close()

    transport, _proto = await loop.create_datagram_endpoint(lambda: _Udp(behaviour, seen), local_addr=("127.0.0.1", port))
    server = await asyncio.start_server(tcp, "127.0.0.1", port)

    def close():
        transport.close()
        server.close()
    return "127.0.0.1:%d" % port, close


def _ask(behaviours, questions, timeout=2.0):
    async def main():
        seen, started = [], []
        for behaviour in behaviours:
            seen.append([])
            started.append(await _nameserver(behaviour, seen[-1]))
        client = DnsClient([ns for ns, _c in started], timeout=timeout, concurrency=10)
        try:
            looks = await asyncio.gather(*[client.query(n, "TXT") for n in questions])
        finally:
            client.close()
            for _ns, close in started:
                close()
        return looks, seen, client
    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(main())
    finally:
        loop.close()


def test_many_questions_share_one_socket_and_get_their_own_answers():
    names = ["d%d.example.org" % i for i in range(40)]
    looks, seen, client = _ask(["ok"], names)
    assert [lk.kind for lk in looks] == ["answer"] * 40
    assert [lk.name for lk in looks] == names
    assert looks[0].records == ["v=spf1 -all"]
    assert seen[0] == ["udp"] * 40 and client.queries == 40


def test_nxdomain_is_a_fact():
    looks, _seen, _client = _ask(["ok"], ["none.example.org"])
    assert looks[0].kind == "nxdomain"


def test_truncated_answer_is_asked_again_over_tcp():
    looks, seen, _client = _ask(["ok"], ["big.example.org"])
    assert looks[0].kind == "answer" and looks[0].records == [LONG]
    assert seen[0] == ["udp", "tcp"]


def test_answer_under_another_id_is_ignored():
    looks, _seen, _client = _ask(["stray"], ["x.example.org"])
    assert looks[0].kind == "answer" and looks[0].records == ["v=spf1 -all"]


def test_servfail_moves_on_to_the_next_nameserver():
    looks, seen, _client = _ask(["servfail", "ok"], ["x.example.org"])
    assert looks[0].kind == "answer"
    assert seen == [["udp"], ["udp"]]


def test_every_nameserver_failing_is_an_error_naming_each():
    looks, _seen, client = _ask(["servfail", "servfail"], ["x.example.org"])
    assert looks[0].kind == "error"
    for ns in client.nameservers:
        assert "server %s answered SERVFAIL" % ns in looks[0].error


def test_a_silent_nameserver_is_asked_again_then_the_next_one_answers():
    looks, seen, _client = _ask(["silent", "ok"], ["x.example.org"], timeout=1.5)
    assert looks[0].kind == "answer"
    assert seen[0] == ["udp"] and seen[1] == ["udp"]


def test_silence_is_a_timeout_error_within_the_timeout():
    loop = asyncio.new_event_loop()
    try:
        start = loop.time()
        looks, seen, client = _ask(["silent"], ["x.example.org"], timeout=0.9)
        elapsed = loop.time() - start
    finally:
        loop.close()
    assert looks[0].kind == "error"
    assert looks[0].error == "timeout: %s did not answer within 0.9s" % client.nameservers[0]
    assert len(seen[0]) >= 2  # sent again within the timeout
    assert elapsed < 2.0
