"""The interview side's migrations: live score fields and process evidence (the models
are in `tables.py`). Named `live-NNNN-...`, run after the engine's own and recorded in the
same table, so they never collide with the engine's numbering.

`scores` was first created by the engine's migration `0002-live-scores`; `live-0001`
creates it only where that did not run, so gradebooks from before the move read as they
were. SQLAlchemy is imported where a migration runs: a gradebook that has run them all is
read without it (`grading/gradebook/reads.py`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from grading.gradebook.migrations import Migration, create_scores_table
from grading.gradebook.sqlite_steps import SCORES_TABLE

if TYPE_CHECKING:
    from sqlalchemy import Connection


def _create_evidence_table(connection: Connection) -> None:
    from sqlalchemy import Column, DateTime, Index, Integer, MetaData, String, Table, Text

    meta = MetaData()
    Table("live_evidence", meta,
          Column("id", Integer, primary_key=True),
          Column("session", Text, nullable=False),
          Column("candidate", Text, nullable=False),
          Column("at", DateTime(timezone=True), nullable=False),
          Column("kind", String(16), nullable=False),
          Column("question", Text, nullable=True),
          Column("cell_id", Text, nullable=True),
          Column("code", Text, nullable=False),
          Column("outcome", Text, nullable=False),
          Index("ix_live_evidence_session", "session"))
    meta.create_all(connection)


#: the interview side's migrations in the order they run; append, never reorder or rename
LIVE_MIGRATIONS: tuple[tuple[str, Migration], ...] = (
    ("live-0001-scores", create_scores_table),
    ("live-0002-evidence", _create_evidence_table),
)

#: the same as the SQL they run on SQLite, so a new SQLite gradebook gets them without
#: SQLAlchemy (grading/gradebook/sqlite_steps.py; tests/grading/test_sqlite_steps.py
#: holds them equal); SQLite keeps "IF NOT EXISTS" out of the schema's text
LIVE_SQLITE_STEPS: dict[str, tuple[str, ...]] = {
    "live-0001-scores": (SCORES_TABLE.replace("CREATE TABLE", "CREATE TABLE IF NOT EXISTS",
                                              1),),
    "live-0002-evidence": (
        """CREATE TABLE live_evidence (
            id INTEGER NOT NULL,
            session TEXT NOT NULL,
            candidate TEXT NOT NULL,
            at DATETIME NOT NULL,
            kind VARCHAR(16) NOT NULL,
            question TEXT,
            cell_id TEXT,
            code TEXT NOT NULL,
            outcome TEXT NOT NULL,
            PRIMARY KEY (id)
        )""",
        "CREATE INDEX ix_live_evidence_session ON live_evidence (session)",
    ),
}
