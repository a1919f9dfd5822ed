"""Select questions, build the notebook, validate it and write it: the `build` job."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from workbook.errors import NotebookError, SelectionError
from workbook.model import Bank, Level, Question
from workbook.notebook import CANDIDATE, BuildOptions, build_notebook
from workbook.selection import DEFAULT_MINUTES, select_questions


def build_workbook(bank: Bank, *, output: Path, level: Level | None,
                   sections: Sequence[str] | None = None,
                   question_ids: Sequence[str] | None = None, count: int | None = None,
                   minutes: int = DEFAULT_MINUTES, seed: int = 0, copy: str = CANDIDATE,
                   solutions: bool = False) -> list[Question]:
    """Write one workbook to `output` and return the questions in it. `level` may be None
    only with `question_ids`: the workbook then takes the highest level among them."""
    import nbformat

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
    nb = build_notebook(bank, questions, BuildOptions(level=level, copy=copy, seed=seed,
                                                      solutions=solutions))
    nbformat.validate(nb)
    if output.suffix != ".ipynb":
        raise NotebookError(f"{output}: the output file must end in .ipynb")
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(nbformat.writes(nb) + "\n", encoding="utf-8")
    except OSError as exc:
        raise NotebookError(f"{output}: cannot write: {exc.strerror}") from None
    return questions
