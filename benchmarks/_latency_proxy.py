#!/usr/bin/env python
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A link with internet-like latency in front of loopback servers, for the benchmarks.

Every chunk of bytes (TCP) or datagram (UDP) is held for DELAY seconds in each direction before it
is passed on, so a request and its answer take 2 x DELAY more than on raw loopback: with the default
0.010 s, a 20 ms round trip, about what a relay in the same region costs. Order is kept (the same
delay for every chunk of one direction). The kernel's own delay queue (tc netem) is the usual tool;
this exists because it works on kernels built without queueing disciplines.

Usage: _latency_proxy.py --delay 0.010 --map tcp:127.0.0.1:0=127.0.0.1:2525 --map udp:127.0.0.3:53=127.0.0.2:53
Prints one JSON line {"tcp:HOST:PORT": "LISTEN_HOST:LISTEN_PORT", ...} once every listener is up, then
serves until SIGTERM. Listens and connects on the addresses given only (loopback in the benchmarks).
"""

import argparse
import asyncio
import json
import signal
import sys


class _Pipe(asyncio.Protocol):
    """One direction's sink: write what arrives from the other side after the delay."""

    def __init__(self, loop, delay):
        self.loop = loop
        self.delay = delay
        self.transport = None
        self.peer = None
        self.pending = []

    def connection_made(self, transport):
        self.transport = transport
        for data in self.pending:
            transport.write(data)
        self.pending = []

    def data_received(self, data):
        if self.peer is not None:
            self.loop.call_later(self.delay, self.peer.send, data)

    def send(self, data):
        if self.transport is None:
            self.pending.append(data)
        elif not self.transport.is_closing():
            self.transport.write(data)

    def eof_received(self):
        if self.peer is not None:
            self.loop.call_later(self.delay, self.peer.close)
        return False

    def close(self):
        if self.transport is not None and not self.transport.is_closing():
            self.transport.close()

    def connection_lost(self, exc):
        if self.peer is not None:
            self.loop.call_later(self.delay, self.peer.close)


async def _tcp(listen, target, delay):
    loop = asyncio.get_running_loop()

    def client_side():
        down = _Pipe(loop, delay)
        up = _Pipe(loop, delay)
        down.peer, up.peer = up, down

        async def connect():
            try:
                await loop.create_connection(lambda: up, target[0], target[1])
            except OSError:
                down.close()

        loop.create_task(connect())
        return down

    server = await loop.create_server(client_side, listen[0], listen[1])
    return server.sockets[0].getsockname()[:2]


class _Datagrams(asyncio.DatagramProtocol):
    def __init__(self, loop, target, delay):
        self.loop = loop
        self.target = target
        self.delay = delay
        self.transport = None

    def connection_made(self, transport):
        self.transport = transport

    def datagram_received(self, data, addr):
        self.loop.call_later(self.delay, self._forward, data, addr)

    def _forward(self, question, client):
        outer = self

        class Upstream(asyncio.DatagramProtocol):
            def connection_made(self, transport):
                self.transport = transport
                transport.sendto(question)

            def datagram_received(self, data, addr):
                outer.loop.call_later(outer.delay, outer.transport.sendto, data, client)
                self.transport.close()

        self.loop.create_task(self.loop.create_datagram_endpoint(Upstream, remote_addr=self.target))


async def _udp(listen, target, delay):
    loop = asyncio.get_running_loop()
    transport, _protocol = await loop.create_datagram_endpoint(
        lambda: _Datagrams(loop, target, delay), local_addr=listen)
    return transport.get_extra_info("sockname")[:2]


def _endpoint(text):
    host, port = text.rsplit(":", 1)
    return host, int(port)


async def _main(args):
    mapping = {}
    for item in args.map:
        kind, rest = item.split(":", 1)
        listen, target = rest.split("=", 1)
        serve = _tcp if kind == "tcp" else _udp
        host, port = await serve(_endpoint(listen), _endpoint(target), args.delay)
        mapping["%s:%s" % (kind, target)] = "%s:%d" % (host, port)
    sys.stdout.write(json.dumps(mapping) + "\n")
    sys.stdout.flush()
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    await stop.wait()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--delay", type=float, default=0.010, help="seconds each way (default 0.010)")
    parser.add_argument("--map", action="append", default=[], help="tcp|udp:LISTEN_HOST:PORT=TARGET_HOST:PORT")
    asyncio.run(_main(parser.parse_args()))


if __name__ == "__main__":
    main()
