"""Schema migrations as code: an ordered list of functions and a table of those applied.

Each migration is a function of a connection, named once and never edited after release;
a schema change is a new function appended to `MIGRATIONS`. Tables are spelled out here as
they were at that step (not taken from the models), so replaying history on an empty
database always gives the same schema. `migrate` runs the missing ones in order, each in
its own transaction, and is safe when two processes open the same gradebook at once.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy import Connection, Engine

# SQLAlchemy is imported where a migration runs, not with this module: a run that finds
# every migration applied (through the driver, `reads.py`) never needs it
Migration = Callable[["Connection"], None]


@cache
def _applied() -> Any:
    from sqlalchemy import Column, DateTime, MetaData, String, Table

    return Table("gradebook_migrations", MetaData(),
                 Column("name", String(200), primary_key=True),
                 Column("applied_at", DateTime(timezone=True), nullable=False))


def _create_core_tables(connection: Connection) -> None:
    from sqlalchemy import (
        JSON,
        Boolean,
        Column,
        DateTime,
        Float,
        ForeignKey,
        Index,
        Integer,
        MetaData,
        String,
        Table,
        Text,
    )

    meta = MetaData()
    Table("candidates", meta,
          Column("id", Integer, primary_key=True),
          Column("name", Text, nullable=False, unique=True),
          Column("created_at", DateTime(timezone=True), nullable=False))
    Table("submissions", meta,
          Column("id", Integer, primary_key=True),
          Column("candidate_id", Integer, ForeignKey("candidates.id"), nullable=False),
          Column("content_hash", String(64), nullable=False),
          Column("source_path", Text, nullable=False),
          Column("status", String(16), nullable=False),
          Column("points", Integer, nullable=False),
          Column("max_points", Integer, nullable=False),
          Column("seconds", Float, nullable=False),
          Column("bank_version", Text, nullable=True),
          Column("workbook_meta", JSON, nullable=False),
          Column("recorded_at", DateTime(timezone=True), nullable=False),
          Index("ix_submissions_candidate_id", "candidate_id"),
          Index("ix_submissions_content_hash", "content_hash"))
    Table("question_results", meta,
          Column("id", Integer, primary_key=True),
          Column("submission_id", Integer, ForeignKey("submissions.id"), nullable=False),
          Column("position", Integer, nullable=False),
          Column("question_id", Text, nullable=False),
          Column("points", Integer, nullable=False),
          Column("max_points", Integer, nullable=False),
          Column("answer", Text, nullable=False),
          Index("ix_question_results_submission_id", "submission_id"))
    Table("check_results", meta,
          Column("id", Integer, primary_key=True),
          Column("question_result_id", Integer, ForeignKey("question_results.id"),
                 nullable=False),
          Column("position", Integer, nullable=False),
          Column("name", Text, nullable=False),
          Column("hidden", Boolean, nullable=False),
          Column("passed", Boolean, nullable=False),
          Column("points", Integer, nullable=False),
          Column("max_points", Integer, nullable=False),
          Column("message", Text, nullable=False),
          Index("ix_check_results_question_result_id", "question_result_id"))
    Table("events", meta,
          Column("id", Integer, primary_key=True),
          Column("submission_id", Integer, ForeignKey("submissions.id"), nullable=False),
          Column("question_result_id", Integer, ForeignKey("question_results.id"),
                 nullable=True),
          Column("position", Integer, nullable=False),
          Column("kind", String(32), nullable=False),
          Column("task_id", Text, nullable=True),
          Column("detail", Text, nullable=False),
          Index("ix_events_submission_id", "submission_id"))
    meta.create_all(connection)


def create_scores_table(connection: Connection) -> None:
    """The live scores table, unless it exists. Released before live scores moved to the
    interview side, which owns the table now and creates it with this same step where
    0002 never ran (`workbook/live/migrations.py`); kept, as history is append-only, so
    every gradebook replays the same steps."""
    from sqlalchemy import (
        JSON,
        Column,
        DateTime,
        Integer,
        MetaData,
        Table,
        Text,
        UniqueConstraint,
    )

    meta = MetaData()
    Table("scores", meta,
          Column("id", Integer, primary_key=True),
          Column("session", Text, nullable=False),
          Column("candidate", Text, nullable=False),
          Column("question", Text, nullable=False),
          Column("field", Text, nullable=False),
          Column("value", JSON, nullable=True),
          Column("updated_at", DateTime(timezone=True), nullable=False),
          UniqueConstraint("session", "candidate", "question", "field",
                           name="uq_scores_field"))
    meta.create_all(connection)


def _create_assignment_tables(connection: Connection) -> None:
    from sqlalchemy import JSON, Column, DateTime, MetaData, String, Table, Text, text

    meta = MetaData()
    Table("assignments", meta,
          Column("id", String(64), primary_key=True),
          Column("candidate", Text, nullable=True),
          Column("tasks", JSON, nullable=False),
          Column("details", JSON, nullable=False),
          Column("issued_at", DateTime(timezone=True), nullable=False),
          Column("signature", String(64), nullable=False))
    Table("gradebook_keys", meta,
          Column("name", String(64), primary_key=True),
          Column("value", Text, nullable=False))
    meta.create_all(connection)
    # earlier rows keep empty values: they were graded before assignments were checked
    connection.execute(text("ALTER TABLE submissions ADD COLUMN assignment_id TEXT"))
    connection.execute(text("ALTER TABLE submissions ADD COLUMN assignment_state "
                            "VARCHAR(16)"))


def _create_claims_table(connection: Connection) -> None:
    from sqlalchemy import Column, DateTime, Index, MetaData, String, Table, Text

    meta = MetaData()
    Table("claims", meta,
          Column("content_hash", String(64), primary_key=True),
          Column("owner", Text, nullable=False),
          Column("claimed_at", DateTime(timezone=True), nullable=False),
          Column("expires_at", DateTime(timezone=True), nullable=False),
          Index("ix_claims_expires_at", "expires_at"))
    meta.create_all(connection)


def _create_answer_keys_table(connection: Connection) -> None:
    from sqlalchemy import Column, DateTime, LargeBinary, MetaData, String, Table

    meta = MetaData()
    Table("answer_keys", meta,
          Column("digest", String(64), primary_key=True),
          Column("data", LargeBinary, nullable=False),
          Column("signature", String(64), nullable=False),
          Column("created_at", DateTime(timezone=True), nullable=False))
    meta.create_all(connection)


#: every migration in the order it must run; append, never reorder or rename
MIGRATIONS: tuple[tuple[str, Migration], ...] = (
    ("0001-core-tables", _create_core_tables),
    ("0002-live-scores", create_scores_table),
    ("0003-assignments", _create_assignment_tables),
    ("0004-claims", _create_claims_table),
    ("0005-answer-keys", _create_answer_keys_table),
)


def applied_migrations(connection: Connection) -> list[str]:
    """Names of the migrations this database has run, in the order they ran."""
    from sqlalchemy import select

    applied = _applied()
    applied.create(connection, checkfirst=True)
    rows = connection.execute(select(applied.c.name).order_by(applied.c.applied_at,
                                                              applied.c.name))
    return [row.name for row in rows]


def migrate(engine: Engine, migrations: tuple[tuple[str, Migration], ...] = MIGRATIONS
            ) -> list[str]:
    """Run every migration the database lacks; return the names of those run now."""
    from sqlalchemy import text

    ran: list[str] = []
    for name, step in migrations:
        with engine.begin() as connection:
            if engine.dialect.name == "postgresql":
                # one migrator at a time; the lock ends with the transaction
                connection.execute(text("SELECT pg_advisory_xact_lock(74207421)"))
            if name in applied_migrations(connection):
                continue
            step(connection)
            connection.execute(_applied().insert().values(name=name,
                                                          applied_at=datetime.now(UTC)))
            ran.append(name)
    return ran
