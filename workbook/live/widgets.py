"""What the panels do: each control owns one gradebook field and writes it as it changes.

The widget tree is built in `layout.py` (the one module that imports ipywidgets), the
markup in `html.py`, the background thread is `keeper.py`; here are the panels'
behaviours: saving a change, showing what was stored (without writing it back), the
candidate's answer and its earlier versions, the timers, the interview clock, the live
checks and the overall recommendation.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from grading.errors import GradingError
from workbook.errors import SessionError, WorkbookError
from workbook.live import html
from workbook.live.answers import SavedAnswer, read_answer, read_answers
from workbook.live.checks import run_checks
from workbook.live.context import LiveContext
from workbook.live.history import (
    CHECKS as CHECKS_EVIDENCE,
)
from workbook.live.history import (
    FAILED,
    PASSED,
    AnswerVersion,
    LastRun,
    last_run,
    versions,
)
from workbook.live.keeper import Keeper
from workbook.live.layout import question_controls, summary_controls
from workbook.live.scorecard import scorecard
from workbook.live.state import (
    CHECKS,
    CLOCK,
    INTERVIEW,
    NOTES,
    RECOMMENDATION,
    SCORE,
    TIMER,
    LiveVerdict,
    QuestionState,
    Recommendation,
    TimerState,
    parse_field,
    recommendation_problem,
    red_flag_field,
    signal_field,
    state_from_fields,
    verdict_to_json,
)
from workbook.live.store import Evidence, StoredField
from workbook.model import Question

if TYPE_CHECKING:
    import ipywidgets as w


class FieldWriter:
    """Saves one panel's fields, and knows which stored values it has already seen.

    Values applied from the gradebook must not be written back; which thread is applying
    is kept per panel, so an interviewer's click arriving while the sync thread applies
    another kernel's change is still saved."""

    def __init__(self, context: LiveContext, question: str, status: w.HTML) -> None:
        self.context = context
        self.question = question
        self.status = status
        self.seen: dict[str, datetime] = {}
        self._applying = threading.local()

    @contextmanager
    def applying_stored_values(self) -> Iterator[None]:
        self._applying.active = True
        try:
            yield
        finally:
            self._applying.active = False

    @property
    def applying(self) -> bool:
        return bool(getattr(self._applying, "active", False))

    def on_change(self, field: str) -> Callable[[dict[str, Any]], None]:
        def write(change: dict[str, Any]) -> None:
            if not self.applying:
                self.save(field, change["new"])
        return write

    def save(self, field: str, value: Any) -> bool:
        try:
            self.context.store.write(self.question, field, value)
        except (GradingError, WorkbookError) as exc:
            self.status.value = html.not_saved(field, str(exc))
            return False
        self.seen[field] = datetime.now(UTC)
        binding = self.context.binding
        self.status.value = html.saved_line(binding.session, binding.candidate, datetime.now())
        return True

    def newer(self, fields: dict[str, StoredField]) -> dict[str, StoredField]:
        """The stored fields written elsewhere after this panel last saw them."""
        found = {name: stored for name, stored in fields.items()
                 if name not in self.seen or stored.updated_at > self.seen[name]}
        for name, stored in found.items():
            self.seen[name] = stored.updated_at
        return found


class AnswerView:
    """The candidate's answer beside the panel: live, or a step back through the record."""

    def __init__(self, pane: w.HTML, earlier: w.Button, later: w.Button,
                 live: w.Button) -> None:
        self.pane, self.earlier, self.later, self.live = pane, earlier, later, live
        self.answer: SavedAnswer | None = None
        self.problem = ""
        self.versions: list[AnswerVersion] = []
        self.last_run: LastRun | None = None
        #: None: following the live answer; else the index of the version shown
        self.index: int | None = None
        earlier.on_click(lambda _b: self.step(-1))
        later.on_click(lambda _b: self.step(+1))
        live.on_click(lambda _b: self.follow_live())
        self.show()

    def update(self, answer: SavedAnswer | None, problem: str,
               evidence_versions: list[AnswerVersion], run: LastRun | None) -> None:
        if (answer, problem, evidence_versions, run) == (self.answer, self.problem,
                                                         self.versions, self.last_run):
            return
        self.answer, self.problem, self.versions, self.last_run = (
            answer, problem, evidence_versions, run)
        self.show()

    def step(self, delta: int) -> None:
        if not self.versions:
            return
        start = len(self.versions) if self.index is None else self.index
        target = start + delta
        self.index = None if target >= len(self.versions) else max(0, target)
        self.show()

    def follow_live(self) -> None:
        self.index = None
        self.show()

    def show(self) -> None:
        version = self.versions[self.index] if self.index is not None else None
        self.pane.value = html.answer_pane(
            answer=self.answer, problem=self.problem, last=self.last_run, version=version,
            index=self.index or 0, count=len(self.versions))
        self.earlier.disabled = not self.versions or self.index == 0
        self.later.disabled = self.index is None
        self.live.disabled = self.index is None
        self.live.button_style = "" if self.index is None else "warning"


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
