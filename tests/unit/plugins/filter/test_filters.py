# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import json

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.mailops.smtp.plugins.filter.connector_diff import FilterModule as DiffFilters
from ansible_collections.mailops.smtp.plugins.filter.redact import FilterModule as RedactFilters

connector_diff = DiffFilters().filters()["connector_diff"]
redact = RedactFilters().filters()["redact"]

PASSWORD = "s3cret-value-for-tests"
CONN = {"name": "relay", "host": "smtp.example.org", "auth": {"username": "u@example.org", "password": PASSWORD},
        "senders": {"default": "noreply@example.org"}}


def test_connector_diff_reports_changed_field_and_secret_state():
    gathered = [dict(CONN, port=2525, auth={"username": "u@example.org", "password": "changed"})]
    diff = connector_diff([CONN], gathered)
    assert [(d["field"], d["status"]) for d in diff] == [("port", "changed"), ("auth.password", "changed")]
    assert PASSWORD not in json.dumps(diff)


def test_connector_diff_accepts_a_single_connector_and_ignore_fields_string():
    gathered = [dict(CONN, port=2525, auth={"username": "u@example.org", "password": "unchanged"})]
    assert connector_diff(CONN, gathered, ignore_fields="port") == []


def test_connector_diff_between_two_declared_lists():
    other = dict(CONN, auth={"username": "u@example.org", "password": "another"})
    assert [d["field"] for d in connector_diff([CONN], [other], secret_states=False)] == ["auth.password"]


@pytest.mark.parametrize("args, kwargs, message", [
    (([CONN], "nope"), {}, "connector_diff: actual must be a list of connectors"),
    (([CONN], []), {"ignore_fields": [1]}, "ignore_fields must be a list of dotted field paths"),
    (([CONN], []), {"secret_states": "yes"}, "secret_states must be true or false"),
])
def test_connector_diff_errors_are_filter_errors(args, kwargs, message):
    with pytest.raises(AnsibleFilterError, match=message):
        connector_diff(*args, **kwargs)


def test_redact_connector_list_and_nested_data():
    data = {"web1": {"smtp_connectors": [CONN], "other": {"password": "kept: not a connector"}},
            "list": [[CONN]], "single": CONN, "text": PASSWORD}
    out = redact(data)
    assert out["web1"]["smtp_connectors"][0]["auth"] == {"username": "u@example.org", "password": "********"}
    assert out["list"][0][0]["auth"]["password"] == "********"
    assert out["single"]["auth"]["password"] == "********"
    assert out["web1"]["other"] == {"password": "kept: not a connector"}
    assert CONN["auth"]["password"] == PASSWORD, "input must not be modified"


def test_redact_marker_and_absent_secret():
    no_auth = {"name": "fax", "host": "fax.example.org", "senders": {"default": "fax@example.org"}}
    assert redact([CONN, no_auth], marker="<hidden>") == [
        dict(CONN, auth={"username": "u@example.org", "password": "<hidden>"}), no_auth]
    with pytest.raises(AnsibleFilterError, match="marker must be a string"):
        redact(CONN, marker=1)
