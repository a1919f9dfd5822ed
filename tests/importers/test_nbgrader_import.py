"""`workbook import nbgrader`: a course notebook becomes questions that grade as nbgrader does."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from bench.nbgrader_course import (
    nbgrader_course,
    nbgrader_totals,
    returned_workbooks,
    run_nbgrader,
    workbook_totals,
)
from tests.importers.course import STUDENTS, source_notebook, write_source
from workbook.bank import load_bank
from workbook.cli import main
from workbook.importers.nbgrader import import_notebook

QUESTIONS = {"ps1-squares": ["squares"], "ps1-normalise": ["normalise", "word-counts"],
             "ps1-is-even": ["is-even"]}


@pytest.fixture
def imported(tmp_path: Path) -> Path:
    bank = tmp_path / "bank"
    import_notebook(write_source(tmp_path / "source"), bank)
    return bank


def test_each_question_keeps_its_cells_points_and_hidden_tests(imported: Path) -> None:
    bank = load_bank(imported)
    assert sorted(bank.ids) == sorted(QUESTIONS)
    squares = bank.get("ps1-squares")
    assert (squares.title, squares.points, squares.imported) == ("Squares", 5, "nbgrader")
    assert [(c.name, c.points) for c in squares.hidden_checks] == [
        ("test-squares-values", 2), ("test-squares-negative", 3)]
    assert [c.points for c in bank.get("ps1-is-even").hidden_checks] == [1]
    assert "assert squares(3) == [1, 4, 9]" in squares.public_checks
    assert "42925" not in squares.public_checks and "HIDDEN" not in squares.public_checks
    assert "NotImplementedError" in squares.starter and "i * i" not in squares.starter
    assert "i * i" in squares.reference and "SOLUTION" not in squares.reference
    for check in squares.hidden_checks:
        assert "assert " not in check.code  # observed, judged in the grader
    negative = squares.hidden_checks[1].code
    assert "sum(big)" in negative and "_nbgrader_observed.append(raised)" in negative
    counts = bank.get("ps1-normalise")
    # the hidden-only cell uses `counts` from the visible one: it is replayed first
    assert "counts = word_counts('The cat, the hat.')" in counts.hidden_checks[1].code
    assert "def normalise" in counts.reference and "def word_counts" in counts.reference
    assert counts.decoys == ()


def test_the_command_reports_what_it_did_not_convert_and_what_to_review(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = write_source(tmp_path / "source")
    assert main(["import", "nbgrader", str(source), "-o", str(tmp_path / "bank")]) == 0
    out = capsys.readouterr().out
    assert "3 question(s) imported" in out
    assert "cell 13 (explain): a written answer or task graded by a person" in out
    assert "cell 2 (imports): an ordinary code cell" in out
    assert "review: defaults to review in each file: section" in out
    assert "no decoys" in out


@pytest.mark.parametrize("content", ["not json", '{"cells": []}', "{}"])
def test_a_file_that_is_not_an_nbgrader_notebook_is_one_line(
        tmp_path: Path, content: str, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "x.ipynb"
    path.write_text(content, encoding="utf-8")
    assert main(["import", "nbgrader", str(path), "-o", str(tmp_path / "bank")]) == 1
    error = capsys.readouterr().err
    assert error.startswith(f"error: {path}") and error.count("\n") == 1


def test_a_test_cell_that_is_not_python_costs_its_question_only(tmp_path: Path) -> None:
    path = write_source(tmp_path / "source")
    notebook = nbformat.read(path, as_version=4)
    broken = next(c for c in notebook.cells
                  if c.metadata.get("nbgrader", {}).get("grade_id") == "test-even")
    broken.source = "assert is_even(2\n"
    nbformat.write(notebook, path)
    report = import_notebook(path, tmp_path / "bank")
    assert sorted(p.stem for p in report.written) == ["ps1-normalise", "ps1-squares"]
    assert any("test-even" in p and "is not Python" in p for p in report.problems)


def test_bank_check_proves_imported_questions_and_flags_the_missing_decoys(
        imported: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bank", "check", "--bank", str(imported)]) == 0
    out = capsys.readouterr().out
    assert "6 of 6 proofs hold" in out
    assert out.count("imported from nbgrader: proven with its reference and starter only") == 3


def test_graded_totals_match_nbgrader_autograde(imported: Path, tmp_path: Path) -> None:
    course = tmp_path / "course"
    nbgrader_course(course, source_notebook(), STUDENTS)
    run_nbgrader(course, "autograde", "ps1", timeout=600)
    theirs = nbgrader_totals(course, list(STUDENTS))
    returned = tmp_path / "returned"
    returned_workbooks(imported, returned, STUDENTS, QUESTIONS,
                       setup={"ps1-squares": "import math\n\n"})
    out = tmp_path / "out"
    assert main(["grade", str(returned), "-o", str(out), "--bank", str(imported),
                 "--no-report"]) == 0
    ours = workbook_totals(out / "gradebook.sqlite")
    assert ours == theirs
    assert ours == {"amal": 10.0, "bruno": 4.0, "chen": 1.0}


@pytest.mark.parametrize("heading", ['Squares "quoted" \\ back', "Sq\u00fcares \U0001f600",
                                     "```"])
def test_any_heading_makes_a_valid_title_and_a_fence_in_code_is_reported(
        tmp_path: Path, heading: str) -> None:
    path = write_source(tmp_path / "source")
    notebook = nbformat.read(path, as_version=4)
    for cell in notebook.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id == "squares-prompt":
            cell.source = f"## {heading}\n\n```python\n# a comment in an example\n```\n"
        if grade_id == "is-even":
            cell.source += "\n    '''\n```\n'''"
    nbformat.write(notebook, path)
    report = import_notebook(path, tmp_path / "bank")
    bank = load_bank(tmp_path / "bank")
    squares = bank.get("ps1-squares")
    assert squares.title == heading
    assert "# a comment in an example" in squares.prompt
    assert "ps1-is-even" not in bank.ids
    assert any("ps1-is-even" in p and "```" in p for p in report.problems)
