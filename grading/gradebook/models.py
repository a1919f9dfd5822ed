"""The gradebook's tables as SQLAlchemy 2 models: the schema as it stands after every migration.

The models are how the store reads and writes; `migrations.py` is how a database gets to
this shape. A test compares the two, so a model change without its migration fails.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class Base(DeclarativeBase):
    pass


class CandidateRow(Base):
    __tablename__ = "candidates"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(Text, unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    submissions: Mapped[list[SubmissionRow]] = relationship(back_populates="candidate")


class SubmissionRow(Base):
    """One graded (or refused, or failed) notebook file; regrading adds a new row."""

    __tablename__ = "submissions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("candidates.id"), index=True)
    content_hash: Mapped[str] = mapped_column(String(64), index=True)
    source_path: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))
    points: Mapped[int] = mapped_column(Integer)
    max_points: Mapped[int] = mapped_column(Integer)
    seconds: Mapped[float] = mapped_column(Float)
    bank_version: Mapped[str | None] = mapped_column(Text, nullable=True)
    #: the notebook's `metadata.workbook`, kept whole for reports
    workbook_meta: Mapped[dict[str, Any]] = mapped_column(JSON)
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    #: the issued assignment it was graded against (`grading.assignment`), if any
    assignment_id: Mapped[str | None] = mapped_column(Text, nullable=True)
    #: an `AssignmentState`; empty on rows recorded before assignments existed
    assignment_state: Mapped[str | None] = mapped_column(String(16), nullable=True)

    candidate: Mapped[CandidateRow] = relationship(back_populates="submissions")
    questions: Mapped[list[QuestionResultRow]] = relationship(
        back_populates="submission", order_by="QuestionResultRow.position",
        cascade="all, delete-orphan")
    events: Mapped[list[EventRow]] = relationship(
        back_populates="submission", order_by="EventRow.position", cascade="all, delete-orphan")


class QuestionResultRow(Base):
    __tablename__ = "question_results"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    question_id: Mapped[str] = mapped_column(Text)
    points: Mapped[int] = mapped_column(Integer)
    max_points: Mapped[int] = mapped_column(Integer)
    answer: Mapped[str] = mapped_column(Text)

    submission: Mapped[SubmissionRow] = relationship(back_populates="questions")
    checks: Mapped[list[CheckResultRow]] = relationship(
        back_populates="question", order_by="CheckResultRow.position",
        cascade="all, delete-orphan")


class CheckResultRow(Base):
    __tablename__ = "check_results"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    question_result_id: Mapped[int] = mapped_column(ForeignKey("question_results.id"),
                                                    index=True)
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(Text)
    #: hidden checks earn points; public (candidate-visible) checks are graded apart
    hidden: Mapped[bool] = mapped_column()
    passed: Mapped[bool] = mapped_column()
    points: Mapped[int] = mapped_column(Integer)
    max_points: Mapped[int] = mapped_column(Integer)
    message: Mapped[str] = mapped_column(Text)

    question: Mapped[QuestionResultRow] = relationship(back_populates="checks")


class EventRow(Base):
    """Something that happened while grading: a timeout, a restored cell, a refusal reason.

    `question_result_id` is set for events that belong to one question's result and empty
    for submission-wide events (whose `task_id` may still name a question).
    """

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id"), index=True)
    question_result_id: Mapped[int | None] = mapped_column(ForeignKey("question_results.id"),
                                                           nullable=True)
    position: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(32))
    task_id: Mapped[str | None] = mapped_column(Text, nullable=True)
    detail: Mapped[str] = mapped_column(Text)

    submission: Mapped[SubmissionRow] = relationship(back_populates="events")
    question: Mapped[QuestionResultRow | None] = relationship()


class AssignmentRow(Base):
    """One issued workbook (`grading.assignment.Assignment`) and its HMAC signature."""

    __tablename__ = "assignments"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    candidate: Mapped[str | None] = mapped_column(Text, nullable=True)
    tasks: Mapped[list[str]] = mapped_column(JSON)
    details: Mapped[dict[str, Any]] = mapped_column(JSON)
    issued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    signature: Mapped[str] = mapped_column(String(64))


class KeyRow(Base):
    """A secret of the gradebook kept in the database itself (a server has no folder of its
    own to keep a key file in); a SQLite gradebook keeps its key in a file beside it."""

    __tablename__ = "gradebook_keys"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class ClaimRow(Base):
    """A grader working on a submission now: no other grader takes it until the lease ends.

    The grader renews the lease while it works and deletes the row once the result is
    recorded; a grader that dies leaves a row that expires, and then anyone may take it.
    """

    __tablename__ = "claims"

    content_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    owner: Mapped[str] = mapped_column(Text)
    claimed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


class AnswerKeyRow(Base):
    """An answer key (what the references observed) by the digest of what made it
    (`grading/answer_keys.py`), signed with the gradebook's key, so later runs and other
    graders on this gradebook do not run the references again."""

    __tablename__ = "answer_keys"

    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    signature: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
