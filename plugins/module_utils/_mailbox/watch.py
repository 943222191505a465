# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Wait for tokened probes (or bounces of them) in one mailbox, then delete only the collection's own.

Private to the collection: may change without notice. One Watcher per mailbox serves every
connector that uses it: one IMAP connection, one search per folder and poll, whatever the number
of probes awaited. Blocking imaplib calls run in a thread pool; polls back off from a quarter
second to two seconds. (imaplib has no IDLE before Python 3.14, and a poll this short costs the
server one SEARCH.)
"""

from __future__ import annotations

import asyncio
import time

from ansible_collections.mailops.smtp.plugins.module_utils._mailbox.imap import PROBE_HEADER, MailboxError, Session
from ansible_collections.mailops.smtp.plugins.module_utils._verdict import dsn as _dsn

FIRST_PAUSE = 0.25
MAX_PAUSE = 2.0
PROBES = "probes"
BOUNCES = "bounces"


def mailbox_key(mailbox):
    """Identity of a mailbox: connectors that share it share one watcher (and one connection)."""
    tls = mailbox.get("tls") or {}
    return (str(mailbox.get("host")), mailbox.get("port"), mailbox.get("security") or "imaps",
            mailbox.get("username"), mailbox.get("password"), tls.get("verify", True), tls.get("ca_file"),
            tuple(mailbox.get("folders") or ()))


class Watcher:
    """Find probes (kind PROBES, by header) or their DSNs (kind BOUNCES, by the header quoted in the body)."""

    def __init__(self, mailbox, kind, deadline, executor, timeout=30.0):
        self.mailbox = mailbox
        self.kind = kind
        self.deadline = deadline          # time.monotonic() value
        self.executor = executor
        self.session = Session(mailbox, timeout=min(timeout, 30.0))
        self.pending = {}                 # token -> Future
        self.found = {}                   # token -> arrival dict
        self.seen = {}                    # (folder, uid) -> token or None (not ours / not a DSN of ours)
        self.seen_reports = {}            # (folder, uid) -> parsed DSN (bounce watchers)
        self.folders = []
        self.error = None
        self.closing = False
        self.wake = asyncio.Event()
        self.task = None
        self.polls = 0

    async def _io(self, func, *args):
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.executor, func, *args)

    def expect(self, token):
        """A future resolved with the arrival dict for token, or with None at the deadline."""
        future = asyncio.get_running_loop().create_future()
        if self.error is not None:
            future.set_result({"error": self.error})
        elif token in self.found:
            future.set_result(self.found[token])
        else:
            self.pending[token] = future
            self.wake.set()
        return future

    def forget(self, token):
        future = self.pending.pop(token, None)
        if future is not None and not future.done():
            future.set_result(None)

    def finish(self):
        """No more tokens will be expected: stop once the pending ones are resolved."""
        self.closing = True
        self.wake.set()

    def start(self):
        self.task = asyncio.ensure_future(self._run())
        return self.task

    async def _run(self):
        try:
            await self._io(self.session.open)
            self.folders = await self._io(self.session.folders, self.mailbox.get("folders") or [])
        except MailboxError as exc:
            self._fail(exc)
            return
        pause = FIRST_PAUSE
        while True:
            if self.pending:
                try:
                    hits = await self._io(self._poll)
                except MailboxError as exc:
                    self._fail(exc)
                    return
                self.polls += 1
                for token, arrival in hits.items():
                    self.found[token] = arrival
                    future = self.pending.pop(token, None)
                    if future is not None and not future.done():
                        future.set_result(arrival)
                if hits:
                    pause = FIRST_PAUSE
            if self.closing and not self.pending:
                return
            left = self.deadline - time.monotonic()
            if left <= 0:
                for future in self.pending.values():
                    if not future.done():
                        future.set_result(None)
                self.pending = {}
                if self.closing:
                    return
                # Nothing more can arrive in time; wait for finish() (cleanup still needs the session).
                await self.wake.wait()
                self.wake.clear()
                continue
            self.wake.clear()
            wait = min(pause, left) if self.pending else left
            try:
                await asyncio.wait_for(self.wake.wait(), wait)
            except asyncio.TimeoutError:
                pass
            pause = min(pause * 1.5, MAX_PAUSE)

    def _fail(self, exc):
        self.error = {"category": exc.category, "message": str(exc), "hint": exc.hint}
        for future in self.pending.values():
            if not future.done():
                future.set_result({"error": self.error})
        self.pending = {}

    # --- blocking part, run in the executor ---

    def _poll(self):
        """One pass over the folders: {token: arrival} for awaited tokens found now."""
        hits = {}
        wanted = set(self.pending)
        for folder, junk in self.folders:
            self.session.select(folder)
            if self.kind == PROBES:
                uids = self.session.probe_uids()
            else:
                uids = self.session.text_uids(PROBE_HEADER)
            # A probe can land before its connector asks for it (the relay delivers while the
            # sending side is still closing its session): look again at what was seen for a token
            # that is now awaited.
            new = [u for u in uids if (folder, u) not in self.seen or self.seen[(folder, u)] in wanted]
            if not new:
                continue
            if self.kind == PROBES:
                values = self.session.fetch_headers(new)
                for uid in new:
                    token = _dsn.probe_token(values.get(uid))
                    self.seen[(folder, uid)] = token
                    if token in wanted and token not in hits:
                        raw, internal = self.session.fetch_message(uid)
                        hits[token] = {"folder": folder, "junk": junk, "uid": uid, "message": raw,
                                       "internaldate": internal, "found_at": time.time()}
            else:
                for uid in new:
                    raw, internal = self.session.fetch_message(uid)
                    report = _dsn.parse(raw) if raw else None
                    self.seen[(folder, uid)] = report["token"] if report else None
                    self.seen_reports[(folder, uid)] = report
                    if report and report["token"] in wanted and report["token"] not in hits:
                        hits[report["token"]] = {"folder": folder, "junk": junk, "uid": uid, "report": report,
                                                 "internaldate": internal, "found_at": time.time()}
        return hits

    def cleanup_sync(self, own_tokens, now):
        """Delete own probes (or DSNs of them) and stale ones whose run's deadline has passed.

        Returns {deleted, stale, expunge}. Messages that are not probes of this collection (or DSNs
        quoting one) are never touched.
        """
        deleted = stale = 0
        how = set()
        for folder, _junk in self.folders:
            self.session.select(folder)
            if self.kind == PROBES:
                uids = self.session.probe_uids()
                values = self.session.fetch_headers(uids)
                fields = dict((uid, _dsn.probe_fields(values.get(uid))) for uid in uids)
            else:
                uids = self.session.text_uids(PROBE_HEADER)
                fields = {}
                for uid in uids:
                    report = self.seen_reports.get((folder, uid))
                    if report is None:
                        raw, _internal = self.session.fetch_message(uid)
                        report = _dsn.parse(raw) if raw else None
                    if report:
                        fields[uid] = {"token": report["token"], "expires": str(report.get("expires") or "")}
            mine, old = [], []
            for uid, item in fields.items():
                token = _dsn.probe_token("token=%s" % item.get("token", "")) if item.get("token") else None
                if token is None:
                    continue
                expires = item.get("expires", "")
                if token in own_tokens:
                    mine.append(uid)
                elif expires.isdigit() and int(expires) < now:
                    old.append(uid)
            if mine or old:
                how.add(self.session.delete(folder, mine + old))
                deleted += len(mine)
                stale += len(old)
        return {"deleted": deleted, "stale": stale, "expunge": sorted(h for h in how if h)[0] if how else None}

    async def cleanup(self, own_tokens):
        if self.error is not None or self.session.imap is None:
            return None
        try:
            return await self._io(self.cleanup_sync, set(own_tokens), int(time.time()))
        except MailboxError as exc:
            return {"error": str(exc)}

    async def close(self):
        self.finish()
        if self.task is not None:
            try:
                await self.task
            except Exception:  # pylint: disable=broad-except
                pass
        await self._io(self.session.close)
