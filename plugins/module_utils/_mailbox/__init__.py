# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Read mailboxes over IMAP: find tokened probe messages (INBOX, SPECIAL-USE \\Junk, declared folders), delete them.

Private to the collection: may change without notice. No SMTP, no DNS.
"""
