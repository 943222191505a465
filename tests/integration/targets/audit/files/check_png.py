#!/usr/bin/env python
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""check_png.py FILE: a real screenshot, 1280x900, with enough content not to be a blank page."""

import struct
import sys
import zlib

data = open(sys.argv[1], "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG file"
width, height = struct.unpack(">II", data[16:24])
assert (width, height) == (1280, 900), (width, height)
# Decompress the image data and count distinct bytes per row: a blank page has one colour.
pos, idat = 8, b""
while pos < len(data):
    length, kind = struct.unpack(">I4s", data[pos:pos + 8])
    if kind == b"IDAT":
        idat += data[pos + 8:pos + 8 + length]
    pos += 12 + length
raw = zlib.decompress(idat)
stride = len(raw) // height
varied_rows = sum(1 for y in range(height) if len(set(raw[y * stride + 1:(y + 1) * stride])) > 4)
assert varied_rows > 200, "only %d rows with content: the page did not render" % varied_rows
print("OK: %dx%d PNG, %d bytes, %d rows with content" % (width, height, len(data), varied_rows))
