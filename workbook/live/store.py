"""The interview side of the gradebook: live score fields and process evidence.

Every field write is its own transaction, so a click is on disk before the panel says
"saved". Evidence rows (cell runs, saves, check runs) are only ever appended. Live-check
verdicts are also recorded as an engine submission holding the latest verdict of every
checked question of the session, so `workbook report` renders them beside batch results.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from workbook.live.binding import SessionBinding
from workbook.live.migrations import LIVE_MIGRATIONS, LIVE_SQLITE_STEPS
from workbook.live.state import CHECKS, verdict_from_json

if TYPE_CHECKING:
    from grading.gradebook import Gradebook

#: the longest code an evidence row keeps (a runaway paste is cut, and says so)
MAX_EVIDENCE_CODE = 64_000


@dataclass(frozen=True, kw_only=True)
class FieldRecord:
    """One stored field of a live interview score."""

    session: str
    candidate: str
    question: str
    field: str
    value: Any
    updated_at: datetime


@dataclass(frozen=True, kw_only=True)
class Evidence:
    """One thing the candidate did, as recorded grading-side (see `tables.EvidenceRow`)."""

    at: datetime
    kind: str
    code: str
    outcome: str
    question: str | None = None
    cell_id: str | None = None
    #: the row's id once stored (0 before); later rows have larger ids
    id: int = 0


@dataclass(frozen=True, kw_only=True)
class StoredField:
    value: Any
    updated_at: datetime


def open_live(url_or_path: str) -> Gradebook:
    """Open a gradebook with the interview side's tables brought up to date."""
    from grading.gradebook import Gradebook

    gradebook = Gradebook.open(url_or_path)
    try:
        gradebook.migrate_also(LIVE_MIGRATIONS, LIVE_SQLITE_STEPS)
    except BaseException:
        gradebook.close()
        raise
    return gradebook


def set_field(gradebook: Gradebook, *, session: str, candidate: str, question: str,
              field: str, value: Any) -> None:
    """Write one field of a live score now, replacing only that field's earlier value."""
    values = {"session": session, "candidate": candidate, "question": question,
              "field": field, "value": value, "updated_at": datetime.now(UTC)}
    keys = ("session", "candidate", "question", "field")
    from workbook.live.tables import FieldRow

    with gradebook.transaction(f"save score {field!r} of {question}") as db:
        if gradebook.dialect in ("sqlite", "postgresql"):
            insert = _dialect_insert(gradebook.dialect)
            statement = insert(FieldRow).values(**values)
            db.execute(statement.on_conflict_do_update(
                index_elements=list(keys),
                set_={"value": statement.excluded.value,
                      "updated_at": statement.excluded.updated_at}))
            return
        from sqlalchemy import select

        row = db.scalars(select(FieldRow).filter_by(**{k: values[k] for k in keys})).first()
        if row is None:
            db.add(FieldRow(**values))
        else:
            row.value, row.updated_at = value, values["updated_at"]


def read_fields(gradebook: Gradebook, *, session: str | None = None,
                candidate: str | None = None) -> list[FieldRecord]:
    """Live score fields, optionally of one session and/or one candidate."""
    where, params = _only(session=session, candidate=candidate)
    with gradebook.reading("read scores") as read:
        return [FieldRecord(session=row_session, candidate=row_candidate, question=question,
                            field=field, value=read.json(value),
                            updated_at=read.moment(updated_at))
                for row_session, row_candidate, question, field, value, updated_at
                in read.rows(f"SELECT session, candidate, question, field, value, updated_at "
                             f"FROM scores{where} ORDER BY session, candidate, question, "
                             f"field", params)]


def _only(after: int | None = None, **equal: str | None) -> tuple[str, list[Any]]:
    """A WHERE clause (and its parameters) keeping the rows whose columns equal the given
    values (those not None), and whose id is above `after` when given."""
    tests = [f"{column} = ?" for column, value in equal.items() if value is not None]
    params: list[Any] = [value for value in equal.values() if value is not None]
    if after is not None:
        tests.insert(0, "id > ?")
        params.insert(0, after)
    return (f" WHERE {' AND '.join(tests)}" if tests else ""), params


def append_evidence(gradebook: Gradebook, *, session: str, candidate: str,
                    evidence: Iterable[Evidence]) -> None:
    """Append evidence rows in one transaction."""
    from workbook.live.tables import EvidenceRow

    rows = [EvidenceRow(session=session, candidate=candidate, at=item.at, kind=item.kind,
                        question=item.question, cell_id=item.cell_id,
                        code=_capped(item.code), outcome=item.outcome[:200])
            for item in evidence]
    if rows:
        with gradebook.transaction("record what the candidate did") as db:
            db.add_all(rows)


def _capped(code: str) -> str:
    if len(code) <= MAX_EVIDENCE_CODE:
        return code
    return code[:MAX_EVIDENCE_CODE] + f"\n# ... cut: {len(code)} characters in all"


def read_evidence(gradebook: Gradebook, *, session: str | None = None,
                  candidate: str | None = None, after: int = 0) -> list[tuple[str, Evidence]]:
    """(session, evidence) pairs in the order they were recorded; only rows stored after
    the row with id `after`, when given."""
    return [(row_session, item) for _candidate, row_session, item in read_candidate_evidence(
        gradebook, session=session, candidate=candidate, after=after)]


def read_candidate_evidence(gradebook: Gradebook, *, session: str | None = None,
                            candidate: str | None = None, after: int = 0
                            ) -> list[tuple[str, str, Evidence]]:
    """(candidate, session, evidence) triples in the order they were recorded."""
    where, params = _only(after=after, session=session, candidate=candidate)
    with gradebook.reading("read what the candidate did") as read:
        return [(row_candidate, row_session, Evidence(
                    at=read.moment(at), kind=kind, code=code, outcome=outcome,
                    question=question, cell_id=cell_id, id=ident))
                for ident, row_candidate, row_session, at, kind, code, outcome, question, cell_id
                in read.rows(f"SELECT id, candidate, session, at, kind, code, outcome, "
                             f"question, cell_id FROM live_evidence{where} ORDER BY id",
                             params)]


def _dialect_insert(dialect: str) -> Any:
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as postgresql_insert

        return postgresql_insert
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert


class LiveScores:
    """The gradebook rows of one interview session, field by field."""

    def __init__(self, binding: SessionBinding) -> None:
        self.binding = binding
        self._gradebook: Gradebook | None = None
        self._opening = threading.Lock()

    @property
    def gradebook(self) -> Gradebook:
        with self._opening:
            if self._gradebook is None:
                self._gradebook = open_live(self.binding.gradebook)
            return self._gradebook

    def close(self) -> None:
        if self._gradebook is not None:
            self._gradebook.close()
            self._gradebook = None

    def write(self, question: str, field: str, value: Any) -> None:
        """Store one field of one question; raises grading's GradebookError on failure."""
        set_field(self.gradebook, session=self.binding.session,
                  candidate=self.binding.candidate, question=question, field=field,
                  value=value)

    def read(self) -> dict[str, dict[str, StoredField]]:
        """Every stored field of this session: question -> field -> value and time."""
        fields: dict[str, dict[str, StoredField]] = {}
        for record in read_fields(self.gradebook, session=self.binding.session,
                                  candidate=self.binding.candidate):
            fields.setdefault(record.question, {})[record.field] = StoredField(
                value=record.value, updated_at=record.updated_at)
        return fields

    def append(self, evidence: Iterable[Evidence]) -> None:
        append_evidence(self.gradebook, session=self.binding.session,
                        candidate=self.binding.candidate, evidence=evidence)

    def evidence(self, after: int = 0) -> list[Evidence]:
        """What the candidate did in this session, oldest first (after row `after`)."""
        return [item for _session, item in read_evidence(
            self.gradebook, session=self.binding.session, candidate=self.binding.candidate,
            after=after)]

    def record_verdicts(self, workbook_meta: Mapping[str, Any]) -> None:
        """Record the latest live-check verdict of each question as one submission."""
        from grading.results import SubmissionResult, SubmissionStatus

        verdicts = []
        for question, fields in sorted(self.read().items()):
            stored = fields.get(CHECKS)
            verdict = verdict_from_json(stored.value) if stored else None
            if verdict is not None and verdict.result.task_id == question:
                verdicts.append(verdict)
        if not verdicts:
            return
        digest = hashlib.sha256(json.dumps(
            [self.binding.session, [(v.result.task_id, v.result.answer, v.ran_at)
                                    for v in verdicts]]).encode()).hexdigest()
        result = SubmissionResult(
            candidate=self.binding.candidate,
            source=str(self.binding.answers_notebook),
            content_hash=digest, status=SubmissionStatus.GRADED,
            tasks=tuple(v.result for v in verdicts))
        meta = {**workbook_meta, "live_session": self.binding.session}
        self.gradebook.record_submission(result, workbook_meta=meta)
