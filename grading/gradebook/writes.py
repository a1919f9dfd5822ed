"""Writing the gradebook through SQLAlchemy's ORM: every transaction that changes it.

`Gradebook` (store.py) makes this part only when something is to be written (or, on a
server, when it is opened), so a run that only reads a SQLite gradebook never imports
SQLAlchemy; its reads go through the driver (`reads.py`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, create_engine, delete, event, select, text, update
from sqlalchemy.engine import URL
from sqlalchemy.exc import ArgumentError, IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session

from grading.assignment import Assignment, signature
from grading.errors import GradebookError
from grading.gradebook.keys import row_key
from grading.gradebook.migrations import Migration, migrate
from grading.gradebook.models import (
    AnswerKeyRow,
    AssignmentRow,
    CandidateRow,
    CheckResultRow,
    ClaimRow,
    EventRow,
    QuestionResultRow,
    SubmissionRow,
)
from grading.gradebook.reads import SQLITE_BUSY_TIMEOUT_MS, reason
from grading.results import Event, SubmissionResult, SubmissionStatus

#: statuses that settle a submission: grading it again would give the same outcome
SETTLED = (SubmissionStatus.GRADED, SubmissionStatus.REFUSED)


def engine_for(url: URL, shown: str) -> Engine:
    """An engine for `url` (SQLite configured for sharing one file); not migrated."""
    try:
        engine = create_engine(url)
    except (ArgumentError, ImportError) as exc:
        raise GradebookError(f"gradebook {shown}: {exc}") from None
    if engine.dialect.name == "sqlite":
        _configure_sqlite(engine)
    return engine


def migrated(engine: Engine, shown: str,
             migrations: tuple[tuple[str, Migration], ...] | None = None) -> list[str]:
    """Run the migrations the database lacks (the engine's own by default)."""
    try:
        return migrate(engine) if migrations is None else migrate(engine, migrations)
    except SQLAlchemyError as exc:
        raise GradebookError(f"gradebook {shown}: cannot open or migrate it: "
                             f"{reason(exc)}") from None


def _configure_sqlite(engine: Engine, *, durable: bool = True) -> None:
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # let SQLAlchemy's "begin" event issue BEGIN itself (pysqlite's own is deferred)
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        # in WAL mode, FULL waits for the disk at every commit; NORMAL leaves the commit
        # in the log for the next FULL commit (or checkpoint) to make durable
        cursor.execute(f"PRAGMA synchronous = {'FULL' if durable else 'NORMAL'}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection: Any) -> None:
        # take the write lock up front: a deferred transaction that reads and then writes
        # fails at once when another writer got in between, whatever the busy timeout
        connection.exec_driver_sql("BEGIN IMMEDIATE")


class Writes:
    """The gradebook's writing transactions on one engine; `url` names it in errors."""

    def __init__(self, engine: Engine, url: str) -> None:
        self.engine = engine
        self.url = url
        self._claims_engine: Engine | None = None

    def close(self) -> None:
        self.engine.dispose()
        if self._claims_engine is not None:
            self._claims_engine.dispose()

    def _claims(self) -> Engine:
        """The engine claims are written through. A claim need not survive a power cut
        (the grader holding it would not either, and its lease lapses), so on a SQLite
        file its commits do not wait for the disk: each would cost a submission about
        as long as a small result's whole recording. The next recording's commit makes
        them durable with it. Elsewhere the gradebook's own engine (a PostgreSQL claim
        says so per transaction, `transaction(durable=False)`)."""
        if self.engine.dialect.name != "sqlite" \
                or self.engine.url.database in (None, "", ":memory:"):
            return self.engine
        if self._claims_engine is None:
            self._claims_engine = create_engine(self.engine.url)
            _configure_sqlite(self._claims_engine, durable=False)
        return self._claims_engine

    def migrate_also(self, migrations: tuple[tuple[str, Migration], ...]) -> list[str]:
        try:
            return migrate(self.engine, migrations)
        except SQLAlchemyError as exc:
            raise GradebookError(f"gradebook {self.url}: cannot migrate it: "
                                 f"{reason(exc)}") from None

    @contextmanager
    def transaction(self, doing: str, *, durable: bool = True) -> Iterator[Session]:
        """A transaction; with `durable` false, one that may be lost in a power cut
        (only claims are written so)."""
        engine = self.engine if durable else self._claims()
        try:
            with Session(engine, expire_on_commit=False) as session, session.begin():
                if not durable and engine.dialect.name == "postgresql":
                    session.execute(text("SET LOCAL synchronous_commit = off"))
                yield session
        except SQLAlchemyError as exc:
            raise GradebookError(f"gradebook {self.url}: cannot {doing}: "
                                 f"{reason(exc)}") from None
        except (TypeError, ValueError) as exc:
            # some drivers (psycopg) reject a value they cannot adapt before SQLAlchemy sees it
            raise GradebookError(f"gradebook {self.url}: cannot {doing}: {exc}") from None

    def row_key(self) -> bytes:
        """The signing key kept in the database (a server's; SQLite keeps a file)."""
        try:
            return row_key(self.engine)
        except SQLAlchemyError as exc:
            raise GradebookError(f"gradebook {self.url}: cannot read its signing key: "
                                 f"{reason(exc)}") from None

    def issue(self, assignment: Assignment, key: bytes) -> None:
        with self.transaction(f"record assignment {assignment.id}") as session:
            if session.get(AssignmentRow, assignment.id) is not None:
                raise GradebookError(f"gradebook {self.url}: assignment {assignment.id} "
                                     f"was issued already; an assignment is never changed")
            session.add(AssignmentRow(id=assignment.id, candidate=assignment.candidate,
                                      tasks=list(assignment.tasks),
                                      details=dict(assignment.details),
                                      issued_at=datetime.now(UTC),
                                      signature=signature(assignment, key)))

    def keep_answer_key(self, digest: str, data: bytes, signed: str) -> None:
        with self.transaction("keep an answer key") as session:
            session.execute(delete(AnswerKeyRow).where(AnswerKeyRow.digest == digest))
            try:
                with session.begin_nested():
                    session.add(AnswerKeyRow(digest=digest, data=data, signature=signed,
                                             created_at=datetime.now(UTC)))
            except IntegrityError:
                return

    def claim(self, content_hash: str, owner: str, lease: timedelta, *,
              unless_settled: bool, is_gone: Callable[[str], bool]) -> bool:
        now = datetime.now(UTC)
        with self.transaction("claim a submission", durable=False) as session:
            if unless_settled and session.scalar(
                    select(SubmissionRow.id).where(SubmissionRow.content_hash == content_hash,
                                                   SubmissionRow.status.in_(SETTLED))
                    .limit(1)) is not None:
                return False
            holder = session.get(ClaimRow, content_hash)
            if holder is not None and (_aware(holder.expires_at) < now
                                       or is_gone(holder.owner)):
                session.execute(delete(ClaimRow).where(ClaimRow.content_hash == content_hash,
                                                       ClaimRow.owner == holder.owner))
            try:
                with session.begin_nested():
                    session.add(ClaimRow(content_hash=content_hash, owner=owner,
                                         claimed_at=now, expires_at=now + lease))
            except IntegrityError:
                return False
        return True

    def claim_owner(self, content_hash: str) -> str | None:
        with self.transaction("look up a claim") as session:
            owner: str | None = session.scalar(
                select(ClaimRow.owner).where(ClaimRow.content_hash == content_hash,
                                             ClaimRow.expires_at >= datetime.now(UTC)))
            return owner

    def renew_claims(self, owner: str, lease: timedelta) -> None:
        with self.transaction("renew claims", durable=False) as session:
            session.execute(update(ClaimRow).where(ClaimRow.owner == owner)
                            .values(expires_at=datetime.now(UTC) + lease))

    def release(self, owner: str, content_hash: str | None = None) -> None:
        query = delete(ClaimRow).where(ClaimRow.owner == owner)
        if content_hash is not None:
            query = query.where(ClaimRow.content_hash == content_hash)
        with self.transaction("release claims", durable=False) as session:
            session.execute(query)

    def record_submission(self, result: SubmissionResult, *,
                          workbook_meta: Mapping[str, Any],
                          releasing: str | None = None) -> None:
        with self.transaction(f"record {result.source}") as session:
            candidate_id = self._candidate_id(session, result.candidate)
            session.add(_submission_row(result, candidate_id, dict(workbook_meta)))
            if releasing is not None:
                session.execute(delete(ClaimRow).where(
                    ClaimRow.owner == releasing, ClaimRow.content_hash == result.content_hash))

    def _candidate_id(self, session: Session, name: str) -> int:
        found = session.scalar(select(CandidateRow.id).where(CandidateRow.name == name))
        if found is not None:
            return found
        try:
            with session.begin_nested():
                row = CandidateRow(name=name, created_at=datetime.now(UTC))
                session.add(row)
        except IntegrityError:  # another writer created it between our look-up and insert
            return session.scalars(select(CandidateRow.id)
                                   .where(CandidateRow.name == name)).one()
        return row.id


def _aware(moment: datetime) -> datetime:
    """SQLite gives back the UTC times it was given without their zone; a server, with it."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _event_rows(events: tuple[Event, ...], start: int) -> list[EventRow]:
    return [EventRow(position=start + i, kind=str(e.kind), task_id=e.task_id, detail=e.detail)
            for i, e in enumerate(events)]


def _submission_row(result: SubmissionResult, candidate_id: int,
                    workbook_meta: dict[str, Any]) -> SubmissionRow:
    row = SubmissionRow(
        candidate_id=candidate_id, content_hash=result.content_hash, source_path=result.source,
        status=str(result.status), points=result.points, max_points=result.max_points,
        seconds=result.seconds, bank_version=_text_or_none(workbook_meta.get("bank_version")),
        workbook_meta=workbook_meta, recorded_at=datetime.now(UTC),
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
    return row


def _text_or_none(value: Any) -> str | None:
    return None if value is None else str(value)
