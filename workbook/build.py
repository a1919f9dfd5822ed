"""Select questions, build the notebook, validate it and write it: the `build` job.

A candidate's copy built with a gradebook is *issued*: its assignment (questions, bank,
level, seed, candidate) is recorded in the gradebook, signed, before the file is written,
and the notebook carries only the assignment's id (`workbook.issue`). An interviewer's
copy is never graded, so it is not issued.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from workbook.errors import NotebookError, SelectionError, WorkbookError
from workbook.model import Bank, Level, Question
from workbook.notebook import CANDIDATE, BuildOptions, build_notebook
from workbook.selection import DEFAULT_MINUTES, select_questions

if TYPE_CHECKING:
    from nbformat import NotebookNode

    from grading.assignment import Assignment
    from grading.gradebook import Gradebook


@dataclass(frozen=True, kw_only=True)
class Built:
    """What `build` wrote: the questions, and the assignment when it issued one."""

    questions: list[Question]
    assignment: Assignment | None = None


def build(bank: Bank, *, output: Path, level: Level | None,
          sections: Sequence[str] | None = None,
          question_ids: Sequence[str] | None = None, count: int | None = None,
          minutes: int = DEFAULT_MINUTES, seed: int = 0, copy: str = CANDIDATE,
          solutions: bool = False, issue_to: Gradebook | None = None,
          candidate: str | None = None) -> Built:
    """Write one workbook to `output`; a candidate's copy is issued when `issue_to` is a
    gradebook (see the module docstring). `level` may be None only with `question_ids`:
    the workbook then takes the highest level among them."""
    import nbformat

    from workbook.issue import new_assignment

    if output.suffix != ".ipynb":
        raise NotebookError(f"{output}: the output file must end in .ipynb")
    if level is None:
        if not question_ids:
            raise SelectionError("name a level, or the questions to include")
        questions = select_questions(bank, level=Level.JUNIOR, question_ids=question_ids)
        ranks = list(Level)
        level = max((q.level for q in questions), key=ranks.index)
    else:
        questions = select_questions(bank, level=level, sections=sections,
                                     question_ids=question_ids, count=count, seed=seed,
                                     minutes=minutes)
    assignment = None
    if issue_to is not None and copy == CANDIDATE:
        assignment = new_assignment(bank, questions, level=level, seed=seed,
                                    candidate=candidate)
    nb = build_notebook(bank, questions, BuildOptions(
        level=level, copy=copy, seed=seed, solutions=solutions,
        assignment=assignment.id if assignment else None, candidate=candidate or None))
    nbformat.validate(nb)
    if issue_to is not None and assignment is not None:
        # recorded before the file exists: no issued notebook without its record
        issue_to.issue(assignment)
    write_notebook(nb, output)
    return Built(questions=questions, assignment=assignment)


def build_workbook(bank: Bank, *, output: Path, level: Level | None,
                   sections: Sequence[str] | None = None,
                   question_ids: Sequence[str] | None = None, count: int | None = None,
                   minutes: int = DEFAULT_MINUTES, seed: int = 0, copy: str = CANDIDATE,
                   solutions: bool = False) -> list[Question]:
    """Write one workbook to `output`, not issued, and return the questions in it (`build`
    says what `level=None` means)."""
    return build(bank, output=output, level=level, sections=sections,
                 question_ids=question_ids, count=count, minutes=minutes, seed=seed,
                 copy=copy, solutions=solutions).questions


def write_notebook(nb: NotebookNode, path: Path,
                   error: type[WorkbookError] = NotebookError) -> None:
    """Write `nb` to `path`, making its folder; a failed write raises `error` naming the
    path (a user's one-line message, never an OSError's traceback)."""
    import nbformat

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(nbformat.writes(nb) + "\n", encoding="utf-8")
    except OSError as exc:
        raise error(f"{path}: cannot write: {exc.strerror}") from None
