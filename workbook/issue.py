"""Issued workbooks (PRODUCT decision 7): what the grading side records when a workbook is
sent, and how a returned notebook is checked against it.

`workbook build --for candidate` makes an `Assignment` (the questions, and as details the
bank, its version, the level and the seed; the candidate when named), records it in the
gradebook, signed, and writes only its id into the notebook (`metadata.workbook.assignment`).
Assignments issued elsewhere (another machine, the shipped samples) travel as a ledger, one
JSON object per line, that `workbook grade --issued FILE` records before grading.

`resolve` decides what a returned notebook is graded against:

- its id names an authentic assignment: the assignment's questions and candidate count;
  any claim of the notebook that differs is listed and the submission marked *edited*;
- otherwise (no id, an id never issued here, a record whose signature fails): the
  questions the notebook names (or, if its metadata was stripped, those its cells are
  tagged with) are graded, and the submission is marked *not verified*.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from grading.assignment import (
    MAX_ID_LENGTH,
    Assignment,
    AssignmentState,
    differences,
    is_assignment_id,
    new_assignment_id,
)
from grading.results import Event, EventKind
from workbook.errors import NotebookError
from workbook.model import Bank, Level, Question

if TYPE_CHECKING:
    from grading.gradebook import Gradebook
    from grading.submission import NotebookFile

#: the notebook field that carries the assignment id
ASSIGNMENT_FIELD = "assignment"
#: the notebook's own claims that an assignment's details are compared with
DETAILS = ("bank", "bank_version", "level", "seed")
NOT_VERIFIED_NOTE = "assignment not verified"
EDITED_NOTE = "assignment edited"


def new_assignment(bank: Bank, questions: Sequence[Question], *, level: Level, seed: int,
                   candidate: str | None = None) -> Assignment:
    """A fresh assignment for a workbook of `questions`."""
    return Assignment(id=new_assignment_id(), tasks=tuple(q.id for q in questions),
                      candidate=candidate or None,
                      details={"bank": bank.name, "bank_version": bank.version,
                               "level": level.value, "seed": seed})


def ledger_line(assignment: Assignment) -> str:
    return json.dumps({"id": assignment.id, "questions": list(assignment.tasks),
                       "candidate": assignment.candidate,
                       "details": dict(assignment.details)}, ensure_ascii=False) + "\n"


def read_ledger(path: Path) -> list[Assignment]:
    """The assignments in a ledger file; a bad line is an error naming file and line."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise NotebookError(f"{path}: cannot read the issued-assignments ledger: "
                            f"{getattr(exc, 'strerror', None) or exc}") from None
    found = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            found.append(_from_ledger(data))
        except (ValueError, TypeError, KeyError) as exc:
            raise NotebookError(f"{path}:{number}: not an issued assignment ({exc}); each "
                                f"line is {{\"id\", \"questions\", \"candidate\", "
                                f"\"details\"}}") from None
    return found


def _from_ledger(data: Any) -> Assignment:
    if not isinstance(data, dict):
        raise TypeError("not a JSON object")
    ident, questions = data["id"], data["questions"]
    candidate, details = data.get("candidate"), data.get("details") or {}
    if not is_assignment_id(ident):
        raise ValueError(f"'id' must be 1-{MAX_ID_LENGTH} letters, digits, '-' or '_'")
    if not isinstance(questions, list) or not all(isinstance(q, str) for q in questions):
        raise ValueError("'questions' must be a list of question ids")
    if candidate is not None and not isinstance(candidate, str):
        raise ValueError("'candidate' must be text or null")
    if not isinstance(details, dict):
        raise ValueError("'details' must be an object")
    return Assignment(id=ident, tasks=tuple(questions), candidate=candidate, details=details)


def record_ledger(gradebook: Gradebook, assignments: Sequence[Assignment]) -> int:
    """Record the ledger's assignments not yet in the gradebook; return how many were new.

    One already recorded must be identical: an assignment is never changed."""
    new = 0
    recorded = gradebook.assignments([assignment.id for assignment in assignments])
    for assignment in assignments:
        known = recorded.get(assignment.id)
        if known is None:
            gradebook.issue(assignment)
            recorded[assignment.id] = assignment
            new += 1
        elif known != assignment:
            raise NotebookError(f"assignment {assignment.id}: the ledger differs from what "
                                f"the gradebook {gradebook.url} recorded when it was issued")
    return new


@dataclass(frozen=True, kw_only=True)
class Resolved:
    """What a returned notebook is graded against, and what the reports must say."""

    questions: tuple[str, ...]
    candidate: str
    state: AssignmentState
    assignment_id: str | None
    notes: tuple[Event, ...]


def resolve(notebook: NotebookFile, gradebook: Gradebook | None) -> Resolved | str:
    """The questions `notebook` is graded against (see the module docstring), or the reason
    no question can be found at all."""
    meta = notebook.metadata
    claimed = meta.get("questions")
    claimed_list = (list(claimed) if isinstance(claimed, list)
                    and all(isinstance(q, str) for q in claimed) else None)
    ident = meta.get(ASSIGNMENT_FIELD)
    issued = _lookup(ident, gradebook)
    if isinstance(issued, Assignment):
        named = meta.get("candidate")
        changed = differences(issued, tasks=claimed_list if "questions" in meta else None,
                              candidate=named.strip() if isinstance(named, str) else None,
                              details={k: meta[k] for k in DETAILS if k in meta})
        notes = []
        if "questions" in meta and claimed_list is None:
            changed.insert(0, "questions that are not a list of ids")
        if changed:
            notes.append(Event(kind=EventKind.INTEGRITY,
                               detail=f"{EDITED_NOTE}: the notebook claims "
                                      f"{'; '.join(changed)}; graded against the issued "
                                      f"assignment {issued.id}"))
        return Resolved(questions=issued.tasks, candidate=issued.candidate or notebook.candidate,
                        state=AssignmentState.EDITED if changed else AssignmentState.VERIFIED,
                        assignment_id=issued.id, notes=tuple(notes))
    questions = claimed_list if claimed_list is not None else _tagged_questions(notebook)
    if not questions:
        return ("metadata.workbook.questions is missing or not a list of question ids, and "
                "no cell is tagged with a question; the notebook was not built by `workbook "
                "build` or was edited")
    note = Event(kind=EventKind.INTEGRITY,
                 detail=f"{NOT_VERIFIED_NOTE}: {issued}; graded from the notebook's own "
                        f"cells, which name {len(questions)} question(s)")
    return Resolved(questions=tuple(questions), candidate=notebook.candidate,
                    state=AssignmentState.NOT_VERIFIED,
                    assignment_id=ident if is_assignment_id(ident) else None, notes=(note,))


def _lookup(ident: Any, gradebook: Gradebook | None) -> Assignment | str:
    """The authentic assignment under `ident`, or why there is none."""
    if ident is None:
        return "the notebook names no issued assignment"
    if not is_assignment_id(ident):
        return "the notebook's assignment id is not one this project issues"
    if gradebook is None:
        return f"no gradebook to look assignment {ident} up in"
    found = gradebook.assignment(ident)
    if found is None:
        return f"assignment {ident} was not issued from this gradebook"
    assignment, authentic = found
    if not authentic:
        return (f"the gradebook's record of assignment {ident} fails its signature (it was "
                f"changed after it was issued)")
    return assignment


def _tagged_questions(notebook: NotebookFile) -> list[str]:
    """The questions the notebook's cells are tagged with, in the order they first appear."""
    return list(dict.fromkeys(cell.question for cell in notebook.cells if cell.question))


def assignment_label(state: AssignmentState) -> str:
    """How reports say the assignment state, in words."""
    return {AssignmentState.VERIFIED: "verified",
            AssignmentState.EDITED: "EDITED: the notebook's claims differ from the issued "
                                    "assignment",
            AssignmentState.NOT_VERIFIED: "not verified: graded from the notebook's cells"
            }[state]
