# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""One IMAP session (standard library imaplib): folders by SPECIAL-USE, probe search, fetch, delete own UIDs.

Private to the collection: may change without notice. Blocking calls; the watcher runs them in
threads. Every error leaves as MailboxError with a category and a hint, its text free of the
password (the caller scrubs once more).

imaplib is enough: the reader needs LOGIN, LIST, SELECT, UID SEARCH/FETCH/STORE/EXPUNGE, all of
which it has, with TLS from the ssl module the SMTP engine uses too; a third-party client would
add a dependency without adding a capability the check needs.
"""

from __future__ import annotations

import imaplib
import re
import socket
import ssl

from ansible_collections.mailops.smtp.plugins.module_utils._smtp import policy

PROBE_HEADER = "X-Mailops-Probe"
DEFAULT_PORTS = {"imaps": 993, "starttls": 143}
_LIST_LINE = re.compile(r'^\((?P<flags>[^)]*)\)\s+(?P<delim>"(?:[^"\\]|\\.)*"|NIL)\s+(?P<name>.+)$', re.IGNORECASE)


class MailboxError(Exception):
    """A mailbox cannot be read. category: connection, tls_certificate, starttls_unavailable, auth, folder, protocol."""

    def __init__(self, category, message, hint):
        super().__init__(message)
        self.category = category
        self.hint = hint


def settings(mailbox):
    """The mailbox block of the model with defaults applied (port by security)."""
    security = mailbox.get("security") or "imaps"
    tls = mailbox.get("tls") or {}
    return {
        "host": str(mailbox["host"]).strip("[]"),
        "port": int(mailbox.get("port") or DEFAULT_PORTS[security]),
        "security": security,
        "username": mailbox["username"],
        "password": mailbox["password"],
        "verify": tls.get("verify", True) is not False,
        "ca_file": tls.get("ca_file"),
        "folders": list(mailbox.get("folders") or []),
    }


def _text(value):
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def quote(name):
    """An IMAP quoted string (folder names with spaces, such as "Bulk Mail")."""
    return '"%s"' % name.replace("\\", "\\\\").replace('"', '\\"')


def _unquote(text):
    text = text.strip()
    if text.startswith('"') and text.endswith('"') and len(text) >= 2:
        return re.sub(r'\\(.)', r'\1', text[1:-1])
    return text


def parse_list(lines):
    """LIST response lines -> [(name, [flags])]; literals arrive from imaplib as (prefix, name) tuples."""
    out = []
    for line in lines or []:
        if line is None:
            continue
        if isinstance(line, tuple):
            prefix, literal = line[0], line[1]
            text = _text(prefix)
            match = re.match(r'^\((?P<flags>[^)]*)\)', text)
            flags = match.group("flags").split() if match else []
            out.append((_text(literal), flags))
            continue
        match = _LIST_LINE.match(_text(line))
        if not match:
            continue
        out.append((_unquote(match.group("name")), match.group("flags").split()))
    return out


class Session:
    """One logged-in IMAP connection."""

    def __init__(self, mailbox, timeout=30.0):
        self.cfg = settings(mailbox)
        self.timeout = float(timeout)
        self.imap = None
        self.capabilities = set()
        self.selected = None

    def _fail(self, category, message, hint):
        raise MailboxError(category, message, hint)

    def open(self):
        cfg = self.cfg
        where = "%s:%d" % (cfg["host"], cfg["port"])
        # The same verification as every SMTP link of the collection (tls.verify, tls.ca_file, TLS 1.2+).
        ctx = policy.tls_context({"tls": {"verify": cfg["verify"], "ca_file": cfg["ca_file"]}})
        try:
            if cfg["security"] == "imaps":
                self.imap = imaplib.IMAP4_SSL(cfg["host"], cfg["port"], ssl_context=ctx, timeout=self.timeout)
            else:
                self.imap = imaplib.IMAP4(cfg["host"], cfg["port"], timeout=self.timeout)
                if "STARTTLS" not in self.imap.capabilities:
                    self.close()
                    self._fail("starttls_unavailable", "the IMAP server at %s does not offer STARTTLS" % where,
                               "The mailbox's security is starttls but the server does not offer it, so the login was "
                               "not sent. Use security: imaps (port 993) or enable TLS on the server.")
                self.imap.starttls(ssl_context=ctx)
        except ssl.SSLCertVerificationError as exc:
            self._fail("tls_certificate", "IMAP certificate of %s not accepted: %s" % (where, exc.verify_message),
                       "The IMAP server's certificate does not verify: set test.mailbox.tls.ca_file to its CA, or fix "
                       "the certificate (name %s, chain, expiry)." % cfg["host"])
        except (ssl.SSLError, imaplib.IMAP4.abort) as exc:
            self._fail("connection", "TLS with the IMAP server at %s failed: %s" % (where, exc),
                       "Check test.mailbox.security and port: imaps speaks TLS at once (993), starttls upgrades (143).")
        except (socket.timeout, TimeoutError):
            self._fail("connection", "the IMAP server at %s did not answer within %gs" % (where, self.timeout),
                       "Check test.mailbox.host and port, and that a firewall lets the task reach them.")
        except OSError as exc:
            self._fail("connection", "cannot connect to the IMAP server at %s: %s" % (where, exc.strerror or exc),
                       "Check test.mailbox.host and port, and that the IMAP server runs.")
        except imaplib.IMAP4.error as exc:
            self._fail("protocol", "the IMAP server at %s answered unexpectedly: %s" % (where, exc),
                       "Check that test.mailbox points at an IMAP server.")
        try:
            self.imap.login(cfg["username"], cfg["password"])
        except (OSError, imaplib.IMAP4.abort) as exc:
            self.close()
            self._fail("connection", "the IMAP connection broke during login: %s" % exc,
                       "Retry; if it persists, check the IMAP server's logs.")
        except imaplib.IMAP4.error as exc:
            self.close()
            self._fail("auth", "IMAP login as %s refused: %s" % (cfg["username"], _text(exc)),
                       "Check test.mailbox.username and test.mailbox.password (an app password where the provider "
                       "requires one).")
        self.capabilities = set(c.upper() for c in self.imap.capabilities)
        try:
            typ, data = self.imap.capability()
            if typ == "OK" and data and data[0]:
                self.capabilities = set(_text(data[0]).upper().split())
        except imaplib.IMAP4.error:
            pass

    def _call(self, what, *args):
        try:
            typ, data = getattr(self.imap, what)(*args)
        except (imaplib.IMAP4.abort, OSError) as exc:
            raise MailboxError("connection", "IMAP %s failed: %s" % (what.upper(), exc),
                               "The IMAP connection broke; retry the task.") from None
        except imaplib.IMAP4.error as exc:
            raise MailboxError("protocol", "IMAP %s refused: %s" % (what.upper(), _text(exc)),
                               "The server refused a command the check needs.") from None
        return typ, data

    def folders(self, extra=()):
        """[(folder, junk)] to search: INBOX, every folder marked \\Junk, then the declared extra folders."""
        typ, data = (None, None)
        if "SPECIAL-USE" in self.capabilities or "LIST-EXTENDED" in self.capabilities:
            typ, data = self._call("_simple_command", "LIST", "(SPECIAL-USE)", '""', '"*"')
            if typ == "OK":
                typ, data = self.imap._untagged_response(typ, data, "LIST")
        if typ != "OK":
            typ, data = self._call("list", '""', '"*"')
        listed = parse_list(data if typ == "OK" else [])
        junk = [name for name, flags in listed if "\\junk" in [f.lower() for f in flags]]
        names = set(name for name, _flags in listed)
        out = [("INBOX", False)] + [(name, True) for name in junk if name.upper() != "INBOX"]
        for name in extra:
            if name not in names and name.upper() != "INBOX":
                raise MailboxError("folder", "folder %r does not exist in the mailbox" % name,
                                   "Fix test.mailbox.folders: the server lists %s." % ", ".join(sorted(names)))
            if name not in [f for f, _j in out]:
                out.append((name, name in junk))
        return out

    def select(self, folder, readonly=True):
        key = (folder, readonly)
        if self.selected == key:
            # A NOOP lets the server report new messages in the selected folder.
            self._call("noop")
            return
        typ, data = self._call("select", quote(folder), readonly)
        if typ != "OK":
            raise MailboxError("folder", "cannot open folder %r: %s" % (folder, _text(data[0]) if data else typ),
                               "Check test.mailbox.folders and the account's rights on that folder.")
        self.selected = key

    def search(self, *criteria):
        typ, data = self._call("uid", "SEARCH", *criteria)
        if typ != "OK" or not data or not data[0]:
            return []
        return [int(x) for x in _text(data[0]).split()]

    def probe_uids(self):
        """UIDs of messages in the selected folder that carry the probe header (any token)."""
        return self.search("HEADER", PROBE_HEADER, '""')

    def text_uids(self, needle):
        """UIDs of messages whose text contains needle (bounces quote the probe's header in their body).

        TEXT, not BODY: a DSN returns the probe as a message/rfc822 part, and Dovecot counts that
        part's header lines as headers, which BODY does not search.
        """
        return self.search("TEXT", quote(needle))

    def fetch_headers(self, uids, field=PROBE_HEADER):
        """{uid: header value} of one header field for each uid."""
        if not uids:
            return {}
        typ, data = self._call("uid", "FETCH", ",".join(str(u) for u in uids),
                               "(UID BODY.PEEK[HEADER.FIELDS (%s)])" % field)
        out = {}
        for item in data or []:
            if not isinstance(item, tuple):
                continue
            match = re.search(r"UID (\d+)", _text(item[0]))
            if match:
                value = _text(item[1])
                out[int(match.group(1))] = " ".join(value.split(":", 1)[-1].split()) if ":" in value else ""
        return out

    def fetch_message(self, uid):
        """(raw bytes, INTERNALDATE text) of one message, without setting \\Seen."""
        typ, data = self._call("uid", "FETCH", str(uid), "(UID INTERNALDATE BODY.PEEK[])")
        for item in data or []:
            if isinstance(item, tuple):
                match = re.search(r'INTERNALDATE "([^"]+)"', _text(item[0]))
                return item[1], match.group(1) if match else None
        return None, None

    def delete(self, folder, uids):
        """Flag uids \\Deleted and expunge exactly them. Returns how ('uid_expunge', 'expunge' or 'flagged')."""
        if not uids:
            return None
        self.select(folder, readonly=False)
        uid_set = ",".join(str(u) for u in sorted(uids))
        self._call("uid", "STORE", uid_set, "+FLAGS.SILENT", "(\\Deleted)")
        if "UIDPLUS" in self.capabilities:
            self._call("uid", "EXPUNGE", uid_set)
            return "uid_expunge"
        # Without UIDPLUS, EXPUNGE removes every \Deleted message: only do it when all of them are ours.
        flagged = set(self.search("DELETED"))
        if flagged <= set(uids):
            self._call("expunge")
            return "expunge"
        return "flagged"

    def close(self):
        if self.imap is None:
            return
        try:
            self.imap.logout()
        except Exception:  # pylint: disable=broad-except
            try:
                self.imap.shutdown()
            except Exception:  # pylint: disable=broad-except
                pass
        self.imap = None
        self.selected = None
