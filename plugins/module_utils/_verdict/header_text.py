# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Structured header text (RFC 5322 3.2.2): separate (comments), which nest, from the rest.

Private to the collection: may change without notice. Standard library only.
"""

from __future__ import annotations


def segments(text):
    """[(kind, text)] in order, kind "text" or "comment"; quoted strings stay inside text, unparsed."""
    out = []
    current = []
    depth = 0
    quoted = False
    for char in text:
        if quoted:
            current.append(char)
            if char == '"':
                quoted = False
            continue
        if char == "(":
            if depth == 0:
                if current:
                    out.append(("text", "".join(current)))
                current = []
            else:
                current.append(char)
            depth += 1
            continue
        if char == ")" and depth:
            depth -= 1
            if depth == 0:
                out.append(("comment", "".join(current).strip()))
                current = []
            else:
                current.append(char)
            continue
        if char == '"' and depth == 0:
            quoted = True
        current.append(char)
    if current:
        out.append(("comment" if depth else "text", "".join(current)))
    return out
