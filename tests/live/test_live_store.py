"""The interview side's tables in a real gradebook (SQLite and PostgreSQL): live score
fields upserted one at a time, evidence appended, and gradebooks from before the move."""

from __future__ import annotations

import multiprocessing
import sqlite3
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect

from grading.gradebook import Gradebook, database_url
from grading.gradebook.migrations import MIGRATIONS, migrate
from workbook.live.store import (
    Evidence,
    append_evidence,
    open_live,
    read_evidence,
    read_fields,
    set_field,
)
from workbook.live.tables import LiveBase


@pytest.fixture
def gradebook(gradebook_url: str) -> Iterator[Gradebook]:
    book = open_live(gradebook_url)
    yield book
    book.close()


def test_a_score_field_is_upserted(gradebook: Gradebook) -> None:
    set_field(gradebook, session="s1", candidate="ada", question="q", field="score", value=2)
    set_field(gradebook, session="s1", candidate="ada", question="q", field="score", value=3)

    [record] = read_fields(gradebook)
    assert (record.field, record.value) == ("score", 3)


def test_score_values_are_json(gradebook: Gradebook) -> None:
    value = {"notes": "asked about ties", "flags": ["hinted"], "score": None}

    set_field(gradebook, session="s1", candidate="ada", question="q", field="notes",
                        value=value)

    assert read_fields(gradebook, session="s1", candidate="ada")[0].value == value


def test_scores_filter_by_session_and_candidate(gradebook: Gradebook) -> None:
    for session, candidate in (("s1", "ada"), ("s1", "bob"), ("s2", "ada")):
        set_field(gradebook, session=session, candidate=candidate, question="q",
                            field="score", value=1)

    assert {(r.session, r.candidate) for r in read_fields(gradebook, session="s1")} == {
        ("s1", "ada"), ("s1", "bob")}
    assert {(r.session, r.candidate) for r in read_fields(gradebook, candidate="ada")} == {
        ("s1", "ada"), ("s2", "ada")}


def _write_fields(url: str, tab: str, count: int) -> None:
    book = open_live(url)
    for i in range(count):
        set_field(book, session="live", candidate="ada", question="q1", field=f"{tab}-{i}",
                       value=i)
    book.close()


def test_two_writers_never_lose_each_others_fields(gradebook: Gradebook,
                                                   gradebook_url: str) -> None:
    context = multiprocessing.get_context("spawn")
    tabs = [context.Process(target=_write_fields, args=(gradebook_url, tab, 40))
            for tab in ("tab-a", "tab-b")]
    for tab in tabs:
        tab.start()
    for tab in tabs:
        tab.join(60)

    fields = {record.field for record in read_fields(gradebook, session="live")}
    assert [tab.exitcode for tab in tabs] == [0, 0]
    assert fields == {f"{tab}-{i}" for tab in ("tab-a", "tab-b") for i in range(40)}


def test_evidence_reads_back_in_the_order_it_was_appended(gradebook: Gradebook) -> None:
    now = datetime(2030, 1, 2, 10, 0, tzinfo=UTC)
    items = [Evidence(at=now, kind="run", code="x = 1", outcome="ok", question="q",
                      cell_id="q-answer"),
             Evidence(at=now, kind="run", code="1/0", outcome="ZeroDivisionError",
                      question="q", cell_id="q-answer"),
             Evidence(at=now, kind="save", code="1/0", outcome="saved", question="q")]
    append_evidence(gradebook, session="s1", candidate="ada", evidence=items[:2])
    append_evidence(gradebook, session="s1", candidate="ada", evidence=items[2:])
    append_evidence(gradebook, session="s2", candidate="bob", evidence=items[:1])

    read = read_evidence(gradebook, session="s1")
    assert [(s, replace(e, id=0)) for s, e in read] == [("s1", item) for item in items]
    assert [e for _, e in read_evidence(gradebook, session="s1", after=read[0][1].id)] == [
        e for _, e in read[1:]]
    assert [s for s, _ in read_evidence(gradebook, candidate="bob")] == ["s2"]


def test_a_gradebook_from_before_the_move_keeps_its_scores_readable(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    engine = create_engine(database_url(path))
    migrate(engine, MIGRATIONS[:2])  # the engine's history up to 0002-live-scores
    engine.dispose()
    with sqlite3.connect(path) as db:
        db.execute("INSERT INTO scores (session, candidate, question, field, value, "
                   "updated_at) VALUES ('s0', 'ada', 'q', 'score', '3', "
                   "'2029-05-01 10:00:00.000000')")

    with open_live(str(path)) as gradebook:
        [record] = read_fields(gradebook)
        set_field(gradebook, session="s0", candidate="ada", question="q", field="score",
                  value=4)
        [again] = read_fields(gradebook)

    assert (record.session, record.field, record.value) == ("s0", "score", 3)
    assert again.value == 4


def test_live_migrations_build_exactly_the_tables_the_live_models_describe(
        tmp_path: Path) -> None:
    open_live(str(tmp_path / "gb.sqlite")).close()
    engine = create_engine(database_url(tmp_path / "gb.sqlite"))
    inspector = inspect(engine)

    for table in LiveBase.metadata.sorted_tables:
        columns = {c["name"]: c["nullable"] for c in inspector.get_columns(table.name)}
        assert columns == {c.name: c.nullable for c in table.columns}, table.name
    engine.dispose()
