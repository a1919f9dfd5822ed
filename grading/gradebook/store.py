"""The Gradebook: where every verdict is written the moment it exists.

SQLite (a file) by default, any SQLAlchemy URL otherwise (PostgreSQL for a team). Opening
a gradebook creates it or brings its schema up to date. Each submission's results are
written in one transaction, so a batch killed at any instant leaves whole submissions or
none. SQLite runs in WAL mode with a busy timeout and takes its write lock when a
transaction begins, so a batch and a live scoring panel can share one file.

Reads go through the database's driver (`reads.py`), and so do the writes a grading run
makes: each submission's claim, its results and the claim's release, and answer keys, as
plain SQL (`recorder.py`; through the ORM they cost a third of a batch's main thread).
The rest (issued assignments, a server's migrations, other owners' tables) goes through
SQLAlchemy's ORM (`writes.py`), made on the first such write: a SQLite gradebook (made or
brought up to date by `sqlite_steps.py`) is opened, read, graded into and closed without
importing SQLAlchemy, which is most of what a rerun on a graded folder would otherwise
spend (issue 13).

The engine knows submissions, tasks, checks and events. Other parts of a program may keep
their own tables in the same database (the interview side keeps live scores there): they
bring their own migrations (`migrate_also`), write through `transaction` and read through
`reading`.
"""

from __future__ import annotations

import hmac
import sqlite3
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from grading.assignment import Assignment, AssignmentState, is_authentic
from grading.errors import GradebookError
from grading.gradebook.claiming import SETTLED
from grading.gradebook.driver import PooledWrites, SqliteWrites
from grading.gradebook.keys import file_key, key_file
from grading.gradebook.migrations import MIGRATIONS, Migration
from grading.gradebook.reads import (
    Read,
    Reads,
    ServerReads,
    SqliteReads,
    applied_names,
    placeholders,
    reason,
    sqlite_url,
)
from grading.gradebook.recorder import Recorder
from grading.gradebook.sqlite_steps import SQLITE_STEPS, SqliteSteps, migrate_file
from grading.results import (
    CheckResult,
    Event,
    EventKind,
    SubmissionResult,
    SubmissionStatus,
    TaskResult,
)

if TYPE_CHECKING:
    from sqlalchemy.engine import URL
    from sqlalchemy.orm import Session

    from grading.gradebook.writes import Writes

#: keys (content hashes, assignment ids, submission ids) per look-up query (old SQLite
#: builds allow 999 parameters)
_HASHES_PER_QUERY = 500


def database_url(url_or_path: str | Path) -> URL:
    """A SQLAlchemy URL from a URL or a file path (a path means a SQLite file).

    `postgresql://` without a driver means psycopg 3, the driver this project installs.
    """
    from sqlalchemy.engine import URL, make_url
    from sqlalchemy.exc import ArgumentError

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


def _migrated_file(database: Path) -> bool:
    """Whether the SQLite file exists and has run every engine migration (read through
    sqlite3; anything unexpected leaves the answer to SQLAlchemy's migration)."""
    if not database.is_file():
        return False
    reads = SqliteReads(database)
    try:
        with reads.read() as read:
            return applied_names(read) >= {name for name, _step in MIGRATIONS}
    except sqlite3.Error:
        return False
    finally:
        reads.close()


def _migrated_by_sqlite(database: Path,
                        migrations: tuple[tuple[str, Migration], ...] = MIGRATIONS,
                        steps: SqliteSteps = SQLITE_STEPS) -> bool:
    """Whether the file could be brought up to date (created if absent) with the
    migrations' SQLite text (`sqlite_steps.py`), without SQLAlchemy; anything unexpected
    leaves it to SQLAlchemy's migration, which says what is wrong."""
    try:
        return migrate_file(database, migrations, steps)
    except sqlite3.Error:
        return False


class Gradebook:
    """Candidates, submissions, question and check results, and events."""

    def __init__(self, url: str, *, dialect: str, reads: Reads, recorder: Recorder,
                 writes: Writes | None = None, make_writes: Callable[[], Writes] | None = None,
                 key_path: Path | None = None) -> None:
        self.url = url
        self._dialect = dialect
        self._reads = reads
        self._recorder = recorder
        self._writes_made = writes
        self._make_writes = make_writes
        self._key_path = key_path
        self._signing_key: bytes | None = None

    @classmethod
    def open(cls, url_or_path: str | Path) -> Gradebook:
        """Open (creating and migrating if needed) the gradebook at a URL or SQLite path."""
        text_form = str(url_or_path)
        if "://" not in text_form:  # a SQLite file: read without SQLAlchemy when migrated
            database = Path(text_form).expanduser().resolve()
            shown = sqlite_url(database)
            try:
                database.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise GradebookError(f"gradebook {shown}: cannot create its folder: "
                                     f"{exc.strerror}") from None
            if _migrated_file(database) or _migrated_by_sqlite(database):
                return cls(shown, dialect="sqlite", reads=SqliteReads(database),
                           recorder=Recorder(SqliteWrites(database), shown),
                           make_writes=lambda: _writes_for(database_url(database), shown),
                           key_path=key_file(str(database)))
        return cls._opened_by_sqlalchemy(database_url(text_form))

    @classmethod
    def _opened_by_sqlalchemy(cls, url: URL) -> Gradebook:
        from grading.gradebook.writes import migrated

        shown = url.render_as_string(hide_password=True)
        database = url.database if url.get_backend_name() == "sqlite" else None
        if database:
            try:
                Path(database).parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise GradebookError(f"gradebook {shown}: cannot create its folder: "
                                     f"{exc.strerror}") from None
        writes = _writes_for(url, shown)
        try:
            migrated(writes.engine, shown)
        except GradebookError:
            writes.close()
            raise
        from sqlalchemy.exc import SQLAlchemyError

        dialect = writes.engine.dialect.name
        driver_error: type[Exception] = writes.engine.dialect.loaded_dbapi.Error
        on_file = dialect == "sqlite" and database not in (None, "", ":memory:")
        errors = (SQLAlchemyError, driver_error)
        reads: Reads = (SqliteReads(Path(str(database))) if on_file
                        else ServerReads(writes.engine.raw_connection,
                                         sqlite=dialect == "sqlite", errors=errors))
        recorder = Recorder(SqliteWrites(Path(str(database))) if on_file
                            else PooledWrites(writes.engine.raw_connection,
                                              sqlite=dialect == "sqlite", errors=errors),
                            shown)
        return cls(shown, dialect=dialect, reads=reads, recorder=recorder, writes=writes,
                   key_path=key_file(str(database)) if on_file else None)

    def _writes(self) -> Writes:
        if self._writes_made is None:
            assert self._make_writes is not None
            self._writes_made = self._make_writes()
        return self._writes_made

    def close(self) -> None:
        self._reads.close()
        self._recorder.close()
        if self._writes_made is not None:
            self._writes_made.close()

    def __enter__(self) -> Gradebook:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    @property
    def dialect(self) -> str:
        """The database's SQLAlchemy dialect name ("sqlite", "postgresql", ...)."""
        return self._dialect

    def migrate_also(self, migrations: tuple[tuple[str, Migration], ...],
                     sqlite_steps: SqliteSteps | None = None) -> list[str]:
        """Run another owner's migrations (their own names, recorded with the engine's);
        on a SQLite file from `sqlite_steps`, their SQLite text, when it has every one
        missing (no SQLAlchemy then: `sqlite_steps.py`)."""
        if isinstance(self._reads, SqliteReads):
            with self.reading("look up its migrations") as read:
                missing = [name for name, _step in migrations
                           if name not in applied_names(read)]
            if not missing:
                return []
            if sqlite_steps is not None and _migrated_by_sqlite(
                    self._reads.database, migrations, sqlite_steps):
                return missing
        return self._writes().migrate_also(migrations)

    def transaction(self, doing: str) -> AbstractContextManager[Session]:
        """A session in one transaction for another owner's tables; a database failure
        becomes a GradebookError saying what could not be done (`doing`)."""
        return self._writes().transaction(doing)

    @contextmanager
    def reading(self, doing: str) -> Iterator[Read]:
        """One read transaction through the driver (see `reads.py`), for this module and
        another owner's tables; a database failure becomes a GradebookError saying what
        could not be done (`doing`)."""
        try:
            with self._reads.read() as read:
                yield read
        except self._reads.errors as exc:
            raise GradebookError(f"gradebook {self.url}: cannot {doing}: "
                                 f"{reason(exc)}") from None

    # -- issued assignments --------------------------------------------------------------

    def _key(self) -> bytes:
        if self._signing_key is None:
            self._signing_key = (file_key(self._key_path) if self._key_path is not None
                                 else self._writes().row_key())
        return self._signing_key

    def issue(self, assignment: Assignment) -> None:
        """Record an issued assignment, signed with this gradebook's key."""
        self._writes().issue(assignment, self._key())

    def assignment(self, assignment_id: str) -> tuple[Assignment, bool] | None:
        """The assignment issued under this id, and whether its signature holds (False:
        the record was changed after it was issued), or None when no such id was issued."""
        with self.reading("read an assignment") as read:
            rows = _assignment_rows(read, [assignment_id])
        if not rows:
            return None
        found, recorded = rows[0]
        return found, is_authentic(found, recorded, self._key())

    def assignments(self, assignment_ids: Sequence[str]) -> dict[str, Assignment]:
        """The assignments issued under these ids, by id, as recorded (whether each is
        authentic is `assignment`'s to say); ids never issued are left out."""
        found: dict[str, Assignment] = {}
        for start in range(0, len(assignment_ids), _HASHES_PER_QUERY):
            chunk = list(assignment_ids[start:start + _HASHES_PER_QUERY])
            with self.reading("read assignments") as read:
                found.update((row.id, row) for row, _signed in _assignment_rows(read, chunk))
        return found

    # -- answer keys: what the references observed, for later runs ----------------------

    def _answer_key_signature(self, digest: str, data: bytes) -> str:
        message = b"answer-key\0" + digest.encode() + b"\0" + data  # not an assignment's
        return hmac.new(self._key(), message, "sha256").hexdigest()

    def answer_key(self, digest: str) -> bytes | None:
        """The answer key kept under `digest` (grading/answer_keys.py), or None: none
        kept, or its signature fails (then it is made again, and kept in its place)."""
        with self.reading("read an answer key") as read:
            rows = read.rows("SELECT data, signature FROM answer_keys WHERE digest = ?",
                             (digest,))
        if not rows:
            return None
        data, recorded = bytes(rows[0][0]), str(rows[0][1])
        if not hmac.compare_digest(self._answer_key_signature(digest, data), recorded):
            return None
        return data

    def keep_answer_key(self, digest: str, data: bytes) -> None:
        """Keep an answer key under `digest`, signed, in place of any row there (one that
        failed its signature). Of two graders keeping one at once, the first stays: they
        made the same key."""
        self._recorder.keep_answer_key(digest, data,
                                       self._answer_key_signature(digest, data))

    # -- claims: graders sharing one gradebook -------------------------------------------

    def claim(self, content_hash: str, owner: str, lease: timedelta, *,
              unless_settled: bool = True,
              is_gone: Callable[[str], bool] = lambda _owner: False) -> bool:
        """Take the submission for `owner` for `lease`, unless another grader holds a live
        claim on it (or, with `unless_settled`, it was graded or refused meanwhile). A claim
        whose owner `is_gone` (known dead) counts as lapsed.

        The claim is a row whose key is the submission: of two graders inserting it at
        once the database lets one through, whatever the isolation level."""
        return self._recorder.claim(content_hash, owner, lease, unless_settled=unless_settled,
                                    is_gone=is_gone)

    def claim_owner(self, content_hash: str) -> str | None:
        """Who holds a live (unexpired) claim on the submission, if anyone."""
        return self._recorder.claim_owner(content_hash)

    def renew_claims(self, owner: str, lease: timedelta) -> None:
        """Extend every claim `owner` holds by `lease` from now."""
        self._recorder.renew_claims(owner, lease)

    def release(self, owner: str, content_hash: str | None = None) -> None:
        """Drop `owner`'s claim on one submission, or all of them."""
        self._recorder.release(owner, content_hash)

    def recorded_since(self, content_hash: str, since: datetime) -> SubmissionResult | None:
        """The latest result of the submission recorded at or after `since`, if any."""
        with self.reading("read a submission") as read:
            ids = [ident for ident, at in read.rows(
                       "SELECT id, recorded_at FROM submissions WHERE content_hash = ?",
                       [content_hash]) if read.moment(at) >= since]
            return _results(read, [max(ids)]).get(max(ids)) if ids else None

    # -- batch grading -------------------------------------------------------------------

    def is_graded(self, content_hash: str) -> bool:
        """True when a submission with this hash was graded or refused (not when it failed)."""
        with self.reading("look up a submission") as read:
            return bool(read.rows(
                f"SELECT 1 FROM submissions WHERE content_hash = ? AND status IN "
                f"({placeholders(len(SETTLED))}) LIMIT 1",
                [content_hash, *map(str, SETTLED)]))

    def record_submission(self, result: SubmissionResult, *,
                          workbook_meta: Mapping[str, Any],
                          releasing: str | None = None) -> None:
        """Write one submission and everything in it, in one transaction; with
        `releasing` (an owner), that owner's claim on it is dropped in the same one (a
        commit waits for the disk: one per submission less)."""
        self._recorder.record_submission(result, workbook_meta=workbook_meta,
                                         releasing=releasing)

    def submission(self, content_hash: str) -> SubmissionResult | None:
        """The latest recorded result of the submission with this hash, if any."""
        return self.submissions([content_hash]).get(content_hash)

    def submissions(self, content_hashes: Sequence[str]) -> dict[str, SubmissionResult]:
        """`submission` of each hash at once: the latest recorded result of each one the
        gradebook holds, by hash (a rerun reads a batch's results in a few queries)."""
        found: dict[str, SubmissionResult] = {}
        for start in range(0, len(content_hashes), _HASHES_PER_QUERY):
            chunk = list(content_hashes[start:start + _HASHES_PER_QUERY])
            with self.reading("read submissions") as read:
                latest = [ident for (ident,) in read.rows(
                    f"SELECT max(id) FROM submissions WHERE content_hash IN "
                    f"({placeholders(len(chunk))}) GROUP BY content_hash", chunk)]
                found.update((result.content_hash, result)
                             for result in _results(read, latest).values())
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
        page = min(page, _HASHES_PER_QUERY)
        only = "AND c.name = ? " if candidate is not None else ""
        with self.reading("read results") as read:
            ids = [ident for (ident,) in read.rows(
                f"SELECT s.id FROM submissions s JOIN candidates c ON c.id = s.candidate_id "
                f"WHERE s.id IN (SELECT max(id) FROM submissions "
                f"GROUP BY candidate_id, source_path) {only}ORDER BY c.name, s.id",
                [] if candidate is None else [candidate])]
        for start in range(0, len(ids), page):
            chunk = ids[start:start + page]
            with self.reading("read results") as read:
                rows = _results(read, chunk)
            yield from (rows[i] for i in chunk if i in rows)

    def iter_answers(self, *, page: int = 1000
                     ) -> Iterator[tuple[str, str, str | None, str | None]]:
        """(candidate, source path, question id, answer) of every question of the
        submissions `iter_results` gives, in its order (by candidate, then submission, then
        question), and (candidate, source path, None, None) for one without questions:
        what comparing answers needs, read as plain rows, `page` submissions at a time,
        without building every result's checks and events."""
        page = min(page, _HASHES_PER_QUERY)
        with self.reading("read answers") as read:
            ids = [ident for (ident,) in read.rows(
                "SELECT s.id FROM submissions s JOIN candidates c ON c.id = s.candidate_id "
                "WHERE s.id IN (SELECT max(id) FROM submissions "
                "GROUP BY candidate_id, source_path) ORDER BY c.name, s.id")]
        for start in range(0, len(ids), page):
            chunk = ids[start:start + page]
            order = {submission: i for i, submission in enumerate(chunk)}
            with self.reading("read answers") as read:
                rows = read.rows(
                    f"SELECT s.id, c.name, s.source_path, q.question_id, q.answer "
                    f"FROM submissions s JOIN candidates c ON c.id = s.candidate_id "
                    f"LEFT OUTER JOIN question_results q ON q.submission_id = s.id "
                    f"WHERE s.id IN ({placeholders(len(chunk))}) "
                    f"ORDER BY s.id, q.position", chunk)
            rows.sort(key=lambda row: order[row[0]])  # stable: positions stay in order
            yield from ((name, source, question, answer)
                        for _id, name, source, question, answer in rows)


def _writes_for(url: URL, shown: str) -> Writes:
    from grading.gradebook.writes import Writes, engine_for

    return Writes(engine_for(url, shown), shown)


def _assignment_rows(read: Read, ids: Sequence[str]) -> list[tuple[Assignment, str]]:
    """Each assignment recorded under one of `ids`, with its recorded signature."""
    found = []
    for ident, candidate, tasks, details, signed in read.rows(
            f"SELECT id, candidate, tasks, details, signature FROM assignments "
            f"WHERE id IN ({placeholders(len(ids))})", ids):
        tasks, details = read.json(tasks), read.json(details)
        found.append((Assignment(id=ident, tasks=tuple(str(t) for t in tasks)
                                 if isinstance(tasks, list) else (),
                                 candidate=candidate,
                                 details=details if isinstance(details, dict) else {}),
                      signed))
    return found


def _results(read: Read, ids: Sequence[int]) -> dict[int, SubmissionResult]:
    """The recorded results of the submissions with these row ids (at most
    _HASHES_PER_QUERY), by id: four queries, whatever the number."""
    if not ids:
        return {}
    among = f"IN ({placeholders(len(ids))})"
    questions: dict[int, list[tuple[Any, ...]]] = {}
    for row in read.rows(f"SELECT submission_id, id, question_id, points, max_points, answer "
                         f"FROM question_results WHERE submission_id {among} "
                         f"ORDER BY submission_id, position", ids):
        questions.setdefault(row[0], []).append(row[1:])
    checks: dict[int, list[CheckResult]] = {}
    for question_id, name, hidden, passed, points, max_points, message in read.rows(
            f"SELECT k.question_result_id, k.name, k.hidden, k.passed, k.points, "
            f"k.max_points, k.message FROM check_results k JOIN question_results q "
            f"ON q.id = k.question_result_id WHERE q.submission_id {among} "
            f"ORDER BY k.question_result_id, k.position", ids):
        checks.setdefault(question_id, []).append(CheckResult(
            name=name, passed=read.flag(passed), points=points, max_points=max_points,
            message=message, hidden=read.flag(hidden)))
    events: dict[tuple[int, int | None], list[Event]] = {}
    for submission_id, question_id, kind, task_id, detail in read.rows(
            f"SELECT submission_id, question_result_id, kind, task_id, detail FROM events "
            f"WHERE submission_id {among} ORDER BY submission_id, position", ids):
        events.setdefault((submission_id, question_id), []).append(
            Event(kind=EventKind(kind), detail=detail, task_id=task_id))
    found = {}
    for ident, name, source, content_hash, status, seconds, state, assignment_id in read.rows(
            f"SELECT s.id, c.name, s.source_path, s.content_hash, s.status, s.seconds, "
            f"s.assignment_state, s.assignment_id FROM submissions s JOIN candidates c "
            f"ON c.id = s.candidate_id WHERE s.id {among}", ids):
        tasks = tuple(
            TaskResult(task_id=task_id, points=points, max_points=max_points,
                       checks=tuple(c for c in checks.get(question, ()) if c.hidden),
                       public_checks=tuple(c for c in checks.get(question, ()) if not c.hidden),
                       events=tuple(events.get((ident, question), ())), answer=answer)
            for question, task_id, points, max_points, answer in questions.get(ident, ()))
        found[ident] = SubmissionResult(
            candidate=name, source=source, content_hash=content_hash,
            status=SubmissionStatus(status), tasks=tasks,
            events=tuple(events.get((ident, None), ())), seconds=seconds,
            assignment=_assignment_state(state), assignment_id=assignment_id)
    return found


def _assignment_state(recorded: str | None) -> AssignmentState:
    try:
        return AssignmentState(recorded or AssignmentState.NOT_VERIFIED)
    except ValueError:
        return AssignmentState.NOT_VERIFIED
