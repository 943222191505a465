# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Process control shared by the test servers: a server is ready once its state file exists.

A server writes STATE/<name>.json after it listens and removes it when it exits, so
readiness, waiting and stopping all go through that one file.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time


def wait_for_state(path, seconds):
    """The server's state (its JSON) once the file exists, or None after `seconds`."""
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            with open(path, encoding="utf-8") as handle:
                return json.load(handle)
        except (OSError, ValueError):
            time.sleep(0.1)
    return None


def stop(path, seconds=15):
    """SIGTERM the server whose state file is `path`, and wait until it has removed the file."""
    state = wait_for_state(path, 0.5)
    if state:
        os.kill(state["pid"], signal.SIGTERM)
        deadline = time.time() + seconds
        while os.path.exists(path) and time.time() < deadline:
            time.sleep(0.1)


def start_detached(script, argv, path, log_path, seconds):
    """Run `script argv` in a new session (without --background) and return its state once ready.

    Prints the state as JSON on success and returns 0; returns 1 with a message naming the log.
    """
    os.makedirs(os.path.dirname(path), exist_ok=True)
    if os.path.exists(path):
        os.unlink(path)
    child_argv = [a for a in argv if a != "--background"]
    with open(log_path, "ab") as log:
        subprocess.Popen([sys.executable, os.path.abspath(script)] + child_argv, stdin=subprocess.DEVNULL,
                         stdout=log, stderr=log, start_new_session=True)
    state = wait_for_state(path, seconds)
    if not state:
        sys.stderr.write("%s did not become ready (see %s)\n" % (os.path.basename(script), log_path))
        return 1
    print(json.dumps(state))
    return 0


def publish(path, state):
    """Write the state file atomically: its existence means "ready"."""
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as handle:
        json.dump(state, handle, indent=2)
    os.replace(tmp, path)


def supervise(child, path, seconds=15):
    """Wait until SIGTERM/SIGINT or until `child` exits; then stop it and remove the state file."""
    stopping = []

    def stop_handler(_signum, _frame):
        stopping.append(True)

    signal.signal(signal.SIGTERM, stop_handler)
    signal.signal(signal.SIGINT, stop_handler)
    try:
        while not stopping and child.poll() is None:
            time.sleep(0.2)
    finally:
        if child.poll() is None:
            child.terminate()
            try:
                child.wait(seconds)
            except subprocess.TimeoutExpired:
                child.kill()
        discard(path)


def discard(path):
    """Remove the state file if it is there."""
    try:
        os.unlink(path)
    except OSError:
        pass


def add_control_arguments(parser, ready="listening"):
    parser.add_argument("--background", action="store_true", help="detach, return once %s" % ready)
    parser.add_argument("--wait", type=float, metavar="SECONDS", help="do not start: wait for the state file")
    parser.add_argument("--stop", action="store_true", help="do not start: SIGTERM the running server")


def control(args, script, argv, path, log_path, seconds):
    """Handle --stop, --wait and --background; None means: serve in this process."""
    if args.stop:
        stop(path, max(15, seconds // 2))
        return 0
    if args.wait is not None:
        state = wait_for_state(path, args.wait)
        if not state:
            return 1
        print(json.dumps(state))
        return 0
    if args.background:
        return start_detached(script, argv, path, log_path, seconds)
    return None
