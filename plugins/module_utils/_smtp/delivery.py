# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The delivery check: send a tokened probe (engine) -> find it over IMAP (_mailbox) -> judge it (_verdict).

Private to the collection: may change without notice.
"""

from __future__ import annotations

from ansible_collections.mailops.smtp.plugins.module_utils._smtp.tasks import FAIL_ON_CHOICES, check_argument_spec

DELIVERY_STATUSES = ("delivered", "delivered_to_junk", "bounced", "not_arrived", "mailbox_error")
FINDING_CATEGORIES = ("dkim", "spf", "dmarc", "transit", "tls", "receiver")
DELIVERY_FAIL_ON = (["failed", "warning"] + [s for s in DELIVERY_STATUSES if s != "delivered"]
                    + list(FINDING_CATEGORIES) + [c for c in FAIL_ON_CHOICES if c not in ("failed", "warning")])


def argument_spec():
    return check_argument_spec(
        fail_on={"type": "list", "elements": "str", "default": ["failed"], "choices": DELIVERY_FAIL_ON},
        deadline={"type": "int", "default": 120},
        force={"type": "bool", "default": False},
        state_file={"type": "path"},
        cleanup={"type": "bool", "default": True},
        dns={"type": "dict", "default": {}, "options": {
            "nameservers": {"type": "list", "elements": "str", "default": []},
            "port": {"type": "int", "default": 53},
            "timeout": {"type": "float", "default": 5.0},
        }},
    )


def run_delivery_check(module):
    module.fail_json(msg="delivery_check: the driver lands in the next commit")
