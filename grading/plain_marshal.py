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

_FLAG_REF = 0x80
_INT32 = struct.Struct("<i")
_FIXED = {ord("N"): 0, ord("F"): 0, ord("T"): 0, ord("i"): 4, ord("g"): 8, ord("y"): 16}
_SIZED = frozenset(map(ord, "suatA"))  # int32 length, then that many bytes
_SHORT_SIZED = frozenset(map(ord, "zZ"))  # one-byte length
_SEQUENCES = frozenset(map(ord, "([<>"))  # int32 count, then that many values
_SMALL_TUPLE = ord(")")
_LONG = ord("l")
_DICT, _DICT_END = ord("{"), ord("0")
_CONTAINER_CODES = _SEQUENCES | {_SMALL_TUPLE, _DICT}


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
    position = 0
    items = 0
    #: per open container: values still to read (dicts: -1, until their end mark)
    open_counts: list[int] = [1]
    while open_counts:
        if open_counts[-1] == 0:
            open_counts.pop()
            continue
        if position >= size:
            raise NotPlain("the value ends early")
        code = data[position]
        position += 1
        if open_counts[-1] < 0 and code == _DICT_END:
            open_counts.pop()
            continue
        if open_counts[-1] > 0:
            open_counts[-1] -= 1
        items += 1
        if items > MAX_ITEMS:
            raise NotPlain(f"more than {MAX_ITEMS} values")
        if code & _FLAG_REF:
            raise NotPlain("it holds shared references (only marshal format 2 is read)")
        if code in _FIXED:
            position += _FIXED[code]
        elif code in _SIZED:
            position += 4 + _length(data, position)
        elif code in _SHORT_SIZED:
            if position >= size:
                raise NotPlain("the value ends early")
            position += 1 + data[position]
        elif code == _LONG:
            digits = _INT32.unpack_from(data, position)[0] if position + 4 <= size else None
            if digits is None:
                raise NotPlain("the value ends early")
            position += 4 + 2 * abs(digits)
        elif code in _CONTAINER_CODES:
            if len(open_counts) > MAX_DEPTH:
                raise NotPlain(f"nested more than {MAX_DEPTH} deep")
            if code == _DICT:
                open_counts.append(-1)
            elif code == _SMALL_TUPLE:
                if position >= size:
                    raise NotPlain("the value ends early")
                open_counts.append(data[position])
                position += 1
            else:
                open_counts.append(_length(data, position))
                position += 4
        else:
            raise NotPlain(f"type code {chr(code & 0x7F)!r} is not plain data")
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
