"""A new SQLite gradebook is made with the standard library's sqlite3 from the migrations'
SQLite text (grading/gradebook/sqlite_steps.py), and that text is what SQLAlchemy runs for
the same migrations: same statements step by step, same schema, same record of what ran.
Real SQLite files."""

from __future__ import annotations

import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import event

from grading.errors import GradebookError
from grading.gradebook import Gradebook
from grading.gradebook.migrations import MIGRATIONS, migrate
from grading.gradebook.sqlite_steps import SQLITE_STEPS, migrate_file
from grading.gradebook.store import database_url
from grading.gradebook.writes import engine_for
from workbook.live.migrations import LIVE_MIGRATIONS, LIVE_SQLITE_STEPS


def _normal(sql: str) -> str:
    """SQL with its layout made one: the text differs only in whitespace."""
    return re.sub(r"\s*([(),])\s*", r"\1", re.sub(r"\s+", " ", sql.strip()))


def _schema(database: Path) -> dict[str, tuple[str, str | None]]:
    with sqlite3.connect(database) as connection:
        rows = connection.execute("SELECT type, name, sql FROM sqlite_master").fetchall()
    return {name: (kind, None if sql is None else _normal(sql)) for kind, name, sql in rows}


def _applied(database: Path) -> list[str]:
    with sqlite3.connect(database) as connection:
        return [name for (name,) in connection.execute(
            "SELECT name FROM gradebook_migrations ORDER BY applied_at, name")]


def _by_sqlalchemy(database: Path, steps: tuple[tuple[str, object], ...] = MIGRATIONS
                   ) -> dict[str, list[str]]:
    """Migrate through SQLAlchemy; the DDL it ran, by migration."""
    engine = engine_for(database_url(database), str(database))
    ran: list[str] = []

    @event.listens_for(engine, "before_cursor_execute")
    def seen(_conn: object, _cursor: object, statement: str, *_rest: object) -> None:
        if statement.strip().upper().startswith(("CREATE", "ALTER")):
            ran.append(_normal(statement))

    by_step: dict[str, list[str]] = {}
    try:
        for name, step in steps:
            ran.clear()
            migrate(engine, ((name, step),))  # type: ignore[arg-type]
            by_step[name] = list(ran)
    finally:
        engine.dispose()
    return by_step


def test_every_migration_has_sqlite_text_equal_to_what_sqlalchemy_runs(tmp_path: Path) -> None:
    emitted = _by_sqlalchemy(tmp_path / "reference.sqlite")
    emitted["0001-core-tables"].pop(0)  # the migrations table itself, made before any step
    assert list(SQLITE_STEPS) == [name for name, _step in MIGRATIONS]
    for name, statements in SQLITE_STEPS.items():
        # SQLAlchemy orders a table's indexes as a set: compare the step as a multiset
        assert sorted(map(_normal, statements)) == sorted(emitted[name]), name


def test_a_new_gradebook_has_the_schema_sqlalchemys_migrations_make(tmp_path: Path) -> None:
    _by_sqlalchemy(tmp_path / "reference.sqlite")
    Gradebook.open(tmp_path / "new.sqlite").close()
    assert _schema(tmp_path / "new.sqlite") == _schema(tmp_path / "reference.sqlite")
    assert _applied(tmp_path / "new.sqlite") == _applied(tmp_path / "reference.sqlite") \
        == [name for name, _step in MIGRATIONS]
    with sqlite3.connect(tmp_path / "new.sqlite") as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone() == ("wal",)


def test_a_gradebook_from_an_older_release_gets_only_the_steps_it_lacks(tmp_path: Path) -> None:
    older = tmp_path / "older.sqlite"
    _by_sqlalchemy(older, MIGRATIONS[:2])
    with sqlite3.connect(older) as connection:
        connection.execute("INSERT INTO candidates (name, created_at) VALUES ('ada', "
                           "'2026-01-01 00:00:00.000000')")
    assert migrate_file(older) is True
    _by_sqlalchemy(tmp_path / "reference.sqlite")
    assert _schema(older) == _schema(tmp_path / "reference.sqlite")
    assert _applied(older) == [name for name, _step in MIGRATIONS]
    with sqlite3.connect(older) as connection:
        assert connection.execute("SELECT name FROM candidates").fetchall() == [("ada",)]


def test_a_migration_without_sqlite_text_is_left_to_sqlalchemy_untouched(
        tmp_path: Path) -> None:
    def later_step(connection: object) -> None:
        from sqlalchemy import text

        connection.execute(text("CREATE TABLE later (id INTEGER)"))  # type: ignore[attr-defined]

    steps = (*MIGRATIONS, ("0099-later", later_step))
    assert migrate_file(tmp_path / "gradebook.sqlite", steps) is False
    assert _schema(tmp_path / "gradebook.sqlite") == {}  # nothing half-made


def test_the_interview_sides_steps_have_sqlite_text_equal_to_what_sqlalchemy_runs(
        tmp_path: Path) -> None:
    reference = tmp_path / "reference.sqlite"
    _by_sqlalchemy(reference)
    emitted = _by_sqlalchemy(reference, LIVE_MIGRATIONS)
    assert list(LIVE_SQLITE_STEPS) == [name for name, _step in LIVE_MIGRATIONS]
    assert emitted["live-0001-scores"] == []  # the engine's 0002 made the table already
    assert sorted(map(_normal, LIVE_SQLITE_STEPS["live-0002-evidence"])) \
        == sorted(emitted["live-0002-evidence"])
    new = tmp_path / "new.sqlite"
    with Gradebook.open(new) as gradebook:
        assert gradebook.migrate_also(LIVE_MIGRATIONS, LIVE_SQLITE_STEPS) \
            == [name for name, _step in LIVE_MIGRATIONS]
        assert gradebook.migrate_also(LIVE_MIGRATIONS, LIVE_SQLITE_STEPS) == []
    assert _schema(new) == _schema(reference)
    assert _applied(new) == _applied(reference)


def test_the_scores_step_makes_the_table_where_the_engines_step_never_ran(
        tmp_path: Path) -> None:
    """A gradebook from before the engine's 0002 gets `scores` from live-0001."""
    older, reference = tmp_path / "older.sqlite", tmp_path / "reference.sqlite"
    _by_sqlalchemy(older, MIGRATIONS[:1])
    assert migrate_file(older, (*MIGRATIONS[:1], LIVE_MIGRATIONS[0]), LIVE_SQLITE_STEPS)
    _by_sqlalchemy(reference, MIGRATIONS[:1])
    _by_sqlalchemy(reference, LIVE_MIGRATIONS[:1])
    assert _schema(older) == _schema(reference)
    assert "scores" in _schema(older)


def test_making_a_new_gradebook_imports_no_sqlalchemy(tmp_path: Path) -> None:
    code = ("import sys\nfrom grading.gradebook import Gradebook\n"
            "from workbook.live.migrations import LIVE_MIGRATIONS, LIVE_SQLITE_STEPS\n"
            f"with Gradebook.open({str(tmp_path / 'gradebook.sqlite')!r}) as gradebook:\n"
            "    gradebook.migrate_also(LIVE_MIGRATIONS, LIVE_SQLITE_STEPS)\n"
            "print('sqlalchemy' in sys.modules)\n")
    shown = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           check=True).stdout.strip()
    assert shown == "False"


def test_two_processes_making_one_gradebook_at_once_both_open_it(tmp_path: Path) -> None:
    code = ("from grading.gradebook import Gradebook\n"
            f"Gradebook.open({str(tmp_path / 'gradebook.sqlite')!r}).close()\n")
    makers = [subprocess.Popen([sys.executable, "-c", code], stderr=subprocess.PIPE, text=True)
              for _ in range(4)]
    for maker in makers:
        _out, err = maker.communicate(timeout=120)
        assert maker.returncode == 0, err
    assert _applied(tmp_path / "gradebook.sqlite") == [name for name, _step in MIGRATIONS]


@pytest.mark.parametrize("content", [b"not a database at all\n" * 50, b"\x00" * 4096])
def test_a_file_that_is_not_a_database_is_a_one_line_error(tmp_path: Path,
                                                            content: bytes) -> None:
    path = tmp_path / "gradebook.sqlite"
    path.write_bytes(content)
    with pytest.raises(GradebookError) as raised:
        Gradebook.open(path)
    assert "\n" not in str(raised.value) and str(path) in str(raised.value)
    assert path.read_bytes() == content
