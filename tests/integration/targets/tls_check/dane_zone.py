#!/usr/bin/env python
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Write an nsd configuration and the zone dane.test with TLSA records for the test SMTP server.

Usage: dane_zone.py STATE_DIR SERVER_JSON DNS_PORT
mail.dane.test has a TLSA 3 1 1 record with the server's key, other.dane.test one that does not
match, none.dane.test none at all.
"""

from __future__ import annotations

import json
import os
import sys


def main():
    state, server_json, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    with open(server_json) as handle:
        server = json.load(handle)
    smtp_port = server["port"]
    os.makedirs(state, exist_ok=True)
    zone = "\n".join([
        "$ORIGIN dane.test.",
        "$TTL 60",
        "@ IN SOA ns.dane.test. hostmaster.dane.test. 1 3600 600 86400 60",
        "@ IN NS ns.dane.test.",
        "ns IN A 127.0.0.1",
        "mail IN A 127.0.0.1",
        "other IN A 127.0.0.1",
        "none IN A 127.0.0.1",
        "_%d._tcp.mail IN TLSA 3 1 1 %s" % (smtp_port, server["spki_sha256"]),
        "_%d._tcp.other IN TLSA 3 1 1 %s" % (smtp_port, "00" * 32),
        "",
    ])
    with open(os.path.join(state, "dane.test.zone"), "w") as handle:
        handle.write(zone)
    conf = "\n".join([
        "server:",
        "  ip-address: 127.0.0.1@%d" % port,
        '  username: ""',
        '  chroot: ""',
        '  zonesdir: "%s"' % state,
        '  pidfile: "%s/nsd.pid"' % state,
        '  database: ""',
        '  zonelistfile: "%s/zone.list"' % state,
        '  xfrdfile: "%s/xfrd.state"' % state,
        '  xfrdir: "%s"' % state,
        '  logfile: "%s/nsd.log"' % state,
        "  server-count: 1",
        "remote-control:",
        "  control-enable: no",
        "zone:",
        "  name: dane.test",
        "  zonefile: dane.test.zone",
        "",
    ])
    with open(os.path.join(state, "nsd.conf"), "w") as handle:
        handle.write(conf)


if __name__ == "__main__":
    main()
