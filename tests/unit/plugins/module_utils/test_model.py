# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import ipaddress
import json
import os
import random

import pytest
import yaml

from ansible_collections.mailops.smtp.plugins.doc_fragments.connector import ModuleDocFragment
from ansible_collections.mailops.smtp.plugins.module_utils import _formats, _model, _report
from ansible_collections.mailops.smtp.plugins.module_utils._schema_data import CONNECTOR_SCHEMA

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", ".."))

MINIMAL = {"name": "relay", "host": "smtp.example.org", "senders": {"default": "a@example.org"}}


def test_schema_data_is_the_json_schema():
    with open(os.path.join(ROOT, "schemas", "connector.schema.json"), encoding="utf-8") as handle:
        assert json.load(handle) == CONNECTOR_SCHEMA


def test_secret_paths_come_from_the_schema():
    assert _model.SECRET_PATHS == (("auth", "password"), ("test", "mailbox", "password"),
                                   ("test", "bounce_mailbox", "password"))
    assert _model.is_secret_path((0, "test", "mailbox", "password"))
    assert _model.is_secret_path((0, "auth", "password"))
    assert not _model.is_secret_path((0, "auth", "username"))


def test_normalize_fills_every_default():
    norm = _model.normalize(MINIMAL)
    assert norm["security"] == "starttls" and norm["starttls"] == "required" and norm["port"] == 25
    assert norm["tls"] == {"verify": True, "min_version": "1.2"}
    assert norm["delivery"] == {"retry_interval_minutes": 5, "max_errors": 10}
    assert norm["attachments"] == {"allowed": True, "max_size_mb": 25, "as_url": False}
    assert norm["timeout"] == 30 and norm["mime_strict"] is True and norm["reply_to"] == "none"
    assert "auth" not in norm and "test" not in norm
    assert _model.normalize(dict(MINIMAL, security="tls"))["port"] == 465
    assert _model.normalize(dict(MINIMAL, test={"to": ["t@example.org"]}))["test"]["sender"] == "default"


def test_normalize_does_not_modify_its_input():
    conn = json.loads(json.dumps(MINIMAL))
    _model.normalize(conn)
    assert conn == MINIMAL


def test_minimize_is_the_inverse_of_normalize():
    full = dict(MINIMAL, port=587, auth={"username": "u", "password": "p"}, delivery={"throttle_per_second": 5},
                test={"to": ["t@example.org"]})
    small = _model.minimize(full)
    assert _model.normalize(small) == _model.normalize(full)
    assert "tls" not in small and "timeout" not in small
    assert small["delivery"] == {"throttle_per_second": 5}


def test_redact_replaces_only_secrets_and_copies():
    conn = dict(MINIMAL, auth={"username": "u@example.org", "password": "pw-123"})
    red = _model.redact([conn])
    assert red[0]["auth"] == {"username": "u@example.org", "password": _model.REDACTED}
    assert conn["auth"]["password"] == "pw-123"
    assert _model.secret_values(conn) == ["pw-123"]
    assert _model.scrub("login pw-123 failed", ["pw-123"]) == "login ******** failed"


def test_secret_state_and_keyed_digest():
    assert _model.secret_state("a", "a") == "unchanged"
    assert _model.secret_state("a", "b") == "changed"
    assert _model.secret_state(None, "b") == "changed"
    one, two = _model.keyed_digest("pw", b"key1"), _model.keyed_digest("pw", b"key2")
    assert one != two and "pw" not in one and len(one) == 64


@pytest.mark.parametrize("host, loop", [("localhost", True), ("127.0.0.1", True), ("127.1.2.3", True), ("::1", True),
                                        ("[::1]", True), ("a.localhost", True), ("smtp.example.org", False),
                                        ("10.0.0.1", False), ("localhost.example.org", False)])
def test_is_loopback(host, loop):
    assert _model.is_loopback(host) is loop


def _plain_is_ip(host):
    try:
        ipaddress.ip_address(str(host).strip("[]"))
    except ValueError:
        return False
    return True


def _plain_is_loopback(host):
    name = str(host or "").strip("[]").rstrip(".").lower()
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def test_address_checks_answer_as_ipaddress_does_for_any_text():
    """The short cut for host names (no address character set) never changes an answer."""
    rng = random.Random(1234)
    alphabet = "0123456789abcdefABCDEFxyz.:[]%-_ ::1"
    samples = ["", "::", "::1", "127.0.0.1", "fe80::1%eth0", "fe80::1%2", "cafe.beef", "1.2.3", "[::ffff:127.0.0.1]",
               "127.0.0.1.", "0x7f.1", "smtp1.example.org", "localhost", "LOCALHOST", "2001:db8::", None, 8, 12.5]
    samples += ["".join(rng.choice(alphabet) for _char in range(rng.randint(1, 24))) for _text in range(5000)]
    samples += [str(ipaddress.IPv4Address(rng.getrandbits(32))) for _v4 in range(500)]
    samples += [str(ipaddress.IPv6Address(rng.getrandbits(128))) for _v6 in range(500)]
    for host in samples:
        assert _model.is_ip(host) is _plain_is_ip(host), host
        assert _model.is_loopback(host) is _plain_is_loopback(host), host


def _fragment_options(text):
    return yaml.safe_load(text)["options"]


def _compare(spec, doc, where):
    """The checks ansible-test validate-modules makes between an argument spec and its documentation."""
    assert set(spec) == set(doc), where
    for key, opt in spec.items():
        entry = doc[key]
        assert opt["type"] == entry["type"], (where, key)
        assert opt.get("required", False) == entry.get("required", False), (where, key)
        assert opt.get("default") == entry.get("default"), (where, key)
        assert opt.get("choices") == entry.get("choices"), (where, key)
        assert opt.get("elements") == entry.get("elements"), (where, key)
        if "options" in opt or "suboptions" in entry:
            _compare(opt["options"], entry["suboptions"], where + "." + key)


def test_argument_spec_matches_the_generated_documentation():
    spec = _model.connector_argument_spec()
    doc = _fragment_options(ModuleDocFragment.DOCUMENTATION)["connectors"]
    assert spec["type"] == doc["type"] and spec["elements"] == doc["elements"]
    _compare(spec["options"], doc["suboptions"], "connectors")
    optional = _fragment_options(ModuleDocFragment.OPTIONAL)["connectors"]
    assert optional.get("required", False) is False
    _compare(_model.connector_argument_spec(required=False)["options"], optional["suboptions"], "optional")
    config = _fragment_options(ModuleDocFragment.CONFIG)["config"]
    _compare(_model.connector_argument_spec(required=False)["options"], config["suboptions"], "config")


def test_every_secret_field_is_no_log_in_the_argument_spec():
    spec = _model.connector_argument_spec()["options"]
    for path in _model.SECRET_PATHS:
        node = spec
        for key in path[:-1]:
            node = node[key]["options"]
        assert node[path[-1]].get("no_log") is True


def test_plain_data_unwraps_subclasses_and_stringifies_the_rest():
    class Tagged(str):
        pass

    class Vaulted:
        def __str__(self):
            return "decrypted"

    data = {Tagged("k"): [Tagged("v"), (1, 2.5, True, None)], "vault": Vaulted()}
    out = _model.plain_data(data)
    assert out == {"k": ["v", [1, 2.5, True, None]], "vault": "decrypted"}
    assert list(out)[0].__class__ is str and out["k"][0].__class__ is str


def test_check_only_fields_never_reach_a_host():
    mailbox = {"host": "imap.example.net", "username": "p", "password": "Imap-pw"}
    bounce = {"host": "imap.example.org", "username": "b", "password": "Bounce-pw"}
    conn = dict(MINIMAL, auth={"username": "u", "password": "Relay-pw"},
                test={"to": ["p@example.net"], "mailbox": mailbox, "bounce_mailbox": bounce})
    assert _model.CHECK_ONLY_PATHS == (("test", "mailbox"), ("test", "bounce_mailbox"))
    view = _model.host_view(conn)
    assert view["test"] == {"to": ["p@example.net"]} and view["auth"] == conn["auth"]
    assert "mailbox" in conn["test"], "the input is not modified"
    for name, fmt in sorted(_formats.FORMATS.items()):
        if name == "template":
            continue
        text = fmt.render([conn], None)
        text = text if isinstance(text, str) else repr(text)
        assert "Imap-pw" not in text and "Bounce-pw" not in text and "imap.example" not in text, name
    assert _report.connector_diff([conn], [view]) == []
