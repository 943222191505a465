# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment:
    # The progress options of every check module (mirrors plugins/module_utils/_progress.py argument_spec()), and
    # what their action plugin (plugins/plugin_utils/_check_action.py) supports and where it runs the module
    # (plugins/plugin_utils/_in_process.py); the attributes' descriptions come from
    # ansible.builtin.action_common_attributes.flow.
    DOCUMENTATION = r'''
---
attributes:
  action:
    support: full
    details: An action plugin runs the module and prints its progress lines (O(progress_interval)).
  async:
    support: full
    details: Without progress lines; C(poll) shows that the job runs.
  bypass_host_loop:
    support: none
notes:
  - On a local connection with the controller's own Python (for example the implicit C(localhost)), and without
    C(become), C(environment) or C(async), the module's code runs in the worker process Ansible forked for the
    task, through the same module protocol, instead of in a new Python process; set the variable
    C(mailops_smtp_in_process=false) to run it as a module. C(-vvv) says which way a task went.
options:
  progress_interval:
    description:
    - 'While the module runs, print a status line every this many seconds in the C(ansible-playbook) output, with
      the module, the host and the counts so far, for example C(mailops.smtp.probe [localhost]: 4200/10000 done)
      followed by the failed count and the seconds elapsed. V(0) prints none.'
    - The line holds counts only - no connector name, host or secret.
    - 'Only when the task runs on the controller (C(hosts: localhost), C(delegate_to: localhost) or
      C(connection: local)), and not with C(async) or when C(become) switches to a user other than root. Ansible
      has no channel to bring anything back from a module running on another host before it ends; see
      C(docs/checks.md) for the alternatives.'
    type: int
    default: 10
  progress_file:
    description:
    - Where the module keeps the counts of its progress (done, total, failed) while it runs, on the host the task
      runs on, replaced atomically about once a second. It holds counts only.
    - On the controller the action plugin sets it to a private temporary file and prints what it reads there
      every O(progress_interval) seconds; leave it unset.
    - On another host, set it to follow a long run there (for example C(watch cat /tmp/probe.progress) in a
      shell on that host). The module does not remove it.
    type: path
'''
