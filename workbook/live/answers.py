"""Read a candidate's current answer to one question from a notebook file on disk.

In a paired session the candidate's notebook is edited in JupyterLab with real-time
collaboration, which writes the document back to disk shortly after every edit; the file
is therefore the freshest copy a separate process can read.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from workbook.errors import SessionError
from workbook.live.saved_json import UnsettledJSON, read_saved_json
from workbook.notebook import ROLE_ANSWER, cell_id


@dataclass(frozen=True, kw_only=True)
class SavedAnswer:
    question: str
    code: str
    notebook: Path
    #: when the notebook file was last written
    saved_at: datetime
    cell_id: str | None = None
    #: the cell's execution count as saved (None: not run since it was last cleared)
    execution_count: int | None = None


def read_answer(notebook: Path, question: str) -> SavedAnswer:
    """The answer cell of `question` in `notebook` as last saved."""
    found = read_answers(notebook, [question]).get(question)
    if found is None:
        raise SessionError(f"{notebook}: no answer cell for '{question}' (was it deleted?)")
    return found


def read_answers(notebook: Path, questions: Sequence[str]) -> dict[str, SavedAnswer]:
    """The answer cell of each of `questions` found in `notebook` as last saved (one read
    of the file for all of them); a question whose cell is gone is left out."""
    try:
        document, mtime = read_saved_json(notebook)
    except OSError as exc:
        raise SessionError(f"{notebook}: cannot read the candidate's notebook: "
                           f"{exc.strerror}") from None
    except UnsettledJSON:
        raise SessionError(f"{notebook}: the candidate's notebook is not valid notebook "
                           "JSON; ask the candidate to save it again") from None
    saved_at = datetime.fromtimestamp(mtime).astimezone()
    cells = document.get("cells", []) if isinstance(document, dict) else []
    found = {}
    for question in questions:
        cell = _answer_cell(cells if isinstance(cells, list) else [], question)
        if cell is None:
            continue
        source = cell.get("source", "")
        count = cell.get("execution_count")
        found[question] = SavedAnswer(
            question=question, code="".join(source) if isinstance(source, list) else str(source),
            notebook=notebook, saved_at=saved_at, cell_id=cell.get("id"),
            execution_count=count if isinstance(count, int) else None)
    return found


def _answer_cell(cells: list[Any], question: str) -> dict[str, Any] | None:
    """The cell marked as `question`'s answer, else the one with its answer cell's id."""
    expected_id = cell_id(question, ROLE_ANSWER)
    by_role = by_id = None
    for cell in cells:
        if not isinstance(cell, dict):
            continue
        meta = cell.get("metadata", {}).get("workbook", {})
        if (isinstance(meta, dict) and meta.get("role") == ROLE_ANSWER
                and meta.get("question") == question and by_role is None):
            by_role = cell
        if cell.get("id") == expected_id and by_id is None:
            by_id = cell
    return by_role or by_id
