#!/usr/bin/env python
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Turn fleet.yml into the test servers' config and, once they listen, into connectors per check.

fleet.py servers FLEET OUT        write the smtp_server.py --config list (rows that have a server)
fleet.py vars FLEET STATE OUT     write playbook variables: rows, and connectors grouped by check
fleet.py documented FLEET DOC     fail unless DOC names every row and every expected category
"""

from __future__ import annotations

import json
import os
import socket
import sys

import yaml

PASSWORD = "Fl33t-S3cret"
DEFAULT_SENDER = '"Fleet Test" <fleet@example.org>'


def load(path):
    with open(path, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def servers(rows):
    return [dict(row["server"], name=row["name"]) for row in rows if row.get("server")]


def closed_port():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


def connector(row, info):
    spec = dict(row.get("connector") or {})
    conn = {
        "name": row["name"],
        "host": "127.0.0.1",
        "port": info["port"] if info else 25,
        "security": spec.get("security", "starttls"),
        "senders": {"default": DEFAULT_SENDER},
        "test": {"to": ["inbox@example.org"]},
    }
    if conn["security"] != "none" and info and info.get("ca_file"):
        conn["tls"] = {"ca_file": info["ca_file"]}
    for key, value in spec.items():
        if key == "tls":
            conn["tls"] = dict(conn.get("tls") or {}, **value)
        elif key == "auth":
            conn["auth"] = dict(value if isinstance(value, dict) else {}, username="mailer", password=PASSWORD)
        elif key == "port" and value == "closed":
            conn["port"] = closed_port()
        else:
            conn[key] = value
    return conn


def playbook_vars(rows, state):
    out = {"rows": rows, "connectors": {"probe": [], "test_send": [], "tls_check": []}}
    for row in rows:
        info = None
        if row.get("server"):
            with open(os.path.join(state, "smtp", "%s.json" % row["name"]), encoding="utf-8") as handle:
                info = json.load(handle)
        out["connectors"][row["check"]].append(connector(row, info))
    with open(os.path.join(state, "dns", "dns.json"), encoding="utf-8") as handle:
        dns = json.load(handle)
    out["dns"] = {"host": dns["host"], "port": dns["port"]}
    out["state_dir"] = state
    return out


def undocumented(rows, doc_path):
    with open(doc_path, encoding="utf-8") as handle:
        doc = handle.read()
    names = [row["name"] for row in rows]
    categories = set()
    for row in rows:
        want = row["expect"]
        categories.update(c for c in (want.get("category"), want.get("finding_category")) if c)
    return [n for n in names if "`%s`" % n not in doc] + sorted(c for c in categories if "| `%s` |" % c not in doc)


def main(argv):
    rows = load(argv[1])
    if argv[0] == "documented":
        missing = undocumented(rows, argv[2])
        if missing:
            sys.stderr.write("%s does not list: %s\n" % (argv[2], ", ".join(missing)))
            return 1
        print("%d fleet rows, all listed in %s" % (len(rows), argv[2]))
        return 0
    if argv[0] == "servers":
        data = servers(rows)
        target = argv[2]
    else:
        data = playbook_vars(rows, argv[2])
        target = argv[3]
    with open(target, "w", encoding="utf-8") as handle:
        json.dump(data, handle, indent=1, ensure_ascii=False)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
