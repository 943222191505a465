# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A first apply in one short command: create a format's files that one read (_file_read) found absent.

The connector action plugin uses it when _apply.decide, on what the read returned, plans nothing but
new files. The module would take the directory lock, find the same absent files, and write each one
to a temporary file that it renames into place; this program does exactly that, with the target's
Python and the standard library, and no module wrapper. The files' bytes, modes and owners are the
ones decide planned: the module's own code chose them on the controller.

Under the lock it first looks again: if any file now exists, or a temporary file of an interrupted
run is there, it writes nothing and the module runs, as it always did. A failure while writing
removes every file this run created, so nothing half-written is left, and the module then runs and
reports in its own words.

The files' contents (they hold passwords) go on the command's standard input, never on its command
line: -vvv prints the command, and other users of the target can read command lines.
"""

from __future__ import annotations

import base64
import json

from ansible_collections.mailops.smtp.plugins.plugin_utils import _file_read

# Runs on the target (Python 3.6 and later, standard library only). Standard input: JSON
# {"lock": directory, "timeout": seconds, "path": the task's path,
#  "files": [[absolute path, mode, uid, gid, base64 bytes]]}.
# Prints {"created": true, "path_info": the task's path as ansible-core describes it (_file_read.TARGET_HELPERS)}
# or {"created": false, "why": text without file contents}.
PROGRAM = _file_read.TARGET_HELPERS + r'''
import base64, errno, fcntl, json, sys, tempfile, time
a = json.loads(sys.stdin.buffer.read().decode("utf-8"))
def say(created, why=""):
    sys.stdout.write(json.dumps({"created": created, "why": why,
                                 "path_info": path_info(a["path"]) if created else None}))
try:
    lock = os.open(a["lock"], os.O_RDONLY)
except OSError as e:
    say(False, "lock directory: %s" % e.strerror)
    sys.exit(0)
deadline = time.time() + max(0, a["timeout"])
while True:
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        break
    except OSError as e:
        if e.errno not in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK) or time.time() >= deadline:
            say(False, "lock: %s" % e.strerror)
            sys.exit(0)
        time.sleep(0.05)
made = []
try:
    for p, m, u, g, d in a["files"]:
        if os.path.lexists(p) or stale(p):
            raise LookupError("changed since the read")
    for p, m, u, g, d in a["files"]:
        h, tmp = tempfile.mkstemp(dir=os.path.dirname(p) or ".", prefix="." + os.path.basename(p) + ".", suffix=".tmp")
        try:
            with os.fdopen(h, "wb") as f:
                f.write(base64.b64decode(d))
                f.flush()
                os.fsync(f.fileno())
            os.chmod(tmp, m)
            if u != -1 or g != -1:
                os.chown(tmp, u, g)
            if os.path.lexists(p):
                raise LookupError("changed since the read")
            os.rename(tmp, p)
            tmp = None
            made.append(p)
        finally:
            if tmp and os.path.exists(tmp):
                os.unlink(tmp)
    for q in sorted(set(os.path.dirname(p) or "." for p in made)):
        h = os.open(q, os.O_RDONLY)
        try:
            os.fsync(h)
        except OSError:
            pass
        os.close(h)
    say(True)
except Exception as e:
    for p in reversed(made):
        try:
            os.unlink(p)
        except OSError:
            pass
    say(False, "%s: %s" % (type(e).__name__, getattr(e, "strerror", None) or e))
finally:
    fcntl.flock(lock, fcntl.LOCK_UN)
    os.close(lock)
'''


def command(interpreter):
    """The shell command (POSIX sh) that runs the program with interpreter (_file_read.python_command)."""
    return _file_read.python_command(interpreter, PROGRAM)


def request(lock, timeout, changes, path=None):
    """The program's standard input (bytes) for the planned changes of _apply.decide (create and unchanged);
    path: the task's path, described after the run (default: the first file)."""
    files = [[c["path"], c["mode"], c["uid"], c["gid"], base64.b64encode(c["text"].encode("utf-8")).decode("ascii")]
             for c in changes if c["action"] == "create"]
    return json.dumps({"lock": lock, "timeout": timeout, "path": path or changes[0]["path"],
                       "files": files}).encode("utf-8")


def created(stdout):
    """(path facts, "") when the program created every file (the facts ansible-core adds about the task's
    path, _file_read.path_facts), else (None, why)."""
    try:
        data = json.loads(stdout)
        if data["created"] is not True:
            return None, str(data.get("why") or "")
        return _file_read.path_facts(data["path_info"]), ""
    except (ValueError, TypeError, KeyError, _file_read.Unreadable):
        return None, "not the program's output"
