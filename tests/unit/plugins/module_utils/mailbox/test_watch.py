# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The watcher's pass over a folder, with a scripted IMAP session in place of a server."""

from __future__ import annotations

import time

from ansible_collections.mailops.smtp.plugins.module_utils._mailbox import watch

TOKEN = "0123456789abcdef0123456789abcdef"
OTHER = "fedcba9876543210fedcba9876543210"


class ScriptedSession:
    """INBOX holds probes by uid; records which uids were fetched."""

    def __init__(self, probes):
        self.probes = probes  # uid -> token
        self.fetched = []

    def select(self, folder):
        self.folder = folder

    def probe_uids(self):
        return sorted(self.probes)

    def fetch_headers(self, uids):
        return dict((uid, "token=%s; connector=c; expires=1" % self.probes[uid]) for uid in uids)

    def fetch_message(self, uid):
        self.fetched.append(uid)
        return b"X-Mailops-Probe: token=%s\r\n\r\nbody\r\n" % self.probes[uid].encode(), "27-Nov-2026 11:00:00 +0000"


def watcher(session):
    mailbox = {"host": "127.0.0.1", "port": 993, "username": "probe", "password": "x"}
    out = watch.Watcher(mailbox, watch.PROBES, time.monotonic() + 30, executor=None)
    out.session = session
    out.folders = [("INBOX", False)]
    return out


def test_a_probe_seen_before_it_is_awaited_is_found_once_awaited():
    # The relay delivers while the sending side is still closing its session: another
    # connector's poll sees the probe before its own connector awaits it.
    session = ScriptedSession({7: TOKEN, 8: OTHER})
    w = watcher(session)
    w.pending = {OTHER: None}
    first = w._poll()
    assert list(first) == [OTHER]
    w.pending = {TOKEN: None}
    second = w._poll()
    assert list(second) == [TOKEN]
    assert second[TOKEN]["uid"] == 7 and second[TOKEN]["folder"] == "INBOX"


def test_messages_of_tokens_nobody_awaits_are_not_fetched_again():
    session = ScriptedSession({7: TOKEN})
    w = watcher(session)
    w.pending = {OTHER: None}
    assert w._poll() == {}
    assert w._poll() == {}
    assert session.fetched == []
