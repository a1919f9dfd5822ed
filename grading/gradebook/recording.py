"""Recording one submission's results as plain SQL in one driver transaction (`driver.py`).

The rows are those SQLAlchemy's ORM wrote from the models (`models.py`), in the same order
(so with the same ids): the candidate, found or created; the submission; its question
results in task order, each with its hidden then public checks; its events, the
submission-wide ones first and then each task's, linked to their question result.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from grading.gradebook.driver import Write
from grading.results import Event, SubmissionResult


def record(write: Write, result: SubmissionResult, workbook_meta: Mapping[str, Any],
           now: datetime, *, releasing: str | None = None) -> None:
    """Write `result` and everything in it; with `releasing` (an owner), drop that
    owner's claim on it in the same transaction."""
    meta = dict(workbook_meta)
    meta_text = write.json(meta)
    at = write.moment(now)
    candidate_id = candidate(write, result.candidate, at)
    submission_id = write.insert(
        "INSERT INTO submissions (candidate_id, content_hash, source_path, status, points, "
        "max_points, seconds, bank_version, workbook_meta, recorded_at, assignment_id, "
        "assignment_state) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [candidate_id, result.content_hash, result.source, str(result.status), result.points,
         result.max_points, result.seconds, _text_or_none(meta.get("bank_version")),
         meta_text, at, result.assignment_id, str(result.assignment)])
    assert submission_id is not None  # a plain INSERT inserts its row or raises
    events = _event_rows(submission_id, None, result.events, 0)
    checks: list[tuple[Any, ...]] = []
    for index, task in enumerate(result.tasks):
        question_id = write.insert(
            "INSERT INTO question_results (submission_id, position, question_id, points, "
            "max_points, answer) VALUES (?, ?, ?, ?, ?, ?)",
            [submission_id, index, task.task_id, task.points, task.max_points, task.answer])
        assert question_id is not None
        checks.extend((question_id, position, c.name, c.hidden, c.passed, c.points,
                       c.max_points, c.message)
                      for position, c in enumerate((*task.checks, *task.public_checks)))
        events.extend(_event_rows(submission_id, question_id, task.events, len(events)))
    write.many("INSERT INTO check_results (question_result_id, position, name, hidden, "
               "passed, points, max_points, message) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", checks)
    write.many("INSERT INTO events (submission_id, question_result_id, position, kind, "
               "task_id, detail) VALUES (?, ?, ?, ?, ?, ?)", events)
    if releasing is not None:
        write.execute("DELETE FROM claims WHERE owner = ? AND content_hash = ?",
                      [releasing, result.content_hash])


def candidate(write: Write, name: str, at: Any) -> int:
    """The id of the candidate called `name`, created if absent. Of two graders creating
    one at once, the database lets one insert through and the other finds its row."""
    found = write.rows("SELECT id FROM candidates WHERE name = ?", [name])
    if found:
        return int(found[0][0])
    created = write.insert("INSERT INTO candidates (name, created_at) VALUES (?, ?) "
                           "ON CONFLICT (name) DO NOTHING", [name, at])
    if created is not None:
        return created
    # another writer created it between our look-up and insert (and has committed it)
    return int(write.rows("SELECT id FROM candidates WHERE name = ?", [name])[0][0])


def _event_rows(submission_id: int, question_id: int | None, events: tuple[Event, ...],
                start: int) -> list[tuple[Any, ...]]:
    return [(submission_id, question_id, start + i, str(e.kind), e.task_id, e.detail)
            for i, e in enumerate(events)]


def _text_or_none(value: Any) -> str | None:
    return None if value is None else str(value)
