"""CSV that a reviewer can open in a spreadsheet without it running anything.

A spreadsheet reads a cell that begins with `=`, `+`, `-` or `@` (and, in some programs,
a tab or a carriage return before one of those) as a formula, so a candidate id such as
`=HYPERLINK("http://...")` or a check message the candidate's code chose would run in the
reviewer's spreadsheet. As OWASP recommends, such a text cell is neutralised by a leading
single quote, which spreadsheets show as text and do not evaluate.

Numbers stay numbers: an `int` or `float` is written as it is (a negative score is a
number, not a formula), and so is text that is exactly a decimal number. The full-width
forms of the four signs (which some locales' spreadsheets also accept) and a leading line
feed are neutralised too. Every CSV the project writes goes through `csv_text` or
`safe_row`, so no writer can forget.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from typing import Any

#: what a cell may not begin with: formula signs, their full-width forms, tab, CR and LF
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def safe_cell(value: Any) -> Any:
    """`value` as it may go into a CSV cell: text that a spreadsheet would evaluate gets a
    leading single quote; numbers, booleans and None are left as they are."""
    if value is None or isinstance(value, bool | int | float):
        return value
    text = str(value)
    if text.startswith(FORMULA_STARTS) and not _NUMBER.fullmatch(text):
        return "'" + text
    return text


def safe_row(values: Iterable[Any]) -> list[Any]:
    return [safe_cell(value) for value in values]


def csv_text(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """A whole CSV file (header first) with every cell, header included, made safe."""
    return csv_rows([header, *rows])


def csv_rows(rows: Iterable[Sequence[Any]]) -> str:
    """CSV lines for `rows`, every cell made safe: a file written a row at a time."""
    buffer = io.StringIO()
    # RFC 4180 line ends: the writer quotes any cell holding a character of the line
    # terminator, so a lone CR inside a cell cannot end the row either
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerows(safe_row(row) for row in rows)
    return buffer.getvalue()
