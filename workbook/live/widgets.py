"""What the panels do: each control owns one gradebook field and writes it as it changes.

The widget tree is built in `layout.py` (the one module that imports ipywidgets), the
markup in `html.py`, the background thread is `keeper.py`. The panels' behaviours live
one per module: `field_writer.py` saves a change and tells stored values already seen
(so they are not written back), `answer_view.py` shows the candidate's answer and its
earlier versions, `question_panel.py` one question's ticks, score, notes, timer and live
checks, `summary_panel.py` the scorecard, interview clock and recommendation. Here is
`LivePanels`, which ties one kernel's panels to the gradebook and the keeper's thread.
"""

from __future__ import annotations

import threading
import time
from contextlib import suppress
from datetime import UTC, datetime

from grading.errors import GradingError
from workbook.errors import SessionError, WorkbookError
from workbook.live.answers import read_answers
from workbook.live.context import LiveContext
from workbook.live.keeper import Keeper
from workbook.live.question_panel import QuestionPanel
from workbook.live.state import (
    CLOCK,
    INTERVIEW,
    RECOMMENDATION,
    Recommendation,
    TimerState,
    state_from_fields,
)
from workbook.live.store import Evidence, StoredField
from workbook.live.summary_panel import SummaryPanel


class LivePanels:
    """The panels of one kernel, the interview-wide state they share, and their thread."""

    def __init__(self, context: LiveContext) -> None:
        self.context = context
        self.panels: dict[str, QuestionPanel] = {}
        self.summaries: list[SummaryPanel] = []
        self.clock = TimerState()
        self._clock_seen: datetime | None = None
        self._lock = threading.Lock()
        self._evidence: list[Evidence] = []
        self._keeper = Keeper(self)
        self.budget_seconds = float(sum(q.minutes for q in context.questions) * 60)

    def question_panel(self, question_id: str) -> QuestionPanel:
        question = self.context.question(question_id)
        stale = self.panels.pop(question_id, None)
        if stale is not None:
            stale.widget.close()
        panel = QuestionPanel(self.context, question, on_score=self._score_changed,
                              on_timer_started=self._question_timer_started)
        stored = self.context.store.read()
        self._apply_interview(stored.get(INTERVIEW, {}))
        panel.restore(stored.get(question_id, {}))
        self.panels[question_id] = panel
        with suppress(GradingError, WorkbookError):  # the keeper's next sync tries again
            self._show_answers([panel])
        panel.tick(time.time(), self.clock, self.budget_seconds)
        self._keeper.ensure_running()
        return panel

    def summary_panel(self) -> SummaryPanel:
        summary = SummaryPanel(self.context, on_clock=self.toggle_clock)
        self.summaries = [summary]  # a re-run replaces the summary that was shown
        stored = self.context.store.read()
        self._apply_interview(stored.get(INTERVIEW, {}), force=True)
        self._refresh_summaries(stored)
        summary.tick(time.time(), self.clock, self.budget_seconds)
        self._keeper.ensure_running()
        return summary

    # -- the interview clock -------------------------------------------------------------

    def toggle_clock(self) -> None:
        now = time.time()
        with self._lock:
            self.clock = self.clock.paused(now) if self.clock.running else self.clock.started(
                now)
            clock = self.clock
        self._save_clock(clock)
        self.tick(now)

    def _question_timer_started(self, now: float) -> None:
        """The interview starts with its first question's timer, unless started before."""
        with self._lock:
            if self.clock.running or self.clock.seconds(now):
                return
            self.clock = self.clock.started(now)
            clock = self.clock
        self._save_clock(clock)

    def _save_clock(self, clock: TimerState) -> None:
        with suppress(GradingError, WorkbookError):  # shown anyway; the next click retries
            self.context.store.write(INTERVIEW, CLOCK, clock.to_json())
            self._clock_seen = datetime.now(UTC)

    def _apply_interview(self, fields: dict[str, StoredField], force: bool = False) -> None:
        stored_clock = fields.get(CLOCK)
        if stored_clock is not None and (self._clock_seen is None
                                         or stored_clock.updated_at > self._clock_seen):
            with self._lock:
                self.clock = TimerState.from_json(stored_clock.value)
            self._clock_seen = stored_clock.updated_at
        stored = fields.get(RECOMMENDATION)
        recommendation = Recommendation.from_json(stored.value) if stored else None
        for summary in self.summaries:
            if force or recommendation != summary.recommendation:
                summary.show_recommendation(recommendation)

    # -- keeping current -----------------------------------------------------------------

    def _score_changed(self) -> None:
        if self.summaries:
            with suppress(GradingError, WorkbookError):  # the next sync shows it anyway
                self._refresh_summaries(self.context.store.read())

    def _refresh_summaries(self, stored: dict[str, dict[str, StoredField]]) -> None:
        states = {qid: state_from_fields({n: f.value for n, f in fields.items()})
                  for qid, fields in stored.items() if qid != INTERVIEW}
        for summary in self.summaries:
            summary.show(states)

    def _show_answers(self, panels: list[QuestionPanel]) -> None:
        coding = [panel for panel in panels if panel.question.is_coding]
        if not coding:
            return
        after = self._evidence[-1].id if self._evidence else 0
        self._evidence += self.context.store.evidence(after=after)
        try:
            answers = read_answers(self.context.binding.answers_notebook,
                                   [panel.question.id for panel in coding])
            problem = ""
        except SessionError as exc:
            answers, problem = {}, str(exc)
        for panel in coding:
            answer = answers.get(panel.question.id)
            panel.show_answer(answer, problem or ("" if answer else
                                                  "no answer cell (was it deleted?)"),
                              self._evidence)

    def sync(self) -> None:
        """Read the session back and show what other kernels and the candidate wrote."""
        stored = self.context.store.read()
        self._apply_interview(stored.get(INTERVIEW, {}))
        for qid, panel in list(self.panels.items()):
            panel.apply_stored(stored.get(qid, {}))
        self._refresh_summaries(stored)
        self._show_answers(list(self.panels.values()))

    def tick(self, now: float) -> None:
        with self._lock:
            clock = self.clock
        for panel in list(self.panels.values()):
            panel.tick(now, clock, self.budget_seconds)
        for summary in list(self.summaries):
            summary.tick(now, clock, self.budget_seconds)

    def stop(self) -> None:
        self._keeper.stop()
