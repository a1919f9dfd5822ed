"""The candidate copy runs on a plain python3 kernel with only the standard library."""

from __future__ import annotations

import nbformat
import pytest
from nbclient import NotebookClient

from workbook.model import Bank, Level
from workbook.notebook import CANDIDATE, BuildOptions, build_notebook


def candidate_copy(bank: Bank, solutions: bool) -> nbformat.NotebookNode:
    return build_notebook(bank, list(bank.questions),
                          BuildOptions(level=Level.MIDDLE, copy=CANDIDATE, solutions=solutions))


def run(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    NotebookClient(nb, kernel_name="python3", timeout=120, allow_errors=True).execute()
    return nb


@pytest.fixture(scope="module")
def solved(shipped_bank: Bank) -> nbformat.NotebookNode:
    return run(candidate_copy(shipped_bank, solutions=True))


@pytest.fixture(scope="module")
def unsolved(shipped_bank: Bank) -> nbformat.NotebookNode:
    return run(candidate_copy(shipped_bank, solutions=False))


def errors(cell: nbformat.NotebookNode) -> list[nbformat.NotebookNode]:
    return [out for out in cell.get("outputs", []) if out.output_type == "error"]


def test_with_reference_answers_every_cell_runs_without_error(
        solved: nbformat.NotebookNode) -> None:
    failing = {cell.metadata["workbook"].get("question"): errors(cell)[0].evalue
               for cell in solved.cells if cell.cell_type == "code" and errors(cell)}
    assert failing == {}


def test_with_reference_answers_each_public_check_says_it_passed(
        solved: nbformat.NotebookNode) -> None:
    for cell in solved.cells:
        if cell.metadata["workbook"]["role"] == "public-check":
            printed = "".join(out.get("text", "") for out in cell.outputs)
            assert "All public checks passed" in printed


def test_with_starters_each_public_check_fails_with_a_readable_message(
        unsolved: nbformat.NotebookNode, shipped_bank: Bank) -> None:
    for cell in unsolved.cells:
        if cell.metadata["workbook"]["role"] != "public-check":
            continue
        question = cell.metadata["workbook"]["question"]
        found = errors(cell)
        assert found, f"{question}: the public check passed on the starter"
        error = found[0]
        assert error.ename in ("NotImplementedError", "AssertionError"), (question, error.ename)
        assert error.evalue.strip(), f"{question}: {error.ename} without a message"
