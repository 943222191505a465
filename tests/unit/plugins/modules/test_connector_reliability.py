# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Reliability of mailops.smtp.connector's writes, with the real module in real processes.

The module is started as Ansible starts it on a host (python -m ...connector <args file>),
without a playbook, so that many trials stay fast:
- crash safety: kill -9 at random points during applies;
- concurrency: 20 simultaneous applies to one shared file and to one Postfix directory;
- environment faults: a full filesystem, a read-only one, a missing parent directory, a path
  that is a directory, a symlinked target.
These tests need root (to mount small tmpfs filesystems), as the integration tests do.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import pytest

from ansible_collections.mailops.smtp.plugins.module_utils import _apply, _formats
from ansible_collections.mailops.smtp.plugins.module_utils._formats import _common
from ansible_collections.mailops.smtp.tests.unit.depth import knob
from ansible_collections.mailops.smtp.tests.unit.plugins.hosts import NoHost

# The directory that holds ansible_collections/ (not resolved: the collection may be a symlink).
COLLECTIONS_ROOT = str(Path(_apply.__file__).parents[5])
MODULE = "ansible_collections.mailops.smtp.plugins.modules.connector"
# 100 in the thorough units stage (tests/run.sh sets it), 30 where the suite only repeats.
CRASH_TRIALS = knob("MAILOPS_CRASH_TRIALS", 100)
CONCURRENT = 20
PASSWORD = "Rel-S3cret pw"


def connectors(tag, count=1, auth=True):
    """count connectors whose every value says which run declared them."""
    out = []
    for i in range(count):
        conn = {"name": "%s-%d" % (tag, i), "host": "%s-%d.example.org" % (tag, i), "port": 587,
                "senders": {"default": "%s-%d@example.org" % (tag, i)},
                "description": "declared by run %s, connector %d: %s" % (tag, i, "x" * 200)}
        if auth:
            conn["auth"] = {"username": "%s-%d@example.org" % (tag, i), "password": "%s %s" % (PASSWORD, tag)}
        out.append(conn)
    return out


def start(tmp_path, **args):
    """Start the module in its own process, as Ansible does on a host; returns the Popen."""
    args.setdefault("state", "overridden")
    args.setdefault("lock_timeout", 30)
    handle, name = _args_file(tmp_path)
    with os.fdopen(handle, "w") as out:
        json.dump({"ANSIBLE_MODULE_ARGS": args}, out)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([COLLECTIONS_ROOT] + sys.path))
    return subprocess.Popen([sys.executable, "-m", MODULE, name], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=env, cwd=str(tmp_path))


def _args_file(tmp_path):
    return tempfile.mkstemp(dir=str(tmp_path), prefix="args-", suffix=".json")


def finish(proc, timeout=120):
    """The module's JSON result (with 'failed' on failure)."""
    out, err = proc.communicate(timeout=timeout)
    try:
        return json.loads(out.decode("utf-8"))
    except ValueError:
        raise AssertionError("module printed no JSON (rc=%s): %s %s" % (proc.returncode, out[-2000:], err[-2000:]))


def run(tmp_path, **args):
    return finish(start(tmp_path, **args))


def warnings_of(result):
    """The warning texts of a module result (ansible-core 2.19+ returns them as event objects)."""
    out = []
    for item in result.get("warnings", []):
        if isinstance(item, dict):
            item = (item.get("event") or {}).get("msg", item.get("msg", ""))
        out.append(item)
    return out


def temp_files(directory):
    return sorted(n for n in os.listdir(str(directory)) if n.endswith(".tmp"))


# ---------------------------------------------------------------- crash safety

def _kill_when(proc, directory, rng, duration):
    """kill -9 proc at a random point: anywhere in the run, or right when its temp file appears.

    Module start-up (Python, Ansible) is most of a run, so two trials in three wait for the
    write itself (the temp file in the directory) and kill within a few milliseconds of it.
    """
    if rng.random() < 1 / 3.0:
        time.sleep(rng.uniform(0, 1.2 * duration))
    else:
        deadline = time.monotonic() + 10 * duration + 5
        while proc.poll() is None and time.monotonic() < deadline and not temp_files(directory):
            time.sleep(0.0005)
        time.sleep(rng.uniform(0, 0.004))
    proc.kill()
    proc.communicate()


def test_kill_9_leaves_the_old_or_the_new_whole_file(tmp_path):
    """kill -9 at random points: the target is the old or the new file, the next run recovers."""
    work = tmp_path / "work"
    work.mkdir()
    target = work / "msmtprc"
    old, new = connectors("old", 30), connectors("new", 30)
    base = dict(format="msmtp", path=str(target), state="overridden", lock_timeout=3)
    started = time.monotonic()
    assert run(tmp_path, config=new, **base).get("changed") is True
    duration = time.monotonic() - started
    new_text = target.read_text()
    _apply.run(dict(base, config=old), NoHost())
    old_text = target.read_text()
    assert old_text != new_text

    seed = random.randrange(1 << 30)
    rng = random.Random(seed)
    outcomes = Counter()
    for trial in range(CRASH_TRIALS):
        where = "seed %d, trial %d" % (seed, trial)
        _apply.run(dict(base, config=old), NoHost())
        assert target.read_text() == old_text, where
        _kill_when(start(tmp_path, config=new, **base), work, rng, duration)
        text = target.read_text()
        assert text in (old_text, new_text), where
        outcomes["new" if text == new_text else "old"] += 1
        left = temp_files(work)
        outcomes["temp files left"] += bool(left)
        # The next run: no stale lock (lock_timeout 3 s), the new file, the temp file removed.
        again = _apply.run(dict(base, config=new), NoHost())
        assert target.read_text() == new_text and temp_files(work) == [], where
        if left:
            assert any("interrupted run" in w for w in again.get("warnings", [])), where
        assert PASSWORD not in json.dumps(again)
    print("crash trials: %d (seed %d): %s" % (CRASH_TRIALS, seed, dict(outcomes)))
    # Kills landed before and after the rename, and inside the write (a temp file was left).
    # Only the thorough run has enough trials to be sure every kind of kill happened.
    if CRASH_TRIALS >= 100:
        assert outcomes["old"] and outcomes["new"] and outcomes["temp files left"], dict(outcomes)


def test_a_temp_file_of_an_interrupted_run_is_removed_by_the_next(tmp_path):
    target = tmp_path / "smtp.json"
    leftover = tmp_path / ".smtp.json.k3j9x_2a.tmp"
    leftover.write_text('{"half": ')
    other = tmp_path / ".other.json.abcdefgh.tmp"  # not ours: another file's
    other.write_text("")
    result = run(tmp_path, format="json", path=str(target), config=connectors("a"))
    assert result["changed"] is True and not leftover.exists() and other.exists()
    assert warnings_of(result) == ["removed 1 temporary file(s) left by an interrupted run: %s" % leftover]


# ---------------------------------------------------------------- concurrency

def _start_all(tmp_path, configs, **args):
    procs = [start(tmp_path, config=config, **args) for config in configs]
    return [finish(proc) for proc in procs]


def _outcome(results):
    ok = [i for i, r in enumerate(results) if not r.get("failed")]
    for result in results:
        if result.get("failed"):
            assert "another run still holds the lock after" in result["msg"] and "(lock_timeout)" in result["msg"], \
                result["msg"]
    return ok


@pytest.mark.parametrize("lock_timeout", [300, 1], ids=["all-wait", "some-time-out"])
def test_simultaneous_applies_to_one_file(tmp_path, lock_timeout):
    target = tmp_path / "msmtprc"
    configs = [connectors("run%02d" % i, 2) for i in range(CONCURRENT)]
    results = _start_all(tmp_path, configs, format="msmtp", path=str(target), lock_timeout=lock_timeout)
    ok = _outcome(results)
    if lock_timeout == 300:
        assert len(ok) == CONCURRENT
    assert ok, "no run succeeded"
    parsed = _formats.parse("msmtp", target.read_text())
    winners = [i for i in ok if parsed == [_common.canonical(c) for c in configs[i]]]
    assert len(winners) == 1, "the file is not one of the inputs"
    assert target.read_text() == _formats.render("msmtp", configs[winners[0]], target.read_text())
    assert temp_files(tmp_path) == []
    print("concurrent runs to one file: %d, succeeded %d, lock timeouts %d" % (
        CONCURRENT, len(ok), CONCURRENT - len(ok)))


def test_simultaneous_applies_to_one_postfix_directory(tmp_path):
    conf = tmp_path / "postfix"
    conf.mkdir()
    (conf / "main.cf").write_text("myhostname = mx.example.org\ncompatibility_level = 3.6\n")
    configs = [connectors("pf%02d" % i, 2) for i in range(CONCURRENT)]
    results = _start_all(tmp_path, configs, format="postfix", path=str(conf), postfix_check=False, lock_timeout=300)
    ok = _outcome(results)
    assert len(ok) == CONCURRENT
    owned = _formats.FORMATS["postfix"].files(str(conf))
    files = dict((name, Path(full).read_text()) for name, full in owned.items() if os.path.exists(full))
    parsed = _formats.parse("postfix", files)
    winners = [i for i in ok if [c["name"] for c in parsed] == [c["name"] for c in configs[i]]]
    assert len(winners) == 1
    # main.cf, every table and the record all come from the same run.
    options = {"config_dir": str(conf), "map_type": "hash"}
    want = _formats.render("postfix", configs[winners[0]], files, options)
    for name, text in want.items():
        assert files.get(name) == text, name
    # The compiled table (Postfix is installed for the tests: tests/system-packages.txt) answers with
    # the winner's credentials.
    postmap = shutil.which("postmap", path=os.environ.get("PATH", "") + ":/usr/sbin:/sbin")
    assert postmap, "postmap not found: install postfix (tests/system-packages.txt)"
    assert all(r.get("postmap") or not r.get("changed") for r in results)
    relay = "[%s]:587" % configs[winners[0]][0]["host"]
    query = subprocess.run([postmap, "-c", str(conf), "-q", relay, "hash:%s/sasl_passwd" % conf],
                           capture_output=True, text=True, check=False)
    assert query.stdout.strip() == "%s:%s" % (configs[winners[0]][0]["auth"]["username"],
                                              configs[winners[0]][0]["auth"]["password"])
    assert temp_files(conf) == []


# ---------------------------------------------------------------- environment faults

@pytest.fixture
def small_fs(tmp_path):
    """A 256 KiB tmpfs of its own (needs root)."""
    mount = tmp_path / "fs"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k,mode=0755", "tmpfs", str(mount)],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, "these tests mount a tmpfs and need root: %s" % done.stderr
    yield mount
    subprocess.run(["umount", "-l", str(mount)], capture_output=True, check=False)


def _failed_naming(result, path, reason):
    assert result.get("failed") is True, result
    assert str(path) in result["msg"] and reason in result["msg"], result["msg"]
    assert "Traceback" not in json.dumps(result) and PASSWORD not in json.dumps(result)


def test_full_filesystem_keeps_the_old_file(tmp_path, small_fs):
    target = small_fs / "smtp.json"
    assert run(tmp_path, format="json", path=str(target), config=connectors("old")).get("changed") is True
    old_text = target.read_text()
    filler = os.open(str(small_fs / "filler"), os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        while os.write(filler, b"\0" * 4096):
            pass
    except OSError as exc:
        assert exc.errno == 28  # ENOSPC: the filesystem is full now
    finally:
        os.close(filler)
    result = run(tmp_path, format="json", path=str(target), config=connectors("new", 20))
    _failed_naming(result, target, "No space left on device")
    assert target.read_text() == old_text and temp_files(small_fs) == []


def test_read_only_filesystem_keeps_the_old_file(tmp_path, small_fs):
    target = small_fs / "msmtprc"
    assert run(tmp_path, format="msmtp", path=str(target), config=connectors("old")).get("changed") is True
    old_text = target.read_text()
    subprocess.run(["mount", "-o", "remount,ro", str(small_fs)], check=True)
    result = run(tmp_path, format="msmtp", path=str(target), config=connectors("new"))
    _failed_naming(result, target, "Read-only file system")
    assert target.read_text() == old_text


def test_missing_parent_directory_is_named_and_nothing_is_created(tmp_path):
    target = tmp_path / "missing" / "deeper" / "smtp.env"
    result = run(tmp_path, format="env", path=str(target), config=connectors("new"))
    _failed_naming(result, target.parent, "directory does not exist")
    assert not (tmp_path / "missing").exists()


def test_a_path_that_is_a_directory_is_named_and_kept(tmp_path):
    target = tmp_path / "smtp.yml"
    target.mkdir()
    (target / "inside").write_text("kept")
    result = run(tmp_path, format="yaml", path=str(target), config=connectors("new"))
    _failed_naming(result, target, "is a directory")
    assert target.is_dir() and (target / "inside").read_text() == "kept"


def test_a_symlinked_target_is_followed_and_the_link_kept(tmp_path):
    # Decision (docs/formats.md): the file the program reads through the link is replaced
    # atomically, in the link target's directory; the link stays a link.
    real_dir, link_dir = tmp_path / "real", tmp_path / "etc"
    real_dir.mkdir()
    link_dir.mkdir()
    real = real_dir / "app.env"
    real.write_text("OTHER_SETTING=1\n")
    link = link_dir / "app.env"
    link.symlink_to(os.path.relpath(str(real), str(link_dir)))
    first = run(tmp_path, format="env", path=str(link), config=connectors("new"))
    assert first.get("changed") is True, first
    assert link.is_symlink() and os.readlink(str(link)) == "../real/app.env"
    assert "new-0.example.org" in real.read_text() and "OTHER_SETTING=1" in real.read_text()
    assert stat_mode(real) == 0o600 and temp_files(real_dir) == [] and temp_files(link_dir) == []
    assert run(tmp_path, format="env", path=str(link), config=connectors("new")).get("changed") is False
    # A link to a file that does not exist yet: the file is created where the link points.
    (link_dir / "dangling.json").symlink_to("../real/later.json")
    assert run(tmp_path, format="json", path=str(link_dir / "dangling.json"), config=connectors("a"))["changed"]
    assert (link_dir / "dangling.json").is_symlink() and (real_dir / "later.json").is_file()


def stat_mode(path):
    return os.stat(str(path)).st_mode & 0o7777
