"""The interview side's tables in the gradebook: live score fields and process evidence.

They live in the same database as the engine's results (one file or one server to back
up), but the engine knows nothing of them: these models and their migrations belong to
the interview side (the migrations in `migrations.py`, which imports no SQLAlchemy until
one runs).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    DateTime,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from workbook.live.migrations import LIVE_MIGRATIONS

__all__ = ["LIVE_MIGRATIONS", "EvidenceRow", "FieldRow", "LiveBase"]


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
