"""One question's scoring panel: answer, rubric ticks, score, notes, timer and live checks."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from grading.errors import GradingError
from workbook.errors import WorkbookError
from workbook.live import html
from workbook.live.answer_view import AnswerView
from workbook.live.answers import SavedAnswer, read_answer
from workbook.live.checks import run_checks
from workbook.live.context import LiveContext
from workbook.live.field_writer import FieldWriter
from workbook.live.history import (
    CHECKS as CHECKS_EVIDENCE,
)
from workbook.live.history import (
    FAILED,
    PASSED,
    last_run,
    versions,
)
from workbook.live.layout import question_controls
from workbook.live.state import (
    CHECKS,
    NOTES,
    SCORE,
    TIMER,
    LiveVerdict,
    QuestionState,
    TimerState,
    parse_field,
    red_flag_field,
    signal_field,
    state_from_fields,
    verdict_to_json,
)
from workbook.live.store import Evidence, StoredField
from workbook.model import Question


class QuestionPanel:
    """The scoring panel of one question: answer, rubric ticks, score, notes, timer, checks."""

    def __init__(self, context: LiveContext, question: Question,
                 on_score: Callable[[], None] = lambda: None,
                 on_timer_started: Callable[[float], None] = lambda _now: None) -> None:
        self.context = context
        self.question = question
        self._on_score = on_score
        self._on_timer_started = on_timer_started
        self._timer = TimerState()
        self._lock = threading.Lock()
        self._checking = False
        self._beat = 0
        binding = context.binding
        controls = question_controls(question, binding.candidate, html.save_hint(
            binding.session, binding.candidate, binding.bound))
        self.controls = controls
        self.widget = controls.root
        self.signals, self.red_flags = controls.signals, controls.red_flags
        self.score, self.score_meaning = controls.score, controls.score_meaning
        self.notes = controls.notes
        self.timer_label, self.timer_bar = controls.timer_label, controls.timer_bar
        self.timer_toggle, self.timer_reset = controls.timer_toggle, controls.timer_reset
        self.run_button, self.check_status = controls.run_button, controls.check_status
        self.verdict, self.saved = controls.verdict, controls.saved
        self.writer = FieldWriter(context, question.id, controls.saved)
        self.answer = AnswerView(controls.answer, controls.earlier, controls.later,
                                 controls.live)
        self._wire()

    def _wire(self) -> None:
        writer = self.writer
        for index, box in enumerate(self.signals):
            box.observe(writer.on_change(signal_field(index)), names="value")
        for index, box in enumerate(self.red_flags):
            box.observe(writer.on_change(red_flag_field(index)), names="value")
        self.score.observe(self._score_changed, names="value")
        self.notes.observe(writer.on_change(NOTES), names="value")
        self.timer_toggle.on_click(lambda _button: self._toggle_timer())
        self.timer_reset.on_click(lambda _button: self._reset_timer())
        self.run_button.on_click(lambda _button: self.start_checks())

    # -- writing -------------------------------------------------------------------------

    def _score_changed(self, change: dict[str, Any]) -> None:
        self.score_meaning.value = html.score_scale(self.question.rubric.scores, change["new"])
        if not self.writer.applying:
            self.writer.save(SCORE, change["new"])
        self._on_score()

    def _toggle_timer(self) -> None:
        now = time.time()
        with self._lock:
            started = not self._timer.running
            self._timer = self._timer.started(now) if started else self._timer.paused(now)
            timer = self._timer
        self.writer.save(TIMER, timer.to_json())
        if started:
            self._on_timer_started(now)
        self.tick(now)

    def _reset_timer(self) -> None:
        with self._lock:
            self._timer = TimerState()
        self.writer.save(TIMER, self._timer.to_json())
        self.tick(time.time())

    # -- live checks ---------------------------------------------------------------------

    def start_checks(self) -> threading.Thread | None:
        """Run the checks in a background thread so the panel stays responsive."""
        with self._lock:
            if self._checking:
                return None
            self._checking = True
        self.run_button.disabled = True
        self.run_button.description = "Running..."
        self.check_status.value = html.check_status(
            "running the checks in a confined kernel...", failed=False)
        worker = threading.Thread(target=self._check_now, name=f"checks-{self.question.id}",
                                  daemon=True)
        worker.start()
        return worker

    def _check_now(self) -> None:
        try:
            answer = read_answer(self.context.binding.answers_notebook, self.question.id)
            verdict = run_checks(self.question, answer)
        except (GradingError, WorkbookError) as exc:
            self.check_status.value = html.check_status(str(exc), failed=True)
        except Exception as exc:
            # an unforeseen fault here would otherwise die silently with the thread and
            # leave the interviewer waiting for a verdict that never comes
            self.check_status.value = html.check_status(
                f"checks could not run ({type(exc).__name__}: {exc}); the scores are "
                "safe, try again or restart the kernel", failed=True)
        else:
            self.show_verdict(verdict)
            self.check_status.value = ""
            self._record_verdict(answer, verdict)
        finally:
            self.run_button.description = "Run checks"
            self.run_button.disabled = False
            with self._lock:
                self._checking = False

    def _record_verdict(self, answer: SavedAnswer, verdict: LiveVerdict) -> None:
        result = verdict.result
        passed = result.points == result.max_points and all(
            check.passed for check in result.public_checks)
        try:
            self.context.store.append([Evidence(
                at=datetime.now(UTC), kind=CHECKS_EVIDENCE, code=answer.code,
                outcome=PASSED if passed else FAILED, question=self.question.id,
                cell_id=answer.cell_id)])
            if self.writer.save(CHECKS, verdict_to_json(verdict)):
                self.context.store.record_verdicts(self.context.workbook_meta)
        except GradingError as exc:
            self.check_status.value = html.check_status(
                f"verdict not recorded as a submission: {exc}", failed=True)

    def show_verdict(self, verdict: LiveVerdict | None) -> None:
        self.verdict.value = html.verdict_html(verdict)

    # -- reading back --------------------------------------------------------------------

    def restore(self, fields: dict[str, StoredField]) -> None:
        """Show the stored fields without writing them back."""
        self.writer.seen = {name: stored.updated_at for name, stored in fields.items()}
        state = state_from_fields({name: stored.value for name, stored in fields.items()})
        with self.writer.applying_stored_values():
            for index, box in enumerate(self.signals):
                box.value = index in state.signals
            for index, box in enumerate(self.red_flags):
                box.value = index in state.red_flags
            self.score.value = state.score
            self.notes.value = state.notes
        with self._lock:
            self._timer = state.timer
        self.show_verdict(state.verdict)
        self.tick(time.time())

    def apply_stored(self, fields: dict[str, StoredField]) -> None:
        """Take the fields written elsewhere after this panel last saw them."""
        newer = self.writer.newer(fields)
        if not newer:
            return
        current = state_from_fields({name: stored.value for name, stored in fields.items()})
        with self.writer.applying_stored_values():
            for name in newer:
                self._apply_field(name, current)

    def _apply_field(self, name: str, state: QuestionState) -> None:
        field = parse_field(name)
        if field.kind == SCORE:
            self.score.value = state.score
        elif field.kind == NOTES:
            self.notes.value = state.notes
        elif field.kind == TIMER:
            with self._lock:
                self._timer = state.timer
            self.tick(time.time())
        elif field.kind == CHECKS:
            self.show_verdict(state.verdict)
        elif field.kind in ("signal", "red_flag") and field.index is not None:
            boxes, ticked = ((self.signals, state.signals) if field.kind == "signal"
                             else (self.red_flags, state.red_flags))
            if field.index < len(boxes):  # a rubric shortened since stays as it is
                boxes[field.index].value = field.index in ticked

    def show_answer(self, answer: SavedAnswer | None, problem: str,
                    evidence: list[Evidence]) -> None:
        if self.question.is_coding:
            self.answer.update(answer, problem, versions(evidence, self.question.id),
                               last_run(evidence, self.question.id))

    def tick(self, now: float, clock: TimerState | None = None,
             budget_seconds: float = 0.0) -> None:
        with self._lock:
            timer = self._timer
        seconds = timer.seconds(now)
        budget = self.question.minutes * 60
        self.timer_label.value = html.timer_text(seconds, self.question.minutes, timer.running)
        self.timer_bar.value = min(seconds, budget)
        self.timer_bar.bar_style = ("danger" if seconds > budget else
                                    "warning" if seconds > 0.8 * budget else "info")
        self.timer_toggle.description = "Pause timer" if timer.running else (
            "Resume timer" if seconds else "Start timer")
        self.timer_toggle.icon = "pause" if timer.running else "play"
        if clock is not None:
            self.controls.interview_clock.value = html.interview_clock(
                clock.seconds(now), budget_seconds, clock.running)
        self._beat += 1
        self.controls.liveness.value = html.liveness(self._beat)

    @property
    def running(self) -> bool:
        with self._lock:
            return self._timer.running
