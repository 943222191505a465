# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""DNS checks for outgoing mail (SPF, DMARC, DKIM, MX, PTR, DNSBL, MTA-STS, TLS-RPT, DANE).

Private to the collection: may change without notice.
"""
