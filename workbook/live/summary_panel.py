"""The summary panel: the scorecard over every question, the interview clock and the
recommendation."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime

from grading.errors import GradingError
from workbook.errors import WorkbookError
from workbook.live import html
from workbook.live.context import LiveContext
from workbook.live.layout import summary_controls
from workbook.live.scorecard import scorecard
from workbook.live.state import (
    INTERVIEW,
    RECOMMENDATION,
    QuestionState,
    Recommendation,
    TimerState,
    recommendation_problem,
)


class SummaryPanel:
    """The scorecard over every question, the interview clock and the recommendation."""

    def __init__(self, context: LiveContext, on_clock: Callable[[], None]) -> None:
        self.context = context
        self.controls = summary_controls()
        self.widget = self.controls.root
        self.body = self.controls.body
        self.recommendation: Recommendation | None = None
        self._beat = 0
        self.controls.record.on_click(lambda _button: self.record())
        self.controls.clock_toggle.on_click(lambda _button: on_clock())

    def show(self, states: dict[str, QuestionState]) -> None:
        questions = self.context.questions
        card = scorecard(questions, {qid: state.score for qid, state in states.items()})
        self.body.value = (html.scorecard_html(card)
                           + html.questions_html(questions, states, time.time()))

    def record(self) -> bool:
        """Store the chosen recommendation, refused (and said so) without a reason."""
        verdict, reason = self.controls.recommendation.value, self.controls.reason.value
        problem = recommendation_problem(verdict, reason)
        if problem is not None:
            self.controls.recommendation_status.value = html.recommendation_refused(problem)
            return False
        recommendation = Recommendation(verdict=verdict, reason=reason.strip(),
                                        at=datetime.now().astimezone().isoformat(
                                            timespec="seconds"))
        try:
            self.context.store.write(INTERVIEW, RECOMMENDATION, recommendation.to_json())
        except (GradingError, WorkbookError) as exc:
            self.controls.recommendation_status.value = html.not_saved(RECOMMENDATION,
                                                                       str(exc))
            return False
        self.show_recommendation(recommendation)
        return True

    def show_recommendation(self, recommendation: Recommendation | None) -> None:
        self.recommendation = recommendation
        self.controls.recommendation_status.value = html.recommendation_status(recommendation)

    def tick(self, now: float, clock: TimerState, budget_seconds: float) -> None:
        self.controls.interview_clock.value = html.interview_clock(
            clock.seconds(now), budget_seconds, clock.running)
        self.controls.clock_toggle.description = (
            "Pause interview clock" if clock.running else
            "Resume interview clock" if clock.seconds(now) else "Start interview clock")
        self.controls.clock_toggle.icon = "pause" if clock.running else "play"
        self._beat += 1
        self.controls.liveness.value = html.liveness(self._beat)
