"""The grading side of process evidence: read what the candidate's server reports, record it.

`workbook interview` opens a pipe before starting the candidate's server and hands it the
write end (`recorder.py` writes one JSON line per run or save). Here a thread reads the
other end and appends each line to the gradebook, under the session and candidate this
side knows: the lines come from a less trusted process, so they name nothing but what
happened, every field is checked, and a malformed line is dropped (and counted) rather
than stopping the record.

A save becomes one row per question whose answer changed (the answer's code: the steps
an interviewer can walk back through), or one row without a question when no answer did.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from workbook.live.recorder import EVIDENCE_FD_ENV
from workbook.live.store import Evidence, LiveScores
from workbook.notebook import ROLE_ANSWER

#: the longest line read from the candidate's server; longer ones are dropped
MAX_LINE = 4_000_000
#: how far back a run's own start time may lie (a cell may run for a long time)
MAX_RUN_AGE = 24 * 3600.0


@dataclass
class AnswerTracker:
    """What each question's answer was at the last save, and which cell is whose."""

    answers: dict[str, str] = field(default_factory=dict)
    cell_questions: dict[str, str] = field(default_factory=dict)

    def learn(self, cells: Sequence[Mapping[str, Any]]) -> dict[str, str]:
        """Take a saved notebook's code cells; return the answers that changed."""
        current: dict[str, list[str]] = {}
        for cell in cells:
            question, cell_id = cell.get("question"), cell.get("id")
            if isinstance(question, str) and isinstance(cell_id, str):
                self.cell_questions[cell_id] = question
            if isinstance(question, str) and cell.get("role") == ROLE_ANSWER:
                current.setdefault(question, []).append(str(cell.get("source", "")))
        changed = {}
        for question, parts in current.items():
            code = "\n\n".join(parts)
            if self.answers.get(question) != code:
                changed[question] = code
                self.answers[question] = code
        return changed

    def question_of(self, cell_id: str | None) -> str | None:
        if cell_id is None:
            return None
        if cell_id in self.cell_questions:
            return self.cell_questions[cell_id]
        # cells built by workbook are named <question>-<role>, before any save is seen
        question, _, role = cell_id.rpartition("-")
        return question if role == ROLE_ANSWER and question else None


def tracker_from_notebook(notebook: Path | None) -> AnswerTracker:
    """A tracker primed with the notebook as it is now, so the first save is compared
    with what the candidate was given, not with nothing."""
    tracker = AnswerTracker()
    if notebook is None:
        return tracker
    try:
        cells = json.loads(notebook.read_text(encoding="utf-8")).get("cells", [])
    except (OSError, ValueError, AttributeError):
        return tracker
    code = []
    for cell in cells if isinstance(cells, list) else []:
        if isinstance(cell, dict) and cell.get("cell_type") == "code":
            meta = cell.get("metadata", {}).get("workbook", {})
            meta = meta if isinstance(meta, dict) else {}
            source = cell.get("source", "")
            code.append({"id": cell.get("id"), "question": meta.get("question"),
                         "role": meta.get("role"),
                         "source": "".join(source) if isinstance(source, list) else source})
    tracker.learn(code)
    return tracker


def evidence_from_line(line: str, tracker: AnswerTracker, now: float) -> list[Evidence]:
    """The rows one reported line stands for; [] for a line that is not a report."""
    try:
        record = json.loads(line)
    except ValueError:
        return []
    if not isinstance(record, dict):
        return []
    received = datetime.fromtimestamp(now, UTC)
    if record.get("kind") == "run":
        code, outcome, cell_id = (record.get("code"), record.get("outcome"),
                                  record.get("cell_id"))
        if not isinstance(code, str) or not isinstance(outcome, str) or not outcome:
            return []
        cell = cell_id if isinstance(cell_id, str) else None
        at = record.get("at")
        started = (datetime.fromtimestamp(at, UTC)
                   if isinstance(at, int | float) and now - MAX_RUN_AGE <= at <= now
                   else received)
        return [Evidence(at=started, kind="run", code=code, outcome=outcome[:200],
                         question=tracker.question_of(cell), cell_id=cell)]
    if record.get("kind") == "save":
        cells = record.get("cells")
        if not isinstance(cells, list) or not all(isinstance(c, dict) for c in cells):
            return []
        changed = tracker.learn(cells)
        if not changed:
            return [Evidence(at=received, kind="save", code="", outcome="saved")]
        return [Evidence(at=received, kind="save", code=code, outcome="saved",
                         question=question) for question, code in sorted(changed.items())]
    return []


class EvidenceRecorder:
    """The pipe to the candidate's server and the thread recording what comes through.

    Use as a context manager around the candidate's server: `fd` goes to the server
    (inherited, named by `env`); on exit the rest of the pipe is read and recorded."""

    def __init__(self, store: LiveScores, candidate_notebook: Path | None) -> None:
        self.store = store
        self.tracker = tracker_from_notebook(candidate_notebook)
        self.dropped = 0
        self.failed: str | None = None
        read_fd, self.fd = os.pipe()
        self._reader: IO[str] = os.fdopen(read_fd, "r", encoding="utf-8",
                                          errors="replace")
        self._thread = threading.Thread(target=self._record_all, name="workbook-evidence",
                                        daemon=True)

    @property
    def env(self) -> dict[str, str]:
        return {EVIDENCE_FD_ENV: str(self.fd)}

    def __enter__(self) -> EvidenceRecorder:
        os.set_inheritable(self.fd, True)
        self._thread.start()
        return self

    def server_started(self) -> None:
        """Close our copy of the write end: the pipe ends when the server does."""
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1

    def __exit__(self, *_exc: object) -> None:
        self.server_started()
        self._thread.join(timeout=30)

    def _lines(self) -> Iterator[str]:
        while True:
            line = self._reader.readline(MAX_LINE)
            if not line:
                return
            if not line.endswith("\n"):  # longer than MAX_LINE: skip the rest of it
                self.dropped += 1
                while line and not line.endswith("\n"):
                    line = self._reader.readline(MAX_LINE)
                continue
            yield line

    def _record_all(self) -> None:
        from grading.errors import GradingError

        with self._reader:
            for line in self._lines():
                rows = evidence_from_line(line, self.tracker, time.time())
                if not rows:
                    self.dropped += 1
                    continue
                try:
                    self.store.append(rows)
                except GradingError as exc:  # keep reading: the next write may succeed
                    self.failed = str(exc)
