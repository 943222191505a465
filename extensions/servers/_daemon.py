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
