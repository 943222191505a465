# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""One read of a format's files on the target, in a single command: text, mode, owner and group.

The connector action plugin uses it to tell a run that would change nothing without starting
the module: a module run costs a Python start, Ansible's module wrapper and its imports on every
host, where this costs one short command. The command runs the target's Python with the small
program below (no module wrapper, no files left behind) and prints JSON. It reads exactly what
the module reads (each file as bytes, os.stat of each file, the temporary files an interrupted
run may have left, the owner and group options looked up on the target) and decides nothing:
the controller decides with the module's own code (_apply.decide). Any surprise (an unreadable
file, a user that does not exist, an interpreter that fails) means: run the module, which then
reports or does what it always did.
"""

from __future__ import annotations

import base64
import json
import shlex

# Helpers both target programs share (this reader and _file_create). path_info(p): what
# ansible-core's AnsibleModule adds to a result that names a path (add_path_info); the module's
# result has it, so a result decided without the module must have it too. On a host with SELinux
# on, that includes the file's context: there the module runs instead. stale(q): whether a temporary
# file that a run writing q left (the module's name pattern, _apply.remove_stale_temps) is there.
TARGET_HELPERS = r'''
import grp, os, pwd, re, stat
def path_info(p):
    if os.path.isdir("/sys/fs/selinux") and os.listdir("/sys/fs/selinux"):
        return "selinux"
    if not os.path.exists(p):
        return {}
    s = os.lstat(p)
    f = os.stat(p)
    try:
        u = pwd.getpwuid(f.st_uid)[0]
    except KeyError:
        u = str(f.st_uid)
    try:
        g = grp.getgrgid(f.st_gid)[0]
    except KeyError:
        g = str(f.st_gid)
    k = "link" if os.path.islink(p) else "directory" if os.path.isdir(p) else "hard" if f.st_nlink > 1 else "file"
    return {"uid": f.st_uid, "gid": f.st_gid, "owner": u, "group": g, "mode": "0%03o" % stat.S_IMODE(s.st_mode),
            "state": k, "size": s.st_size}
def stale(q):
    t = re.compile("^" + re.escape("." + os.path.basename(q) + ".") + "[A-Za-z0-9_]{8}[.]tmp$")
    return any(t.match(n) for n in os.listdir(os.path.dirname(q) or "."))
'''

# Runs on the target (Python 3.6 and later, standard library only). argv[1]: base64 of
# {"files": [absolute paths], "path": the task's path, "owner": str or null, "group": str or null}.
PROGRAM = TARGET_HELPERS + r'''
import base64, errno, json, sys
a = json.loads(base64.b64decode(sys.argv[1]).decode("utf-8"))
out = {"files": {}, "stale": False, "ids": [-1, -1], "path_info": path_info(a["path"])}
for p in a["files"]:
    try:
        with open(p, "rb") as h:
            d = h.read()
        s = os.stat(p)
        out["files"][p] = [stat.S_IMODE(s.st_mode), s.st_uid, s.st_gid, base64.b64encode(d).decode("ascii")]
    except OSError as e:
        out["files"][p] = None if e.errno == errno.ENOENT else e.errno
    try:
        out["stale"] = out["stale"] or stale(os.path.realpath(p) if os.path.islink(p) else p)
    except OSError:
        pass
try:
    o, g = a["owner"], a["group"]
    out["ids"] = [(int(o) if o.isdigit() else pwd.getpwnam(o).pw_uid) if o else -1,
                  (int(g) if g.isdigit() else grp.getgrnam(g).gr_gid) if g else -1]
except KeyError:
    out["ids"] = None
sys.stdout.write(json.dumps(out))
'''


def python_command(interpreter, program, *args):
    """The shell command (POSIX sh) that runs program with interpreter (a path, or a command such as
    '/usr/bin/env python3', as ansible_python_interpreter may name it) and args."""
    words = shlex.split(interpreter) + ["-c", program] + list(args)
    return " ".join(shlex.quote(word) for word in words)


class Unreadable(Exception):
    """The read gave no usable answer: the module decides."""


def command(interpreter, paths, owner=None, group=None, path=None):
    """The shell command that reads paths on the target with interpreter (python_command); path: the
    task's path, whose facts (path_info) the module's result would carry (default: the first of paths)."""
    request = json.dumps({"files": list(paths), "path": path or list(paths)[0], "owner": owner, "group": group})
    return python_command(interpreter, PROGRAM, base64.b64encode(request.encode("utf-8")).decode("ascii"))


def path_facts(info):
    """The facts of the task's path as the program reported them (path_info in TARGET_HELPERS), or Unreadable."""
    if info == "selinux":
        raise Unreadable("SELinux is on: the module reports the file's context")
    if not isinstance(info, dict):
        raise Unreadable("not the program's path facts")
    return info


def parse(stdout, paths):
    """(texts, stats, ids, path facts) from the command's output.

    texts: {path: str or None (absent)}; stats: {path: (mode, uid, gid)} of the files that exist;
    ids: the (uid, gid) of the owner and group options; path facts: what ansible-core adds to a
    module's result about the task's path (path_facts). Raises Unreadable when the module must
    decide instead: the output is not the program's, a file could not be read or is not UTF-8
    (the module reports it), a temporary file of an interrupted run is there (the module removes
    it), or the owner or group does not exist on the target (the module reports it).
    """
    try:
        data = json.loads(stdout)
        files = data["files"]
        stale, ids = data["stale"], data["ids"]
        info = path_facts(data["path_info"])
    except (ValueError, TypeError, KeyError):
        raise Unreadable("not the reader's output") from None
    if stale is not False:
        raise Unreadable("a temporary file of an interrupted run is there")
    if not (isinstance(ids, list) and len(ids) == 2 and all(isinstance(i, int) for i in ids)):
        raise Unreadable("the owner or group is not known on the target")
    texts, stats = {}, {}
    for path in paths:
        entry = files.get(path, 0) if isinstance(files, dict) else 0
        if entry is None:
            texts[path] = None
            continue
        if not (isinstance(entry, list) and len(entry) == 4):
            raise Unreadable("a file cannot be read")
        try:
            texts[path] = base64.b64decode(entry[3]).decode("utf-8")
        except (ValueError, TypeError, UnicodeDecodeError):
            raise Unreadable("a file is not UTF-8 text") from None
        stats[path] = (entry[0], entry[1], entry[2])
    return texts, stats, (ids[0], ids[1]), info
