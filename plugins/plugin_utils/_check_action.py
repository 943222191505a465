# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Controller side of the check modules: run the module, and print its progress while it runs.

Private to the collection: may change without notice.

On a local connection the module and the controller share a file system: the plugin names a
progress file in a private temporary directory (option progress_file), the module keeps its counts
there (plugins/module_utils/_progress.py), and a thread of this worker reads them every
progress_interval seconds and prints one line. Display forwards the line from the worker process to
the controller's output. The module itself runs in the calling thread, as in any action plugin:
ansible-core keeps the task's context (templating, warnings) in context variables of that thread.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
import time

from ansible.module_utils.common.validation import check_type_int
from ansible.plugins.action import ActionBase
from ansible.utils.display import Display
from ansible.utils.vars import merge_hash

from ansible_collections.mailops.smtp.plugins.module_utils import _progress
from ansible_collections.mailops.smtp.plugins.plugin_utils import _in_process, _native_args

display = Display()

DEFAULT_INTERVAL = _progress.argument_spec()["progress_interval"]["default"]


def progress_interval(args):
    """Seconds between progress lines from the task's arguments; 0 when off or not a whole number (the module
    then reports a bad value itself)."""
    value = args.get("progress_interval", DEFAULT_INTERVAL)
    try:
        return max(0, check_type_int(value))
    except (TypeError, ValueError):
        return 0


class CheckAction(ActionBase):
    """Runs MODULE (a check module's FQCN) with progress lines on a local connection.

    Where the module would run as the controller's own Python on the controller, its main() runs in
    this worker instead (plugins/plugin_utils/_in_process.py): the same module code and protocol,
    without building and starting a module process.
    """

    MODULE = None
    _supports_check_mode = True
    _supports_async = True

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        # Ansible imports action plugins in its main process before it forks the workers: the
        # module's code loaded here is loaded once per run, not once per task.
        if cls.MODULE:
            _in_process.preload(cls.MODULE)

    @classmethod
    def finalize_task_arg(cls, name, value, templar, context):
        # ansible-core >= 2.19: a list of thousands of connectors is resolved straight to plain
        # data (see _native_args) instead of through the generic pass; older versions template
        # every argument before the plugin runs.
        if name in ("connectors", "domains"):
            return _native_args.resolve(value, templar, name)
        return super().finalize_task_arg(name, value, templar, context)

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp
        wrap_async = self._task.async_val and not self._connection.has_native_async
        module_args = _native_args.take_arguments(self._task)
        interval = progress_interval(module_args)
        if interval and not wrap_async and self._progress_reachable():
            outcome = self._execute_with_progress(module_args, task_vars, interval)
        else:
            outcome = self._execute(module_args, task_vars, wrap_async)
        result = merge_hash(result, outcome)
        if not wrap_async:
            self._remove_tmp_path(self._connection._shell.tmpdir)
        return result

    def _execute(self, module_args, task_vars, wrap_async=False):
        """The module's result: run in this worker when nothing would differ (see _in_process), else as a module."""
        reason = _in_process.reason_not(self, task_vars)
        encoded = None if reason else _in_process.encode_arguments(self, module_args, task_vars)
        if encoded is not None:
            display.vvv("%s runs in the controller's worker process" % self.MODULE)
            return _in_process.execute(self, encoded)
        display.vvv("%s runs as a module: %s" % (self.MODULE, reason or "its arguments are not JSON data"))
        return self._execute_module(module_name=self.MODULE, module_args=module_args, task_vars=task_vars,
                                    wrap_async=wrap_async)

    def _progress_reachable(self):
        """Whether the module writes where this process can read: a local connection, as this user or root."""
        if self._connection.transport != "local":
            return False
        become_user = self._play_context.become_user if self._play_context.become else None
        return not become_user or become_user == "root"

    def _label(self, task_vars):
        host = (task_vars or {}).get("inventory_hostname") or "localhost"
        delegated = self._task.delegate_to
        if delegated and delegated != host:
            host = "%s -> %s" % (host, delegated)
        return "%s [%s]" % (self.MODULE, host)

    def _execute_with_progress(self, module_args, task_vars, interval):
        private = None
        path = module_args.get("progress_file")
        if not path:
            private = tempfile.mkdtemp(prefix="mailops-progress-")
            path = os.path.join(private, "progress.json")
            module_args["progress_file"] = path
        label = self._label(task_vars)
        started = time.monotonic()
        stop = threading.Event()

        def report():
            while not stop.wait(interval):
                display.display(_progress.line(label, _progress.read(path), time.monotonic() - started))

        reporter = threading.Thread(target=report, name="mailops-smtp-progress", daemon=True)
        reporter.start()
        try:
            return self._execute(module_args, task_vars)
        finally:
            stop.set()
            reporter.join()
            if private:
                shutil.rmtree(private, ignore_errors=True)
