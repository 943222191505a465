# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""test_send's memory: connector fingerprints of the last successful test, in a local 0600 file.

Private to the collection: may change without notice. Secrets enter a fingerprint only as
an HMAC under a random local key kept in its own 0600 file, so the state file reveals
neither the secret nor an unsalted hash of it.
"""

from __future__ import annotations

import contextlib
import copy
import errno
import hashlib
import json
import os
import secrets as _random
import tempfile

try:
    import fcntl
    HAS_FCNTL = True
except ImportError:  # pragma: no cover - not POSIX
    HAS_FCNTL = False

from ansible_collections.mailops.smtp.plugins.module_utils._model import (
    SECRET_PATHS,
    keyed_digest,
    normalize,
)

STATE_VERSION = 1
DEFAULT_STATE_FILE = "~/.ansible/mailops_smtp/test_send_state.json"


class StateError(Exception):
    """A state or key file cannot be read or written; the message names the path."""


def key_path(state_path):
    return state_path + ".key"


def _ensure_dir(path):
    directory = os.path.dirname(path) or "."
    try:
        os.makedirs(directory, mode=0o700, exist_ok=True)
    except OSError as exc:
        raise StateError("state_file: cannot create directory %s: %s" % (directory, exc.strerror)) from None
    return directory


def write_private(path, text):
    """Atomically replace path with text, mode 0600 (temp file in the same directory + rename)."""
    directory = _ensure_dir(path)
    try:
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=".%s." % os.path.basename(path))
    except OSError as exc:
        raise StateError("state_file: cannot write in %s: %s" % (directory, exc.strerror)) from None
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def load_key(state_path):
    """The local random key, created (0600) on first use."""
    path = key_path(state_path)
    try:
        with open(path) as handle:
            key = handle.read().strip()
        if len(key) >= 32:
            return key
    except OSError as exc:
        if exc.errno != errno.ENOENT:
            raise StateError("state_file: cannot read key file %s: %s" % (path, exc.strerror)) from None
    key = _random.token_hex(32)
    write_private(path, key + "\n")
    return key


def load_state(state_path):
    try:
        with open(state_path) as handle:
            data = json.load(handle)
    except OSError as exc:
        if exc.errno == errno.ENOENT:
            return {"version": STATE_VERSION, "connectors": {}}
        raise StateError("state_file: cannot read %s: %s" % (state_path, exc.strerror)) from None
    except ValueError:
        raise StateError("state_file: %s is not valid JSON; remove it to start afresh (the next run then "
                         "sends to every connector)" % state_path) from None
    if not isinstance(data, dict) or not isinstance(data.get("connectors"), dict):
        raise StateError("state_file: %s does not look like a test_send state file" % state_path)
    return data


@contextlib.contextmanager
def locked(state_path):
    """Serialise read-modify-write of the state file between concurrent tasks (forks)."""
    _ensure_dir(state_path)
    lock_path = state_path + ".lock"
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        if HAS_FCNTL:
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        if HAS_FCNTL:
            fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def record_successes(state_path, updates):
    """Merge {name: entry} into the state file under the lock (re-reading it first)."""
    if not updates:
        return
    with locked(state_path):
        data = load_state(state_path)
        data["version"] = STATE_VERSION
        data["connectors"].update(updates)
        write_private(state_path, json.dumps(data, indent=2, sort_keys=True) + "\n")


def _set_path(value, path, new):
    for key in path[:-1]:
        if not isinstance(value.get(key), dict):
            return
        value = value[key]
    if path[-1] in value and value[path[-1]] is not None:
        value[path[-1]] = new(value[path[-1]])


def fingerprint(connector, key, extra=None):
    """SHA-256 over the normalized connector with every secret replaced by keyed_digest(secret, key)."""
    data = copy.deepcopy(normalize(connector))
    for path in SECRET_PATHS:
        _set_path(data, path, lambda secret: "hmac:" + keyed_digest(secret, key))
    payload = json.dumps({"connector": data, "extra": extra or {}}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()
