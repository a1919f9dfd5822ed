"""The gradebook read through its driver: the same values as written, without SQLAlchemy."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy.engine import URL

from grading.assignment import Assignment
from grading.gradebook import Gradebook
from grading.gradebook.reads import sqlite_url
from tests.grading.postgres import Server
from tests.grading.test_gradebook import graded
from workbook.live.store import (
    Evidence,
    append_evidence,
    open_live,
    read_candidate_evidence,
    read_fields,
    set_field,
)

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def live_gradebook(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Gradebook]:
    """A gradebook with the interview side's tables: a SQLite file, then PostgreSQL."""
    if request.param == "sqlite":
        url = str(tmp_path / "gradebook.sqlite")
    else:
        server: Server = request.getfixturevalue("postgres_server")
        url = server.new_database()
    book = open_live(url)
    yield book
    book.close()


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(st.characters(exclude_characters="/\x00", codec="utf-8"),
                        min_size=1, max_size=12).filter(lambda part: part not in (".", "..")),
                min_size=1, max_size=3))
def test_a_sqlite_file_is_named_as_sqlalchemy_names_it(parts: list[str]) -> None:
    # reports show the gradebook's URL and their fingerprints include it: a rerun that
    # named it differently from the run before would render every report again
    database = Path("/srv", *parts)

    assert sqlite_url(database) == URL.create("sqlite", database=str(database)) \
        .render_as_string(hide_password=True)


#: JSON values a score field may hold, among them text SQLite would store as a number
FIELD_VALUES: list[Any] = [3, -1.5, "3", "1e3", "true", "null", True, None, "", [1, "a"],
                           {"note": "x", "n": 0}, "ünïcode ✓", 10 ** 15]


def test_live_fields_read_back_as_written_whatever_json_they_hold(
        live_gradebook: Gradebook) -> None:
    for index, value in enumerate(FIELD_VALUES):
        set_field(live_gradebook, session="s1", candidate="ada", question=f"q{index:02}",
                  field="score", value=value)

    found = read_fields(live_gradebook, candidate="ada")

    assert [(record.question, record.value) for record in found] == \
        [(f"q{index:02}", value) for index, value in enumerate(FIELD_VALUES)]
    assert all(record.updated_at.tzinfo is not None for record in found)


def test_evidence_reads_back_in_order_after_a_given_row(live_gradebook: Gradebook) -> None:
    at = datetime(2026, 12, 2, 4, 5, 6, 789, tzinfo=UTC)
    items = [Evidence(at=at, kind=kind, code=f"x = {n}", outcome="ok", question=question,
                      cell_id=None if question is None else f"{question}-answer")
             for n, (kind, question) in enumerate([("run", "q1"), ("save", None),
                                                   ("checks", "q2")])]
    append_evidence(live_gradebook, session="s1", candidate="ada", evidence=items)
    append_evidence(live_gradebook, session="s2", candidate="ben", evidence=items[:1])

    everything = read_candidate_evidence(live_gradebook)
    later = read_candidate_evidence(live_gradebook, after=everything[0][2].id,
                                    candidate="ada")

    assert [(who, session, item.kind, item.code, item.question, item.cell_id, item.at)
            for who, session, item in everything] == \
        [("ada", "s1", i.kind, i.code, i.question, i.cell_id, at) for i in items] + \
        [("ben", "s2", "run", "x = 0", "q1", "q1-answer", at)]
    assert [item.code for _who, _session, item in later] == ["x = 1", "x = 2"]


def test_a_migrated_sqlite_gradebook_is_read_and_graded_into_without_sqlalchemy(
        tmp_path: Path) -> None:
    path = tmp_path / "gradebook.sqlite"
    issued = Assignment(id="a-1", tasks=("clamp-value",), candidate="ada",
                        details={"level": "junior", "seed": 7})
    with open_live(str(path)) as book:
        book.record_submission(graded("ada", "h-ada"), workbook_meta={})
        book.issue(issued)
        set_field(book, session="s1", candidate="ada", question="q1", field="score", value=2)
        expected = repr(book.results())
    script = f"""
import json, sys
from datetime import timedelta
from grading.assignment import Assignment
from grading.gradebook import Gradebook
from workbook.live.migrations import LIVE_MIGRATIONS
from workbook.live.store import read_fields
book = Gradebook.open({str(path)!r})
book.migrate_also(LIVE_MIGRATIONS)
read = [repr(book.results()), book.is_graded("h-ada"), book.is_graded("h-none"),
        book.assignment("a-1")[1], [f.value for f in read_fields(book)]]
before = "sqlalchemy" in sys.modules
assert book.claim("h-ada", "me", timedelta(minutes=1), unless_settled=False)
book.record_submission(book.results()[0], workbook_meta={{}}, releasing="me")
book.keep_answer_key("d" * 64, b"key")
recorded = "sqlalchemy" in sys.modules
book.issue(Assignment(id="a-2", tasks=("clamp-value",)))  # another write brings the ORM
print(json.dumps([read, before, recorded, "sqlalchemy" in sys.modules, len(book.results()),
                  book.claim_owner("h-ada"), book.answer_key("d" * 64).decode()]))
book.close()
"""

    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          check=True, cwd=REPO)

    read, *written = json.loads(done.stdout.strip().splitlines()[-1])
    assert read == [expected, True, False, True, [2]]
    assert written == [False, False, True, 1, None, "key"]
