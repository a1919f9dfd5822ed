"""Read marshal bytes from a kernel without trusting them: check that they hold only plain
data (None, bool, int, float, complex, str, bytes, tuple, list, set, frozenset, dict), no
shared references, no code, and bounded depth and size, before `marshal.loads` sees them.

Why a check before loading: `marshal.loads` is linear in its input only when there are no
references. With them (format 3 and later), a few hundred bytes can describe a tuple that
contains itself twice at every level, and building a set of it hashes 2**N tuples: the
grader would hang on one forged report. The harness writes format 2, which has no
references, so this walk refuses them; it also refuses every type code plain data does not
use (code objects, Ellipsis, StopIteration, slices, ...), so `marshal.loads` constructs only
exact built-in types.
"""

from __future__ import annotations

import marshal
import struct
from typing import Any

#: containers nested deeper than this are refused (checks compare plain results)
MAX_DEPTH = 200
#: values (leaves and containers) one observation may hold
MAX_ITEMS = 2_000_000

_INT32 = struct.Struct("<i")
# what each type code byte is: one table look-up per value (codes with the reference flag
# 0x80, and codes plain data never uses, stay _REFUSED)
_REFUSED, _FIXED, _SIZED, _SHORT_SIZED, _LONG, _SEQUENCE, _SMALL_TUPLE, _DICT = range(8)
_KIND = bytearray(256)
_SIZE = bytearray(256)  # payload bytes after the code, for _FIXED
for _code, _size in zip(b"NFTigy", (0, 0, 0, 4, 8, 16), strict=True):
    _KIND[_code], _SIZE[_code] = _FIXED, _size
for _code in b"suatA":  # int32 length, then that many bytes
    _KIND[_code] = _SIZED
for _code in b"zZ":  # one-byte length
    _KIND[_code] = _SHORT_SIZED
for _code in b"([<>":  # int32 count, then that many values
    _KIND[_code] = _SEQUENCE
_KIND[ord(")")], _KIND[ord("l")], _KIND[ord("{")] = _SMALL_TUPLE, _LONG, _DICT
_DICT_END = ord("0")
_INT_CODE, _FLOAT_CODE = ord("i"), ord("g")
_RUN_OF = {_INT_CODE: b"i", _FLOAT_CODE: b"g"}


class NotPlain(ValueError):
    """The bytes are not plain data in marshal format 2; the text says why."""


def loads_plain(data: bytes) -> Any:
    """The value in `data`, or NotPlain. Linear in len(data), whatever the bytes are."""
    end = _walk(data)
    if end != len(data):
        raise NotPlain("trailing bytes after the value")
    try:
        return marshal.loads(data)
    except (ValueError, EOFError, TypeError) as error:  # e.g. text that is not UTF-8
        raise NotPlain(f"undecodable ({error})") from None


def _walk(data: bytes) -> int:
    """Check one value starting at 0 (iteratively: the depth is the input's); where it ends."""
    size = len(data)
    kinds, sizes = _KIND, _SIZE
    position = 0
    items = 0
    #: per open container: values still to read (dicts: -1, until their end mark)
    open_counts: list[int] = [1]
    while open_counts:
        remaining = open_counts[-1]
        if remaining == 0:
            open_counts.pop()
            continue
        if position >= size:
            raise NotPlain("the value ends early")
        code = data[position]
        if remaining < 0:
            if code == _DICT_END:
                position += 1
                open_counts.pop()
                continue
        else:
            if remaining > 1 and code in _RUN_OF:
                # a whole run of ints or floats at once: the bulk of large observations
                width = 5 if code == _INT_CODE else 9
                end = position + width * remaining
                if data[position:end:width] == _RUN_OF[code] * remaining:
                    if end > size:
                        raise NotPlain("the value ends early")
                    position, items = end, items + remaining
                    open_counts[-1] = 0
                    continue
            open_counts[-1] = remaining - 1
        position += 1
        items += 1
        if items > MAX_ITEMS:
            raise NotPlain(f"more than {MAX_ITEMS} values")
        kind = kinds[code]
        if kind == _FIXED:
            position += sizes[code]
        elif kind == _SIZED:
            if position + 4 > size:
                raise NotPlain("the value ends early")
            length = _INT32.unpack_from(data, position)[0]
            if length < 0:
                raise NotPlain("a length that does not fit the value")
            position += 4 + length
        elif kind == _SHORT_SIZED:
            if position >= size:
                raise NotPlain("the value ends early")
            position += 1 + data[position]
        elif kind == _LONG:
            if position + 4 > size:
                raise NotPlain("the value ends early")
            position += 4 + 2 * abs(_INT32.unpack_from(data, position)[0])
        elif kind == _REFUSED:
            if code & 0x80:
                raise NotPlain("it holds shared references (only marshal format 2 is read)")
            raise NotPlain(f"type code {chr(code)!r} is not plain data")
        else:
            if len(open_counts) > MAX_DEPTH:
                raise NotPlain(f"nested more than {MAX_DEPTH} deep")
            if kind == _DICT:
                open_counts.append(-1)
            elif kind == _SMALL_TUPLE:
                if position >= size:
                    raise NotPlain("the value ends early")
                open_counts.append(data[position])
                position += 1
            else:
                open_counts.append(_length(data, position))
                position += 4
        if position > size:
            raise NotPlain("the value ends early")
    return position


def _length(data: bytes, position: int) -> int:
    if position + 4 > len(data):
        raise NotPlain("the value ends early")
    length: int = _INT32.unpack_from(data, position)[0]
    if length < 0 or length > len(data):
        raise NotPlain("a length that does not fit the value")
    return length
