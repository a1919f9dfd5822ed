"""The panel's side of the gradebook: write one field now, read a session back.

Every write is its own transaction in the gradebook (`Gradebook.set_score`), so a click is
on disk before the panel says "saved". Live-check verdicts are also recorded as a
submission holding the latest verdict of every checked question of the session, so
`workbook report` can render them beside batch results.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from workbook.live.binding import SessionBinding
from workbook.live.state import CHECKS, verdict_from_json

if TYPE_CHECKING:
    from grading.gradebook import Gradebook


@dataclass(frozen=True, kw_only=True)
class StoredField:
    value: Any
    updated_at: datetime


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
                from grading.gradebook import Gradebook

                self._gradebook = Gradebook.open(self.binding.gradebook)
            return self._gradebook

    def close(self) -> None:
        if self._gradebook is not None:
            self._gradebook.close()
            self._gradebook = None

    def write(self, question: str, field: str, value: Any) -> None:
        """Store one field of one question; raises grading's GradebookError on failure."""
        self.gradebook.set_score(session=self.binding.session, candidate=self.binding.candidate,
                                 question=question, field=field, value=value)

    def read(self) -> dict[str, dict[str, StoredField]]:
        """Every stored field of this session: question -> field -> value and time."""
        fields: dict[str, dict[str, StoredField]] = {}
        for record in self.gradebook.scores(session=self.binding.session,
                                            candidate=self.binding.candidate):
            stamp = record.updated_at
            if stamp.tzinfo is None:  # SQLite keeps no zone; the gradebook writes UTC
                stamp = stamp.replace(tzinfo=UTC)
            fields.setdefault(record.question, {})[record.field] = StoredField(
                value=record.value, updated_at=stamp)
        return fields

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
