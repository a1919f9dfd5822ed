"""Results recorded as plain SQL through the driver are the rows the ORM wrote, byte for byte,
on a real SQLite file and a real PostgreSQL database."""

from __future__ import annotations

import itertools
import sqlite3
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from grading.assignment import AssignmentState
from grading.errors import GradebookError
from grading.gradebook import Gradebook, database_url
from grading.results import (
    CheckResult,
    Event,
    EventKind,
    SubmissionResult,
    SubmissionStatus,
    TaskResult,
)
from grading.text import storable
from tests.grading.orm_recording import orm_read, orm_record
from tests.grading.postgres import Server

#: every table a recording writes, with its columns in schema order
TABLES = {
    "candidates": ("id", "name", "created_at"),
    "submissions": ("id", "candidate_id", "content_hash", "source_path", "status", "points",
                    "max_points", "seconds", "bank_version", "workbook_meta", "recorded_at",
                    "assignment_id", "assignment_state"),
    "question_results": ("id", "submission_id", "position", "question_id", "points",
                         "max_points", "answer"),
    "check_results": ("id", "question_result_id", "position", "name", "hidden", "passed",
                      "points", "max_points", "message"),
    "events": ("id", "submission_id", "question_result_id", "position", "kind", "task_id",
               "detail"),
    "claims": ("content_hash", "owner", "claimed_at", "expires_at"),
}


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def two_urls(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[str, str]:
    """Two empty gradebooks of one kind: SQLite files, or PostgreSQL databases."""
    if request.param == "sqlite":
        return str(tmp_path / "driver.sqlite"), str(tmp_path / "orm.sqlite")
    server: Server = request.getfixturevalue("postgres_server")
    return server.new_database(), server.new_database()


def odd_result(candidate: str, content_hash: str) -> SubmissionResult:
    """A result with something of every kind a recording stores, in awkward text."""
    task = TaskResult(
        task_id="clamp-välue", points=3, max_points=5, answer=storable("x = '\x00\ud800'\n"),
        checks=(CheckResult(name="ünïcode ✓", passed=True, points=1, max_points=1),
                CheckResult(name="fails", passed=False, points=2, max_points=4,
                            message="expected 'ValueError'\ngot \"returned\" 🙃")),
        public_checks=(CheckResult(name="public", passed=True, points=0, max_points=0,
                                   hidden=False),),
        events=(Event(kind=EventKind.TIMEOUT, detail="over 10 s", task_id="clamp-välue"),
                Event(kind=EventKind.ERROR, detail="", task_id=None)))
    empty = TaskResult(task_id="", points=0, max_points=0, checks=())
    return SubmissionResult(
        candidate=candidate, source=storable("in/\udcff名前.ipynb"), content_hash=content_hash,
        status=SubmissionStatus.GRADED, tasks=(task, empty), seconds=0.1,
        events=(Event(kind=EventKind.INTEGRITY, detail="restored", task_id="clamp-välue"),
                Event(kind=EventKind.PROTOCOL, detail="€")),
        assignment=AssignmentState.EDITED, assignment_id="a-1")


ODD_META: dict[str, Any] = {"bank_version": 3, "questions": ["clamp-välue"],
                            "nested": {"x": [1.5, None, True, "\u2028"]}}


def raw_rows(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the recording's tables as the database holds it: on SQLite each value
    as an SQL literal (type and bytes), on PostgreSQL each column's text form."""
    found: dict[str, list[tuple[Any, ...]]] = {}
    if "://" not in url:
        with sqlite3.connect(url) as connection:
            for table, columns in TABLES.items():
                found[table] = connection.execute(
                    f"SELECT {', '.join(f'quote({c})' for c in columns)} FROM {table} "
                    f"ORDER BY {columns[0]}").fetchall()
        return found
    import psycopg

    with psycopg.connect(database_url(url).set(drivername="postgresql")
                         .render_as_string(hide_password=False)) as connection:
        for table, columns in TABLES.items():
            found[table] = connection.execute(
                f"SELECT {', '.join(f'{c}::text' for c in columns)} FROM {table} "
                f"ORDER BY {columns[0]}").fetchall()
    return found


def recorded_times(url: str) -> tuple[dict[str, datetime], dict[str, datetime]]:
    """When each candidate was created and each submission recorded, by name and hash."""
    with Session(create_engine(database_url(url))) as session:
        from grading.gradebook.models import CandidateRow, SubmissionRow

        return ({row.name: row.created_at for row in session.query(CandidateRow)},
                {row.content_hash: row.recorded_at for row in session.query(SubmissionRow)})


def test_recorded_rows_are_those_the_orm_wrote_column_by_column(
        two_urls: tuple[str, str]) -> None:
    driver_url, orm_url = two_urls
    results = [odd_result("ådä\x1f", "h-1"), odd_result("ådä\x1f", "h-2"),
               odd_result("bén", "h-3")]
    with Gradebook.open(driver_url) as book:
        assert book.claim("h-2", "me", timedelta(minutes=1))
        assert book.claim("h-3", "other", timedelta(minutes=1))
        for result in results:
            book.record_submission(result, workbook_meta=ODD_META, releasing="me")
        book.release("other")
    created, recorded = recorded_times(driver_url)
    Gradebook.open(orm_url).close()  # migrated, as the driver's was

    engine = create_engine(database_url(orm_url))
    with Session(engine) as session, session.begin():
        for result in results:
            orm_record(session, result, dict(ODD_META), releasing="me",
                       created_at=created[result.candidate],
                       recorded_at=recorded[result.content_hash])
            session.flush()
    engine.dispose()

    driver_rows, orm_rows = raw_rows(driver_url), raw_rows(orm_url)
    assert [len(driver_rows[t]) for t in TABLES] == [2, 3, 6, 9, 12, 0]
    for table, columns in TABLES.items():
        for driver_row, orm_row in zip(driver_rows[table], orm_rows[table], strict=True):
            assert dict(zip(columns, driver_row, strict=True)) == \
                dict(zip(columns, orm_row, strict=True)), table


def test_sqlite_times_json_and_flags_are_stored_as_sqlalchemy_stores_them(
        tmp_path: Path) -> None:
    path = tmp_path / "gradebook.sqlite"
    with Gradebook.open(path) as book:
        book.record_submission(odd_result("ada", "h-1"), workbook_meta=ODD_META)
    with sqlite3.connect(path) as connection:
        meta, recorded, meta_type = connection.execute(
            "SELECT workbook_meta, recorded_at, typeof(workbook_meta) FROM submissions"
        ).fetchone()
        flags = connection.execute("SELECT DISTINCT typeof(hidden), typeof(passed), hidden "
                                   "FROM check_results ORDER BY hidden").fetchall()

    assert meta_type == "text"
    assert meta == ('{"bank_version": 3, "questions": ["clamp-v\\u00e4lue"], '
                    '"nested": {"x": [1.5, null, true, "\\u2028"]}}')
    assert len(recorded) == len("2026-12-02 07:24:41.000000") and recorded[10] == " "
    assert abs(datetime.fromisoformat(recorded).replace(tzinfo=UTC) - datetime.now(UTC)) \
        < timedelta(minutes=5)
    assert flags == [("integer", "integer", 0), ("integer", "integer", 1)]


# -- generated results: whatever goes in reads back, through the models and the store -----

_ANY_TEXT = st.text(st.characters(exclude_categories=()), max_size=30).map(storable)
#: a server's INTEGER is 32 bits, and a submission's points are the sum of its tasks'
_INTS = st.integers(min_value=-2**28, max_value=2**28)
_EVENTS = st.lists(st.builds(Event, kind=st.sampled_from(EventKind), detail=_ANY_TEXT,
                             task_id=st.none() | _ANY_TEXT), max_size=4).map(tuple)
_CHECKS = st.lists(st.builds(CheckResult, name=_ANY_TEXT, passed=st.booleans(),
                             points=_INTS, max_points=_INTS, message=_ANY_TEXT,
                             hidden=st.booleans()), max_size=12)
_JSON = st.recursive(st.none() | st.booleans() | _INTS | _ANY_TEXT
                     | st.floats(allow_nan=False, allow_infinity=False),
                     lambda inner: st.lists(inner, max_size=3)
                     | st.dictionaries(_ANY_TEXT, inner, max_size=3), max_leaves=8)


@st.composite
def _tasks(draw: st.DrawFn) -> TaskResult:
    checks = draw(_CHECKS)
    return TaskResult(task_id=draw(_ANY_TEXT), points=draw(_INTS), max_points=draw(_INTS),
                      checks=tuple(c for c in checks if c.hidden),
                      public_checks=tuple(c for c in checks if not c.hidden),
                      events=draw(_EVENTS), answer=draw(_ANY_TEXT))


_RESULTS = st.builds(
    SubmissionResult, candidate=_ANY_TEXT, source=_ANY_TEXT, content_hash=st.just(""),
    status=st.sampled_from(SubmissionStatus), tasks=st.lists(_tasks(), max_size=4).map(tuple),
    events=_EVENTS, seconds=st.floats(allow_nan=False, allow_infinity=False),
    assignment=st.sampled_from(AssignmentState), assignment_id=st.none() | _ANY_TEXT)
_METAS = st.dictionaries(_ANY_TEXT, _JSON, max_size=4) \
    | st.dictionaries(_ANY_TEXT, _JSON, max_size=3).map(lambda m: {**m, "bank_version": "1+x"})


@pytest.fixture
def book_and_session(gradebook_url: str) -> Iterator[tuple[Gradebook, Session]]:
    book = Gradebook.open(gradebook_url)
    engine = create_engine(database_url(gradebook_url))
    with Session(engine) as session:
        yield book, session
    engine.dispose()
    book.close()


_hashes = itertools.count()


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(result=_RESULTS, meta=_METAS)
def test_any_recorded_result_reads_back_equal_through_the_models_and_the_store(
        book_and_session: tuple[Gradebook, Session], result: SubmissionResult,
        meta: dict[str, Any]) -> None:
    book, session = book_and_session
    content_hash = f"h-{next(_hashes)}"
    result = replace(result, content_hash=content_hash)

    book.record_submission(result, workbook_meta=meta)

    session.rollback()  # a fresh snapshot of what is committed
    bank_version = meta.get("bank_version")
    assert orm_read(session, content_hash) == (
        result, meta, None if bank_version is None else str(bank_version))
    assert book.submission(content_hash) == result


@pytest.mark.parametrize("where", ["candidate", "answer", "check message", "event detail"])
def test_text_the_driver_cannot_store_is_one_line_naming_the_file_and_leaves_nothing(
        gradebook_url: str, where: str) -> None:
    lone = "a\ud800b"  # what a non-UTF-8 file name gives Python; text.storable escapes it
    base = odd_result("ada", "h-1")
    task = base.tasks[0]
    broken = {
        "candidate": replace(base, candidate=lone),
        "answer": replace(base, tasks=(replace(task, answer=lone),)),
        "check message": replace(base, tasks=(replace(task, checks=(
            CheckResult(name="c", passed=False, points=0, max_points=1, message=lone),)),)),
        "event detail": replace(base, events=(Event(kind=EventKind.ERROR, detail=lone),)),
    }[where]
    with Gradebook.open(gradebook_url) as book:
        assert book.claim("h-1", "me", timedelta(minutes=1))
        with pytest.raises(GradebookError) as raised:
            book.record_submission(broken, workbook_meta={}, releasing="me")

        message = str(raised.value)
        assert message.startswith(f"gradebook {book.url}: cannot record {base.source}: ")
        assert "\n" not in message and "Traceback" not in message
        assert book.results() == [] and book.claim_owner("h-1") == "me"
