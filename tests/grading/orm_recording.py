"""The reference for the driver-level recording (`grading/gradebook/recording.py`): how the
gradebook recorded a submission through SQLAlchemy's ORM before it wrote plain SQL, kept
here so tests can compare the rows both write, and read rows back through the models."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from grading.assignment import AssignmentState
from grading.gradebook.models import (
    CandidateRow,
    CheckResultRow,
    ClaimRow,
    EventRow,
    QuestionResultRow,
    SubmissionRow,
)
from grading.results import (
    CheckResult,
    Event,
    EventKind,
    SubmissionResult,
    SubmissionStatus,
    TaskResult,
)


def orm_record(session: Session, result: SubmissionResult, workbook_meta: dict[str, Any], *,
               created_at: datetime, recorded_at: datetime,
               releasing: str | None = None) -> None:
    """What `Writes.record_submission` did, at the given times."""
    candidate_id = session.scalar(select(CandidateRow.id)
                                  .where(CandidateRow.name == result.candidate))
    if candidate_id is None:
        candidate = CandidateRow(name=result.candidate, created_at=created_at)
        session.add(candidate)
        session.flush()
        candidate_id = candidate.id
    row = SubmissionRow(
        candidate_id=candidate_id, content_hash=result.content_hash, source_path=result.source,
        status=str(result.status), points=result.points, max_points=result.max_points,
        seconds=result.seconds,
        bank_version=None if workbook_meta.get("bank_version") is None
        else str(workbook_meta["bank_version"]),
        workbook_meta=workbook_meta, recorded_at=recorded_at,
        assignment_id=result.assignment_id, assignment_state=str(result.assignment))
    row.events = _event_rows(result.events, 0)
    position = len(result.events)
    for index, task in enumerate(result.tasks):
        question = QuestionResultRow(position=index, question_id=task.task_id,
                                     points=task.points, max_points=task.max_points,
                                     answer=task.answer)
        question.checks = [
            CheckResultRow(position=i, name=c.name, hidden=c.hidden, passed=c.passed,
                           points=c.points, max_points=c.max_points, message=c.message)
            for i, c in enumerate((*task.checks, *task.public_checks))]
        task_events = _event_rows(task.events, position)
        position += len(task_events)
        for event_row in task_events:
            event_row.question = question
        row.questions.append(question)
        row.events.extend(task_events)
    session.add(row)
    if releasing is not None:
        session.execute(delete(ClaimRow).where(
            ClaimRow.owner == releasing, ClaimRow.content_hash == result.content_hash))


def _event_rows(events: tuple[Event, ...], start: int) -> list[EventRow]:
    return [EventRow(position=start + i, kind=str(e.kind), task_id=e.task_id, detail=e.detail)
            for i, e in enumerate(events)]


def orm_read(session: Session, content_hash: str) -> tuple[SubmissionResult, dict[str, Any],
                                                          str | None]:
    """The latest submission with this hash as the models read it: the result, its
    workbook metadata and its bank version."""
    row = session.scalars(select(SubmissionRow).where(SubmissionRow.content_hash == content_hash)
                          .order_by(SubmissionRow.id.desc()).limit(1)).one()

    def event(e: EventRow) -> Event:
        return Event(kind=EventKind(e.kind), detail=e.detail, task_id=e.task_id)

    def check(c: CheckResultRow) -> CheckResult:
        return CheckResult(name=c.name, passed=c.passed, points=c.points,
                           max_points=c.max_points, message=c.message, hidden=c.hidden)

    tasks = tuple(
        TaskResult(task_id=q.question_id, points=q.points, max_points=q.max_points,
                   checks=tuple(check(c) for c in q.checks if c.hidden),
                   public_checks=tuple(check(c) for c in q.checks if not c.hidden),
                   events=tuple(event(e) for e in row.events if e.question is q),
                   answer=q.answer)
        for q in row.questions)
    result = SubmissionResult(
        candidate=row.candidate.name, source=row.source_path, content_hash=row.content_hash,
        status=SubmissionStatus(row.status), tasks=tasks,
        events=tuple(event(e) for e in row.events if e.question is None),
        seconds=row.seconds,
        assignment=AssignmentState(row.assignment_state or AssignmentState.NOT_VERIFIED),
        assignment_id=row.assignment_id)
    return result, row.workbook_meta, row.bank_version
