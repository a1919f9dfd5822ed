"""An RGB image as PNG bytes, written here rather than by Pillow's encoder.

Why: Pillow filters every row of an RGB image five ways and keeps the smallest, even at
zlib's fastest level; for a chart that is mostly flat colour, that choice is half of
the encoding time and saves a few percent of its size. Each graded copy carries a
chart, so this was a tenth of a copy's CPU in the reports worker (bench/report_bench.py).
Rows here are stored unfiltered and compressed at zlib's fastest level: a valid PNG
(the PNG specification's filter type 0) that any decoder reads to the same pixels
(tests/report/test_png.py decodes it with Pillow).
"""

from __future__ import annotations

import struct
import zlib
from typing import Any

SIGNATURE = b"\x89PNG\r\n\x1a\n"
#: 8 bits per sample, colour type 2 (RGB), deflate, filter method 0, no interlace
_RGB_HEADER = (8, 2, 0, 0, 0)


def _chunk(kind: bytes, data: bytes) -> bytes:
    return (struct.pack(">I", len(data)) + kind + data
            + struct.pack(">I", zlib.crc32(kind + data)))


def rgb_png(image: Any) -> bytes:
    """`image`, a Pillow image in RGB mode, as PNG bytes."""
    if image.mode != "RGB":
        raise ValueError(f"rgb_png takes an RGB image, not {image.mode}")
    width, height = image.size
    pixels = image.tobytes()
    stride = 3 * width
    # each row starts with its filter type: 0, none
    rows = b"".join(b"\x00" + pixels[top:top + stride]
                    for top in range(0, stride * height, stride))
    return (SIGNATURE
            + _chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, *_RGB_HEADER))
            + _chunk(b"IDAT", zlib.compress(rows, 1))
            + _chunk(b"IEND", b""))
