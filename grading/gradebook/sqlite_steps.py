"""The engine's migrations as the SQL they run on SQLite, so that a new SQLite gradebook is
made with the standard library's `sqlite3`.

Making a gradebook through SQLAlchemy (importing it, building the tables' metadata,
compiling their DDL, five transactions) was a third of a second of every first run's
start, during which no kernel could start (issue 13). `migrations.py` stays the history
and what a server (PostgreSQL) runs; this is the same history spelled as the SQL SQLAlchemy
emits for it on SQLite. tests/grading/test_sqlite_steps.py compares each step's statements
with what SQLAlchemy emits and the schema each path makes, so a migration added to
`MIGRATIONS` without its text here fails there; until it has one, a file that lacks it is
migrated through SQLAlchemy as before.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

from grading.gradebook.migrations import MIGRATIONS, Migration
from grading.gradebook.reads import sqlite_connection

#: the table naming the migrations a database has run (`migrations._applied`)
MIGRATIONS_TABLE = """
CREATE TABLE gradebook_migrations (
    name VARCHAR(200) NOT NULL,
    applied_at DATETIME NOT NULL,
    PRIMARY KEY (name)
)"""

#: the live scores table (`migrations.create_scores_table`), which two steps make: the
#: engine's 0002 and, where that never ran, the interview side's live-0001
SCORES_TABLE = """CREATE TABLE scores (
    id INTEGER NOT NULL,
    session TEXT NOT NULL,
    candidate TEXT NOT NULL,
    question TEXT NOT NULL,
    field TEXT NOT NULL,
    value JSON,
    updated_at DATETIME NOT NULL,
    PRIMARY KEY (id),
    CONSTRAINT uq_scores_field UNIQUE (session, candidate, question, field)
)"""

#: what a migration runs on SQLite, by name: its statements in order
SqliteSteps = Mapping[str, tuple[str, ...]]

#: each of the engine's migrations' statements on SQLite, in the order it runs them
SQLITE_STEPS: dict[str, tuple[str, ...]] = {
    "0001-core-tables": (
        """CREATE TABLE candidates (
            id INTEGER NOT NULL,
            name TEXT NOT NULL,
            created_at DATETIME NOT NULL,
            PRIMARY KEY (id),
            UNIQUE (name)
        )""",
        """CREATE TABLE submissions (
            id INTEGER NOT NULL,
            candidate_id INTEGER NOT NULL,
            content_hash VARCHAR(64) NOT NULL,
            source_path TEXT NOT NULL,
            status VARCHAR(16) NOT NULL,
            points INTEGER NOT NULL,
            max_points INTEGER NOT NULL,
            seconds FLOAT NOT NULL,
            bank_version TEXT,
            workbook_meta JSON NOT NULL,
            recorded_at DATETIME NOT NULL,
            PRIMARY KEY (id),
            FOREIGN KEY(candidate_id) REFERENCES candidates (id)
        )""",
        "CREATE INDEX ix_submissions_candidate_id ON submissions (candidate_id)",
        "CREATE INDEX ix_submissions_content_hash ON submissions (content_hash)",
        """CREATE TABLE question_results (
            id INTEGER NOT NULL,
            submission_id INTEGER NOT NULL,
            position INTEGER NOT NULL,
            question_id TEXT NOT NULL,
            points INTEGER NOT NULL,
            max_points INTEGER NOT NULL,
            answer TEXT NOT NULL,
            PRIMARY KEY (id),
            FOREIGN KEY(submission_id) REFERENCES submissions (id)
        )""",
        "CREATE INDEX ix_question_results_submission_id ON question_results (submission_id)",
        """CREATE TABLE check_results (
            id INTEGER NOT NULL,
            question_result_id INTEGER NOT NULL,
            position INTEGER NOT NULL,
            name TEXT NOT NULL,
            hidden BOOLEAN NOT NULL,
            passed BOOLEAN NOT NULL,
            points INTEGER NOT NULL,
            max_points INTEGER NOT NULL,
            message TEXT NOT NULL,
            PRIMARY KEY (id),
            FOREIGN KEY(question_result_id) REFERENCES question_results (id)
        )""",
        "CREATE INDEX ix_check_results_question_result_id "
        "ON check_results (question_result_id)",
        """CREATE TABLE events (
            id INTEGER NOT NULL,
            submission_id INTEGER NOT NULL,
            question_result_id INTEGER,
            position INTEGER NOT NULL,
            kind VARCHAR(32) NOT NULL,
            task_id TEXT,
            detail TEXT NOT NULL,
            PRIMARY KEY (id),
            FOREIGN KEY(submission_id) REFERENCES submissions (id),
            FOREIGN KEY(question_result_id) REFERENCES question_results (id)
        )""",
        "CREATE INDEX ix_events_submission_id ON events (submission_id)",
    ),
    "0002-live-scores": (SCORES_TABLE,),
    "0003-assignments": (
        """CREATE TABLE assignments (
            id VARCHAR(64) NOT NULL,
            candidate TEXT,
            tasks JSON NOT NULL,
            details JSON NOT NULL,
            issued_at DATETIME NOT NULL,
            signature VARCHAR(64) NOT NULL,
            PRIMARY KEY (id)
        )""",
        """CREATE TABLE gradebook_keys (
            name VARCHAR(64) NOT NULL,
            value TEXT NOT NULL,
            PRIMARY KEY (name)
        )""",
        "ALTER TABLE submissions ADD COLUMN assignment_id TEXT",
        "ALTER TABLE submissions ADD COLUMN assignment_state VARCHAR(16)",
    ),
    "0004-claims": (
        """CREATE TABLE claims (
            content_hash VARCHAR(64) NOT NULL,
            owner TEXT NOT NULL,
            claimed_at DATETIME NOT NULL,
            expires_at DATETIME NOT NULL,
            PRIMARY KEY (content_hash)
        )""",
        "CREATE INDEX ix_claims_expires_at ON claims (expires_at)",
    ),
    "0005-answer-keys": (
        """CREATE TABLE answer_keys (
            digest VARCHAR(64) NOT NULL,
            data BLOB NOT NULL,
            signature VARCHAR(64) NOT NULL,
            created_at DATETIME NOT NULL,
            PRIMARY KEY (digest)
        )""",
    ),
}


def stored_time(moment: datetime) -> str:
    """A UTC time as SQLAlchemy's SQLite DateTime keeps it: text, without the zone."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def migrate_file(database: Path, migrations: tuple[tuple[str, Migration], ...] = MIGRATIONS,
                 steps: SqliteSteps = SQLITE_STEPS) -> bool:
    """Run the `migrations` a SQLite file lacks (creating it if absent) from their SQLite
    text in `steps` (the engine's own by default; another owner brings its own), in one
    transaction; whether it then has them all. False, with nothing changed, when a missing
    migration has no text there: SQLAlchemy's migration runs it then. Raises
    sqlite3.Error when the file cannot be opened or changed (not a database, read-only):
    the caller's SQLAlchemy path then says why in its own words."""
    connection = sqlite_connection(database)
    try:
        connection.execute("PRAGMA journal_mode = WAL")  # kept in the file from now on
        connection.execute("BEGIN IMMEDIATE")  # one migrator at a time
        try:
            ran = _run_missing(connection, migrations, steps)
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        connection.execute("COMMIT" if ran else "ROLLBACK")
        return ran
    finally:
        connection.close()


def _run_missing(connection: sqlite3.Connection,
                 migrations: tuple[tuple[str, Migration], ...], steps: SqliteSteps) -> bool:
    has_table = connection.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'gradebook_migrations'"
    ).fetchone() is not None
    applied = ({name for (name,) in connection.execute("SELECT name FROM gradebook_migrations")}
               if has_table else set())
    missing = [name for name, _step in migrations if name not in applied]
    if any(name not in steps for name in missing):
        return False
    if not has_table:
        connection.execute(MIGRATIONS_TABLE)
    now = stored_time(datetime.now(UTC))
    for name in missing:
        for statement in steps[name]:
            connection.execute(statement)
        connection.execute("INSERT INTO gradebook_migrations (name, applied_at) VALUES (?, ?)",
                           (name, now))
    return True
