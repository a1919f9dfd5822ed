"""Build returned notebooks for tests: a real candidate workbook, then the candidate's edits."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from grading.results import SubmissionResult
from workbook.model import Bank, Level, Question
from workbook.notebook import ROLE_ANSWER, BuildOptions, build_notebook, cell_id


def workbook_json(bank: Bank, questions: list[Question], *,
                  answers: dict[str, str] | None = None,
                  candidate: str | None = None) -> dict[str, Any]:
    """The candidate copy as plain JSON, with `answers` (question id -> code) filled in."""
    import nbformat

    nb = build_notebook(bank, questions, BuildOptions(level=Level.MIDDLE))
    data: dict[str, Any] = json.loads(nbformat.writes(nb))
    for cell in data["cells"]:  # nbformat writes sources as lists of lines; tests edit strings
        cell["source"] = "".join(cell["source"])
    for question_id, code in (answers or {}).items():
        answer_cell(data, question_id)["source"] = code
    if candidate is not None:
        data["metadata"]["workbook"]["candidate"] = candidate
    return data


def answer_cell(data: dict[str, Any], question_id: str) -> dict[str, Any]:
    wanted = cell_id(question_id, ROLE_ANSWER)
    return next(cell for cell in data["cells"] if cell.get("id") == wanted)


def cell_index(data: dict[str, Any], question_id: str, role: str) -> int:
    return next(i for i, cell in enumerate(data["cells"])
                if cell["metadata"].get("workbook") == {"question": question_id, "role": role})


def write(path: Path, data: dict[str, Any]) -> Path:
    path.write_text(json.dumps(data, indent=1), encoding="utf-8")
    return path


class Kept:
    """A batch's result sink that keeps every result it is handed (`workbook grade`'s own
    sink spools them to disk instead), in batch order; a position handed twice fails."""

    def __init__(self) -> None:
        self.by_position: dict[int, SubmissionResult] = {}

    def __call__(self, position: int, result: SubmissionResult) -> None:
        assert position not in self.by_position, f"position {position} handed out twice"
        self.by_position[position] = result

    @property
    def results(self) -> list[SubmissionResult]:
        assert sorted(self.by_position) == list(range(len(self.by_position)))
        return [self.by_position[i] for i in range(len(self.by_position))]
