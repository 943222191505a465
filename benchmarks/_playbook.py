# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Run one playbook on localhost for a benchmark and time the whole ansible-playbook process."""

import subprocess
import sys
import time


def timed_playbook(ansible_playbook, playbook, vars_file, what):
    """Seconds the ansible-playbook run took; exits with its output when it fails."""
    cmd = [ansible_playbook, "-i", "localhost,", "-c", "local",
           "-e", "ansible_python_interpreter=%s" % sys.executable, "-e", "@" + vars_file, playbook]
    start = time.monotonic()
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    elapsed = time.monotonic() - start
    if proc.returncode != 0:
        print(proc.stdout[-3000:], proc.stderr[-3000:], file=sys.stderr)
        raise SystemExit("the %s task failed" % what)
    return elapsed
