#!/usr/bin/env python
# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""HTTPS server for MTA-STS policies in tests: serves /.well-known/mta-sts.txt by Host name.

The certificate comes from a trustme CA written to STATE/https-ca.pem. It covers the names in
--cert-names-file (or --cert-name), so a policy host left out of it tests certificate failures.
Policies are files named after the host (e.g. STATE/mta-sts/mta-sts.example.test).
"""

from __future__ import annotations

import argparse
import http.server
import ipaddress
import json
import os
import signal
import ssl
import sys
import threading

import _daemon


def state_path(state_dir):
    return os.path.join(state_dir, "https.json")


class PolicyHandler(http.server.BaseHTTPRequestHandler):
    server_version = "mta-sts-test"
    policy_dir = None

    def do_GET(self):  # noqa: N802 - name fixed by BaseHTTPRequestHandler
        host = (self.headers.get("Host") or "").split(":")[0].lower()
        path = os.path.join(self.policy_dir, os.path.basename(host))
        if self.path != "/.well-known/mta-sts.txt" or not host or not os.path.isfile(path):
            self.send_error(404)
            return
        with open(path, "rb") as handle:
            body = handle.read()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):  # quiet: tests read results, not access logs
        return


def serve(args):
    import trustme  # test-only dependency, imported where it is needed

    os.makedirs(args.state_dir, exist_ok=True)
    names = list(args.cert_name)
    if args.cert_names_file:
        with open(args.cert_names_file, encoding="utf-8") as handle:
            names += json.load(handle)
    if not names:
        sys.stderr.write("no certificate names: give --cert-name or --cert-names-file\n")
        return 2
    ca = trustme.CA()
    leaf = ca.issue_cert(*names)
    ca_file = os.path.join(args.state_dir, "https-ca.pem")
    ca.cert_pem.write_to_path(ca_file)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    leaf.configure_cert(context)
    PolicyHandler.policy_dir = os.path.abspath(args.policy_dir)
    httpd = http.server.ThreadingHTTPServer((args.host, args.port), PolicyHandler)
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    port = httpd.server_address[1]
    state = {"host": args.host, "port": port, "ca_file": ca_file, "cert_names": names, "pid": os.getpid(),
             "policy_dir": PolicyHandler.policy_dir}
    tmp = state_path(args.state_dir) + ".tmp"
    with open(tmp, "w", encoding="utf-8") as handle:
        json.dump(state, handle, indent=2)
    os.replace(tmp, state_path(args.state_dir))

    def stop(_signum, _frame):
        threading.Thread(target=httpd.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        httpd.serve_forever(poll_interval=0.2)
    finally:
        httpd.server_close()
        try:
            os.unlink(state_path(args.state_dir))
        except OSError:
            pass
    return 0


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--state-dir", required=True, help="directory for https.json and the CA file")
    parser.add_argument("--policy-dir", help="directory of policy files named by host (default STATE/mta-sts)")
    parser.add_argument("--host", default="127.0.0.44", help="loopback address to listen on")
    parser.add_argument("--port", type=int, default=443, help="MTA-STS senders always use 443")
    parser.add_argument("--cert-name", action="append", default=[], help="name the certificate covers")
    parser.add_argument("--cert-names-file", help="JSON list of names the certificate covers")
    parser.add_argument("--background", action="store_true", help="detach, return once listening")
    parser.add_argument("--stop", action="store_true", help="do not start: SIGTERM the running server")
    args = parser.parse_args(argv)
    if not ipaddress.ip_address(args.host).is_loopback:
        parser.error("--host must be a loopback address")
    args.policy_dir = args.policy_dir or os.path.join(args.state_dir, "mta-sts")
    if args.stop:
        _daemon.stop(state_path(args.state_dir))
        return 0
    if args.background:
        return _daemon.start_detached(__file__, argv, state_path(args.state_dir),
                                      os.path.join(args.state_dir, "https_server.log"), 30)
    return serve(args)


if __name__ == "__main__":
    sys.exit(main())
