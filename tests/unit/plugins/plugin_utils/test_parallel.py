# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Validation in parts over forked children gives validate_connectors' result, finding for finding."""

from __future__ import annotations

import gc
import os

import pytest

from ansible_collections.mailops.smtp.plugins.module_utils._format_rules import list_findings, validate_connectors
from ansible_collections.mailops.smtp.plugins.module_utils._validate import connector_findings
from ansible_collections.mailops.smtp.plugins.plugin_utils import _parallel


def _connectors(count):
    conns = []
    for index in range(count):
        conn = {"name": "c%d" % (index % 40), "host": "smtp.example.org", "port": (587, 465, 25)[index % 3],
                "security": ("starttls", "tls", "starttls")[index % 3],
                "senders": {"default": "app%d@example.org" % index}}
        if index % 7 == 0:
            conn["port"] = 70000
        if index % 11 == 0:
            conn["timeout"] = "soon"
        conns.append(conn)
    conns.append("not a mapping")
    return conns


def test_parts_in_children_give_the_same_report():
    conns = _connectors(120)
    shares = [range(0, 50), range(50, 100), range(100, len(conns))]
    parts = _parallel.map_shares(lambda share: (os.getpid(), connector_findings(conns, share, ["example.org"])),
                                 shares)
    assert len(set(pid for pid, _findings in parts)) == 3  # really three processes
    merged = list_findings(conns, [f for _pid, findings in parts for f in findings], "msmtp")
    expected = validate_connectors(conns, ["example.org"], "msmtp")
    assert len(expected["errors"]) > 20
    assert merged == expected


def test_a_failing_child_share_is_computed_here():
    parent = os.getpid()

    def square_or_die(share):
        if os.getpid() != parent and share == [3]:
            os._exit(3)  # pylint: disable=protected-access
        return [x * x for x in share]

    assert _parallel.map_shares(square_or_die, [[1, 2], [3], [4]]) == [[1, 4], [9], [16]]


def test_the_collector_is_paused_for_the_block_and_runs_again_after_it():
    assert gc.isenabled()
    with _parallel.collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled()
    with pytest.raises(ValueError), _parallel.collector_paused():
        raise ValueError("a failing block")
    assert gc.isenabled()


def test_a_collector_paused_by_someone_else_stays_paused():
    gc.disable()
    try:
        with _parallel.collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()
