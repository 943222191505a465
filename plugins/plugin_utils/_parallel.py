# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""CPU-bound controller work shared out over the controller's CPUs, one forked child per share.

Used for validation at scale (10,000 connectors, or the connectors of 10,000 hosts): the
children inherit the data by fork, and send back plain results (pickled through a pipe). A share
whose child fails in any way is computed again in the calling process, so the result never
depends on whether forking worked.
"""

from __future__ import annotations

import contextlib
import gc
import os
import pickle


@contextlib.contextmanager
def collector_paused():
    """Python's cyclic garbage collector held off for a block that builds a large tree of plain data.

    A worker holds the whole inventory's variables: each full collection walks all of them, and a
    block allocating hundreds of thousands of dicts and strings (10,000 connectors resolved or
    judged) sets off several. What the block builds holds no reference cycles (refcounting frees
    it), so nothing is lost by collecting once afterwards, when the collector runs as usual again.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def cpus():
    """CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def map_shares(func, shares):
    """[func(share) for share in shares], the shares after the first computed in child processes."""
    if len(shares) < 2 or not hasattr(os, "fork"):
        return [func(share) for share in shares]
    children = []
    for share in shares[1:]:
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: its share's result, pickled into the pipe
            status = 1
            try:
                os.close(read_end)
                with os.fdopen(write_end, "wb") as out:
                    pickle.dump(func(share), out, protocol=pickle.HIGHEST_PROTOCOL)
                status = 0
            finally:
                os._exit(status)  # pylint: disable=protected-access
        os.close(write_end)
        children.append((pid, read_end, share))
    results = [func(shares[0])]
    for pid, read_end, share in children:
        with os.fdopen(read_end, "rb") as source:
            data = source.read()
        _pid, status = os.waitpid(pid, 0)
        try:
            results.append(pickle.loads(data) if status == 0 else func(share))
        except Exception:  # pylint: disable=broad-exception-caught
            results.append(func(share))
    return results
