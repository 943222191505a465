# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment:
    # The metrics_file option of probe, tls_check, dns_check and delivery_check; mirrors
    # plugins/module_utils/_metrics.py argument_spec().
    DOCUMENTATION = r'''
---
options:
  metrics_file:
    description:
    - Also write the results as Prometheus metrics to this file on the host the task runs on, for node_exporter's
      textfile collector (C(--collector.textfile.directory)). The name must end in C(.prom); the directory must
      exist. Use one file per task, for example C(/var/lib/node_exporter/textfile/mailops_smtp_probe.prom).
    - The file is replaced atomically (a temporary file in the same directory, fsync, rename) with mode 0644, so the
      collector never reads half a file. Every metric carries a C(check) label naming the module, and
      C(mailops_smtp_last_run_timestamp_seconds) tells when the check last ran (alert when it grows stale).
    - Labels are connector names, hosts, ports, stages, statuses and DNS names; usernames and passwords never
      appear. The metrics are described in C(docs/monitoring.md).
    - The file is written whether the task succeeds or fails under O(fail_on); writing it does not make the task
      C(changed) (it is monitoring output, rewritten on every run). In check mode it is not written; the returned
      C(metrics_file) then says C(written=false) and how many samples would have been written.
    type: path
'''
