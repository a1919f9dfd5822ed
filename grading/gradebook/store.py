"""The Gradebook: where every verdict is written the moment it exists.

SQLite (a file) by default, any SQLAlchemy URL otherwise (PostgreSQL for a team). Opening
a gradebook creates it or brings its schema up to date. Each submission's results are
written in one transaction, so a batch killed at any instant leaves whole submissions or
none. SQLite runs in WAL mode with a busy timeout and takes its write lock when a
transaction begins, so a batch and a live scoring panel can share one file.

The engine knows submissions, tasks, checks and events. Other parts of a program may keep
their own tables in the same database (the interview side keeps live scores there): they
bring their own migrations (`migrate_also`) and write through `transaction`.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, delete, event, func, select, update
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session, selectinload

from grading.assignment import Assignment, AssignmentState, is_authentic, signature
from grading.errors import GradebookError
from grading.gradebook.keys import signing_key
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
from grading.results import (
    CheckResult,
    Event,
    EventKind,
    SubmissionResult,
    SubmissionStatus,
    TaskResult,
)

#: how long a SQLite writer waits for another one before giving up, in milliseconds
SQLITE_BUSY_TIMEOUT_MS = 30_000

#: statuses that settle a submission: grading it again would give the same outcome
SETTLED = (SubmissionStatus.GRADED, SubmissionStatus.REFUSED)
#: keys (content hashes, assignment ids) per look-up query (old SQLite builds allow 999
#: parameters)
_HASHES_PER_QUERY = 500


def database_url(url_or_path: str | Path) -> URL:
    """A SQLAlchemy URL from a URL or a file path (a path means a SQLite file).

    `postgresql://` without a driver means psycopg 3, the driver this project installs.
    """
    text_form = str(url_or_path)
    if "://" not in text_form:
        return URL.create("sqlite", database=str(Path(text_form).expanduser().resolve()))
    try:
        url = make_url(text_form)
    except (ArgumentError, ValueError):
        raise GradebookError(f"gradebook URL {text_form!r} is not a valid SQLAlchemy URL "
                             f"(e.g. postgresql://user@host/db or a file path)") from None
    if url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    return url


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # let SQLAlchemy's "begin" event issue BEGIN itself (pysqlite's own is deferred)
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection: Any) -> None:
        # take the write lock up front: a deferred transaction that reads and then writes
        # fails at once when another writer got in between, whatever the busy timeout
        connection.exec_driver_sql("BEGIN IMMEDIATE")


class Gradebook:
    """Candidates, submissions, question and check results, and events."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self.url = engine.url.render_as_string(hide_password=True)
        self._signing_key: bytes | None = None

    @classmethod
    def open(cls, url_or_path: str | Path) -> Gradebook:
        """Open (creating and migrating if needed) the gradebook at a URL or SQLite path."""
        url = database_url(url_or_path)
        shown = url.render_as_string(hide_password=True)
        if url.get_backend_name() == "sqlite" and url.database:
            try:
                Path(url.database).parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise GradebookError(f"gradebook {shown}: cannot create its folder: "
                                     f"{exc.strerror}") from None
        try:
            engine = create_engine(url)
        except (ArgumentError, ImportError) as exc:
            raise GradebookError(f"gradebook {shown}: {exc}") from None
        if engine.dialect.name == "sqlite":
            _configure_sqlite(engine)
        try:
            migrate(engine)
        except SQLAlchemyError as exc:
            engine.dispose()
            raise GradebookError(f"gradebook {shown}: cannot open or migrate it: "
                                 f"{_reason(exc)}") from None
        return cls(engine)

    def close(self) -> None:
        self._engine.dispose()

    def __enter__(self) -> Gradebook:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    @property
    def dialect(self) -> str:
        """The database's SQLAlchemy dialect name ("sqlite", "postgresql", ...)."""
        return self._engine.dialect.name

    def migrate_also(self, migrations: tuple[tuple[str, Migration], ...]) -> list[str]:
        """Run another owner's migrations (their own names, recorded with the engine's)."""
        try:
            return migrate(self._engine, migrations)
        except SQLAlchemyError as exc:
            raise GradebookError(f"gradebook {self.url}: cannot migrate it: "
                                 f"{_reason(exc)}") from None

    def transaction(self, doing: str) -> AbstractContextManager[Session]:
        """A session in one transaction for another owner's tables; a database failure
        becomes a GradebookError saying what could not be done (`doing`)."""
        return self._transaction(doing)

    @contextmanager
    def _transaction(self, doing: str) -> Iterator[Session]:
        try:
            with Session(self._engine, expire_on_commit=False) as session, session.begin():
                yield session
        except SQLAlchemyError as exc:
            raise GradebookError(f"gradebook {self.url}: cannot {doing}: "
                                 f"{_reason(exc)}") from None
        except (TypeError, ValueError) as exc:
            # some drivers (psycopg) reject a value they cannot adapt before SQLAlchemy sees it
            raise GradebookError(f"gradebook {self.url}: cannot {doing}: {exc}") from None

    # -- issued assignments --------------------------------------------------------------

    def _key(self) -> bytes:
        if self._signing_key is None:
            try:
                self._signing_key = signing_key(self._engine)
            except SQLAlchemyError as exc:
                raise GradebookError(f"gradebook {self.url}: cannot read its signing key: "
                                     f"{_reason(exc)}") from None
        return self._signing_key

    def issue(self, assignment: Assignment) -> None:
        """Record an issued assignment, signed with this gradebook's key."""
        key = self._key()
        with self._transaction(f"record assignment {assignment.id}") as session:
            if session.get(AssignmentRow, assignment.id) is not None:
                raise GradebookError(f"gradebook {self.url}: assignment {assignment.id} "
                                     f"was issued already; an assignment is never changed")
            session.add(AssignmentRow(id=assignment.id, candidate=assignment.candidate,
                                      tasks=list(assignment.tasks),
                                      details=dict(assignment.details),
                                      issued_at=datetime.now(UTC),
                                      signature=signature(assignment, key)))

    def assignment(self, assignment_id: str) -> tuple[Assignment, bool] | None:
        """The assignment issued under this id, and whether its signature holds (False:
        the record was changed after it was issued), or None when no such id was issued."""
        with self._transaction("read an assignment") as session:
            row = session.get(AssignmentRow, assignment_id)
            if row is None:
                return None
            found, recorded = _assignment(row), row.signature
        return found, is_authentic(found, recorded, self._key())

    def assignments(self, assignment_ids: Sequence[str]) -> dict[str, Assignment]:
        """The assignments issued under these ids, by id, as recorded (whether each is
        authentic is `assignment`'s to say); ids never issued are left out."""
        found: dict[str, Assignment] = {}
        for start in range(0, len(assignment_ids), _HASHES_PER_QUERY):
            chunk = list(assignment_ids[start:start + _HASHES_PER_QUERY])
            with self._transaction("read assignments") as session:
                rows = session.scalars(select(AssignmentRow)
                                       .where(AssignmentRow.id.in_(chunk))).all()
                found.update((row.id, _assignment(row)) for row in rows)
        return found

    # -- answer keys: what the references observed, for later runs ----------------------

    def _answer_key_signature(self, digest: str, data: bytes) -> str:
        message = b"answer-key\0" + digest.encode() + b"\0" + data  # not an assignment's
        return hmac.new(self._key(), message, hashlib.sha256).hexdigest()

    def answer_key(self, digest: str) -> bytes | None:
        """The answer key kept under `digest` (grading/answer_keys.py), or None: none
        kept, or its signature fails (then it is made again, and kept in its place)."""
        with self._transaction("read an answer key") as session:
            row = session.get(AnswerKeyRow, digest)
            if row is None:
                return None
            data, recorded = bytes(row.data), row.signature
        if not hmac.compare_digest(self._answer_key_signature(digest, data), recorded):
            return None
        return data

    def keep_answer_key(self, digest: str, data: bytes) -> None:
        """Keep an answer key under `digest`, signed, in place of any row there (one that
        failed its signature). Of two graders keeping one at once, the first stays: they
        made the same key."""
        signed = self._answer_key_signature(digest, data)
        with self._transaction("keep an answer key") as session:
            session.execute(delete(AnswerKeyRow).where(AnswerKeyRow.digest == digest))
            try:
                with session.begin_nested():
                    session.add(AnswerKeyRow(digest=digest, data=data, signature=signed,
                                             created_at=datetime.now(UTC)))
            except IntegrityError:
                return

    # -- claims: graders sharing one gradebook -------------------------------------------

    def claim(self, content_hash: str, owner: str, lease: timedelta, *,
              unless_settled: bool = True,
              is_gone: Callable[[str], bool] = lambda _owner: False) -> bool:
        """Take the submission for `owner` for `lease`, unless another grader holds a live
        claim on it (or, with `unless_settled`, it was graded or refused meanwhile). A claim
        whose owner `is_gone` (known dead) counts as lapsed.

        The claim is a row whose key is the submission: of two graders inserting it at
        once the database lets one through, whatever the isolation level."""
        now = datetime.now(UTC)
        with self._transaction("claim a submission") as session:
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
        """Who holds a live (unexpired) claim on the submission, if anyone."""
        with self._transaction("look up a claim") as session:
            owner: str | None = session.scalar(
                select(ClaimRow.owner).where(ClaimRow.content_hash == content_hash,
                                             ClaimRow.expires_at >= datetime.now(UTC)))
            return owner

    def renew_claims(self, owner: str, lease: timedelta) -> None:
        """Extend every claim `owner` holds by `lease` from now."""
        with self._transaction("renew claims") as session:
            session.execute(update(ClaimRow).where(ClaimRow.owner == owner)
                            .values(expires_at=datetime.now(UTC) + lease))

    def release(self, owner: str, content_hash: str | None = None) -> None:
        """Drop `owner`'s claim on one submission, or all of them."""
        query = delete(ClaimRow).where(ClaimRow.owner == owner)
        if content_hash is not None:
            query = query.where(ClaimRow.content_hash == content_hash)
        with self._transaction("release claims") as session:
            session.execute(query)

    def recorded_since(self, content_hash: str, since: datetime) -> SubmissionResult | None:
        """The latest result of the submission recorded at or after `since`, if any."""
        with self._transaction("read a submission") as session:
            row = session.scalars(self._submissions_query()
                                  .where(SubmissionRow.content_hash == content_hash,
                                         SubmissionRow.recorded_at >= since)
                                  .order_by(SubmissionRow.id.desc()).limit(1)).first()
            return _submission_result(row) if row else None

    # -- batch grading -------------------------------------------------------------------

    def is_graded(self, content_hash: str) -> bool:
        """True when a submission with this hash was graded or refused (not when it failed)."""
        with self._transaction("look up a submission") as session:
            found = session.scalar(
                select(SubmissionRow.id).where(SubmissionRow.content_hash == content_hash,
                                               SubmissionRow.status.in_(SETTLED)).limit(1))
        return found is not None

    def record_submission(self, result: SubmissionResult, *,
                          workbook_meta: Mapping[str, Any]) -> None:
        """Write one submission and everything in it, in one transaction."""
        with self._transaction(f"record {result.source}") as session:
            candidate_id = self._candidate_id(session, result.candidate)
            session.add(_submission_row(result, candidate_id, dict(workbook_meta)))

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

    def submission(self, content_hash: str) -> SubmissionResult | None:
        """The latest recorded result of the submission with this hash, if any."""
        with self._transaction("read a submission") as session:
            row = session.scalars(self._submissions_query()
                                  .where(SubmissionRow.content_hash == content_hash)
                                  .order_by(SubmissionRow.id.desc()).limit(1)).first()
            return _submission_result(row) if row else None

    def submissions(self, content_hashes: Sequence[str]) -> dict[str, SubmissionResult]:
        """`submission` of each hash at once: the latest recorded result of each one the
        gradebook holds, by hash (a rerun reads a batch's results in a few queries)."""
        found: dict[str, SubmissionResult] = {}
        for start in range(0, len(content_hashes), _HASHES_PER_QUERY):
            chunk = list(content_hashes[start:start + _HASHES_PER_QUERY])
            latest = (select(func.max(SubmissionRow.id))
                      .where(SubmissionRow.content_hash.in_(chunk))
                      .group_by(SubmissionRow.content_hash).scalar_subquery())
            with self._transaction("read submissions") as session:
                rows = session.scalars(self._submissions_query()
                                       .where(SubmissionRow.id.in_(latest))).all()
                found.update((row.content_hash, _submission_result(row)) for row in rows)
        return found

    def results(self, candidate: str | None = None) -> list[SubmissionResult]:
        """The latest recorded result of each submitted file of each candidate (or of one),
        by candidate name. Two files that claim one candidate are both returned: which one
        counts is for a person to decide, never for the order they were graded in."""
        return list(self.iter_results(candidate))

    def iter_results(self, candidate: str | None = None, *, page: int = 100
                     ) -> Iterator[SubmissionResult]:
        """`results`, read `page` submissions at a time: a cohort of any size is walked
        holding one page (and the ids of the rest) in memory."""
        latest = (select(func.max(SubmissionRow.id))
                  .group_by(SubmissionRow.candidate_id, SubmissionRow.source_path)
                  .scalar_subquery())
        query = (select(SubmissionRow.id).join(SubmissionRow.candidate)
                 .where(SubmissionRow.id.in_(latest)))
        if candidate is not None:
            query = query.where(CandidateRow.name == candidate)
        with self._transaction("read results") as session:
            ids = session.scalars(query.order_by(CandidateRow.name, SubmissionRow.id)).all()
        for start in range(0, len(ids), page):
            chunk = ids[start:start + page]
            with self._transaction("read results") as session:
                rows = {row.id: _submission_result(row) for row in session.scalars(
                    self._submissions_query().where(SubmissionRow.id.in_(chunk)))}
            yield from (rows[i] for i in chunk if i in rows)

    @staticmethod
    def _submissions_query() -> Any:
        return (select(SubmissionRow).join(SubmissionRow.candidate)
                .options(selectinload(SubmissionRow.candidate),
                         selectinload(SubmissionRow.events),
                         selectinload(SubmissionRow.questions)
                         .selectinload(QuestionResultRow.checks)))




def _assignment(row: AssignmentRow) -> Assignment:
    tasks = row.tasks if isinstance(row.tasks, list) else []
    return Assignment(id=row.id, tasks=tuple(str(t) for t in tasks), candidate=row.candidate,
                      details=row.details if isinstance(row.details, dict) else {})


def _aware(moment: datetime) -> datetime:
    """SQLite gives back the UTC times it was given without their zone; a server, with it."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _reason(exc: Exception) -> str:
    original = getattr(exc, "orig", None)
    text_form = str(original if original is not None else exc)
    return text_form.strip().splitlines()[0] if text_form.strip() else type(exc).__name__


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


def _check(row: CheckResultRow) -> CheckResult:
    return CheckResult(name=row.name, passed=row.passed, points=row.points,
                       max_points=row.max_points, message=row.message, hidden=row.hidden)


def _event(row: EventRow) -> Event:
    return Event(kind=EventKind(row.kind), detail=row.detail, task_id=row.task_id)


def _submission_result(row: SubmissionRow) -> SubmissionResult:
    by_question: dict[int, list[Event]] = {}
    submission_events = []
    for event_row in row.events:
        if event_row.question_result_id is None:
            submission_events.append(_event(event_row))
        else:
            by_question.setdefault(event_row.question_result_id, []).append(_event(event_row))
    tasks = tuple(
        TaskResult(task_id=q.question_id, points=q.points, max_points=q.max_points,
                   checks=tuple(_check(c) for c in q.checks if c.hidden),
                   public_checks=tuple(_check(c) for c in q.checks if not c.hidden),
                   events=tuple(by_question.get(q.id, ())), answer=q.answer)
        for q in row.questions)
    return SubmissionResult(candidate=row.candidate.name, source=row.source_path,
                            content_hash=row.content_hash, status=SubmissionStatus(row.status),
                            tasks=tasks, events=tuple(submission_events), seconds=row.seconds,
                            assignment=_assignment_state(row.assignment_state),
                            assignment_id=row.assignment_id)


def _assignment_state(recorded: str | None) -> AssignmentState:
    try:
        return AssignmentState(recorded or AssignmentState.NOT_VERIFIED)
    except ValueError:
        return AssignmentState.NOT_VERIFIED
