# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Judge a received message: Received chain, DKIM, SPF, DMARC, trusted Authentication-Results, transit, DSNs.

Private to the collection: may change without notice. Pure functions over message bytes, plus
a resolver (_dns.resolver.DnsClient) where DNS is needed; no SMTP, no IMAP, no files.
"""
