"""The gradebook on a real SQLite file: migrations, one-transaction writes, reads."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect

from grading.errors import GradebookError
from grading.gradebook import Gradebook, database_url
from grading.gradebook.migrations import MIGRATIONS, migrate
from grading.gradebook.models import Base
from grading.results import (
    CheckResult,
    Event,
    EventKind,
    SubmissionResult,
    SubmissionStatus,
    TaskResult,
)

META = {"bank_version": "1+abc", "questions": ["clamp-value", "dedupe-keep-order"]}


def graded(candidate: str = "ada", content_hash: str = "h-ada", points: int = 3
           ) -> SubmissionResult:
    clamp = TaskResult(
        task_id="clamp-value", points=points, max_points=4, answer="def clamp(): ...",
        checks=(CheckResult(name="below-low", passed=True, points=1, max_points=1),
                CheckResult(name="rejects-inverted-range", passed=points >= 4,
                            points=max(points - 2, 0), max_points=2,
                            message="expected 'ValueError', got 'returned'")),
        public_checks=(CheckResult(name="public", passed=True, points=0, max_points=0,
                                   hidden=False),),
        events=(Event(kind=EventKind.TIMEOUT, detail="check below-low ran over 10 s",
                      task_id="clamp-value"),))
    dedupe = TaskResult(task_id="dedupe-keep-order", points=0, max_points=4, checks=(),
                        answer="")
    return SubmissionResult(
        candidate=candidate, source=f"in/{candidate}.ipynb", content_hash=content_hash,
        status=SubmissionStatus.GRADED, tasks=(clamp, dedupe), seconds=1.5,
        events=(Event(kind=EventKind.INTEGRITY, detail="answer cell restored",
                      task_id="dedupe-keep-order"),))


@pytest.fixture
def gradebook(gradebook_url: str) -> Iterator[Gradebook]:
    book = Gradebook.open(gradebook_url)
    yield book
    book.close()


def test_a_recorded_submission_reads_back_as_the_same_result(gradebook: Gradebook) -> None:
    result = graded()

    gradebook.record_submission(result, workbook_meta=META)

    assert gradebook.results() == [result]
    assert gradebook.submission("h-ada") == result


def test_opening_a_path_creates_the_sqlite_file_and_its_folder(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "er" / "gb.sqlite"

    Gradebook.open(path).close()

    assert path.is_file()


def test_the_sqlite_file_is_in_wal_mode(tmp_path: Path) -> None:
    Gradebook.open(tmp_path / "gb.sqlite").close()

    with sqlite3.connect(tmp_path / "gb.sqlite") as raw:
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_submissions_read_at_once_are_each_hash_latest_result_and_skip_unknown_ones(
        gradebook: Gradebook, monkeypatch: pytest.MonkeyPatch) -> None:
    import grading.gradebook.store

    monkeypatch.setattr(grading.gradebook.store, "_HASHES_PER_QUERY", 2)
    for name in ("ada", "ben", "cy"):
        gradebook.record_submission(graded(name, f"h-{name}", points=1), workbook_meta=META)
    gradebook.record_submission(graded("ben", "h-ben", points=4), workbook_meta=META)

    found = gradebook.submissions(["h-cy", "h-nobody", "h-ben", "h-ada", "h-ben"])

    assert sorted(found) == ["h-ada", "h-ben", "h-cy"]
    assert found["h-ben"] == graded("ben", "h-ben", points=4)
    assert all(found[key] == gradebook.submission(key) for key in found)


def test_a_graded_hash_is_graded_and_an_unknown_one_is_not(gradebook: Gradebook) -> None:
    gradebook.record_submission(graded(), workbook_meta=META)

    assert gradebook.is_graded("h-ada")
    assert not gradebook.is_graded("h-other")


def test_a_refused_submission_counts_as_graded_but_a_failed_one_is_retried(
        gradebook: Gradebook) -> None:
    for status in (SubmissionStatus.REFUSED, SubmissionStatus.FAILED):
        gradebook.record_submission(
            SubmissionResult(candidate=f"c-{status}", source="x.ipynb",
                             content_hash=f"h-{status}", status=status),
            workbook_meta={})

    assert gradebook.is_graded("h-refused")
    assert not gradebook.is_graded("h-failed")


def test_results_keep_only_the_latest_submission_of_each_candidate(
        gradebook: Gradebook) -> None:
    gradebook.record_submission(graded("ada", "h1", points=2), workbook_meta=META)
    gradebook.record_submission(graded("bob", "h2", points=3), workbook_meta=META)
    gradebook.record_submission(graded("ada", "h3", points=4), workbook_meta=META)

    latest = {r.candidate: r.content_hash for r in gradebook.results()}

    assert latest == {"ada": "h3", "bob": "h2"}
    assert [r.points for r in gradebook.results("ada")] == [4]


def test_recording_a_submission_drops_the_recording_graders_claim_on_it_only(
        gradebook: Gradebook) -> None:
    lease = timedelta(minutes=5)
    for content_hash, owner in (("h-ada", "me"), ("h-bob", "me"), ("h-ada-2", "other")):
        assert gradebook.claim(content_hash, owner, lease)
    gradebook.record_submission(graded("ada", "h-ada"), workbook_meta={}, releasing="me")
    gradebook.record_submission(graded("ada", "h-ada-2"), workbook_meta={}, releasing="me")

    assert gradebook.claim_owner("h-ada") is None
    assert gradebook.claim_owner("h-bob") == "me"
    assert gradebook.claim_owner("h-ada-2") == "other"


def test_a_claim_outlives_a_recording_that_failed(gradebook: Gradebook) -> None:
    assert gradebook.claim("h-eve", "me", timedelta(minutes=5))
    with pytest.raises(GradebookError):
        gradebook.record_submission(graded("eve", "h-eve"),
                                    workbook_meta={"not json": object()}, releasing="me")
    assert gradebook.claim_owner("h-eve") == "me"


def test_a_submission_that_fails_to_write_leaves_nothing_behind(gradebook: Gradebook) -> None:
    broken = graded("eve", "h-eve")
    # the metadata cannot be stored as JSON, so the write fails after the candidate row
    with pytest.raises(GradebookError, match=re.escape("cannot record in/eve.ipynb")):
        gradebook.record_submission(broken, workbook_meta={"not json": object()})

    assert gradebook.results() == []
    assert not gradebook.is_graded("h-eve")


def test_reopening_an_up_to_date_gradebook_runs_no_migration(tmp_path: Path) -> None:
    url = database_url(tmp_path / "gb.sqlite")
    Gradebook.open(tmp_path / "gb.sqlite").close()
    engine = create_engine(url)

    assert migrate(engine) == []
    engine.dispose()


def test_migrations_build_exactly_the_schema_the_models_describe(tmp_path: Path) -> None:
    Gradebook.open(tmp_path / "gb.sqlite").close()
    engine = create_engine(database_url(tmp_path / "gb.sqlite"))
    inspector = inspect(engine)

    for table in Base.metadata.sorted_tables:
        columns = {c["name"]: c["nullable"] for c in inspector.get_columns(table.name)}
        assert columns == {c.name: c.nullable for c in table.columns}, table.name
    # `scores` was made by migration 0002, before live scores moved to the interview side
    assert set(inspector.get_table_names()) == {*Base.metadata.tables, "gradebook_migrations",
                                                "scores"}
    engine.dispose()


def test_a_later_migration_runs_once_on_an_existing_gradebook(tmp_path: Path) -> None:
    gradebook = Gradebook.open(tmp_path / "gb.sqlite")
    gradebook.record_submission(graded(), workbook_meta=META)
    gradebook.close()
    engine = create_engine(database_url(tmp_path / "gb.sqlite"))
    calls = []

    def add_reviewer_column(connection: object) -> None:
        calls.append(connection)

    later = (*MIGRATIONS, ("0099-test-step", add_reviewer_column))
    assert migrate(engine, later) == ["0099-test-step"]
    assert migrate(engine, later) == []
    assert len(calls) == 1
    engine.dispose()


def test_a_bad_url_is_one_line_naming_it() -> None:
    with pytest.raises(GradebookError, match="not a valid SQLAlchemy URL"):
        Gradebook.open("nonsense://::")


def test_an_unreachable_server_is_one_line_naming_the_url_without_the_password() -> None:
    with pytest.raises(GradebookError) as caught:
        Gradebook.open("postgresql://ada:secret@127.0.0.1:1/nowhere?connect_timeout=2")

    message = str(caught.value)
    assert "postgresql+psycopg://ada:***@127.0.0.1:1/nowhere" in message
    assert "secret" not in message
    assert "\n" not in message


def test_a_file_that_is_not_a_database_is_refused_with_its_path(tmp_path: Path) -> None:
    path = tmp_path / "notes.sqlite"
    path.write_text("these are my notes, not a database\n" * 50)

    with pytest.raises(GradebookError, match=re.escape("notes.sqlite: cannot open or migrate it")):
        Gradebook.open(path)
