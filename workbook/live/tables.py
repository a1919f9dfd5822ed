"""The interview side's tables in the gradebook: live score fields and process evidence.

They live in the same database as the engine's results (one file or one server to back
up), but the engine knows nothing of them: these models and their migrations belong to
the interview side. Migrations are named `live-NNNN-...`, run after the engine's own and
recorded in the same table, so they never collide with the engine's numbering.

`scores` was first created by the engine's migration `0002-live-scores`; `live-0001`
creates it only where that did not run, so gradebooks from before the move read as they
were.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    Connection,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from grading.gradebook.migrations import Migration


class LiveBase(DeclarativeBase):
    pass


class FieldRow(LiveBase):
    """One field of a live interview score (a rubric score, a note, a tick), upserted alone.

    A row per field means two browser tabs writing different fields of the same question
    never overwrite each other.
    """

    __tablename__ = "scores"
    __table_args__ = (UniqueConstraint("session", "candidate", "question", "field",
                                       name="uq_scores_field"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session: Mapped[str] = mapped_column(Text)
    candidate: Mapped[str] = mapped_column(Text)
    question: Mapped[str] = mapped_column(Text)
    field: Mapped[str] = mapped_column(Text)
    value: Mapped[Any] = mapped_column(JSON, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class EvidenceRow(LiveBase):
    """One thing the candidate did, as their server saw it: a cell run, a save, a check run.

    Appended only; nothing updates or deletes a row.
    """

    __tablename__ = "live_evidence"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session: Mapped[str] = mapped_column(Text, index=True)
    candidate: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    #: "run", "save" or "checks"
    kind: Mapped[str] = mapped_column(String(16))
    question: Mapped[str | None] = mapped_column(Text, nullable=True)
    cell_id: Mapped[str | None] = mapped_column(Text, nullable=True)
    code: Mapped[str] = mapped_column(Text)
    #: "ok", an error's name, "no reply" (kernel died or restarted); "saved"; "pass"/"fail"
    outcome: Mapped[str] = mapped_column(Text)


def _create_scores_table(connection: Connection) -> None:
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
    meta.create_all(connection, checkfirst=True)


def _create_evidence_table(connection: Connection) -> None:
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
    ("live-0001-scores", _create_scores_table),
    ("live-0002-evidence", _create_evidence_table),
)
