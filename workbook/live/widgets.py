"""The ipywidgets adapter: scoring and summary panels wired to the gradebook.

ipywidgets is imported here and nowhere else. Each control owns one gradebook field and
writes it the moment it changes. A background thread of the kernel ticks running timers
and reads the session back every few seconds, so a panel in another kernel (a second
interviewer, a reopened notebook) converges on what was written elsewhere.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from html import escape
from typing import Any

import ipywidgets as w

from grading.errors import GradingError
from workbook.errors import WorkbookError
from workbook.live import html
from workbook.live.answers import read_answer
from workbook.live.checks import run_checks
from workbook.live.context import LiveContext
from workbook.live.scorecard import scorecard
from workbook.live.state import (
    CHECKS,
    NOTES,
    SCORE,
    TIMER,
    LiveVerdict,
    QuestionState,
    TimerState,
    red_flag_field,
    signal_field,
    state_from_fields,
    verdict_to_json,
)
from workbook.live.store import StoredField
from workbook.model import Question

#: seconds between two reads of the session from the gradebook
SYNC_SECONDS = 2.0
#: seconds between two timer redraws
TICK_SECONDS = 1.0

# Rubric text wraps instead of being cut off; scoped to our panels only.
_STYLE = """<style>
.workbook-panel .widget-checkbox { height: auto; width: 100%; }
.workbook-panel .widget-checkbox label { white-space: normal; line-height: 1.35;
  display: flex; gap: 6px; align-items: flex-start; overflow: visible; height: auto; }
.workbook-panel .widget-checkbox input { margin: 3px 0 0 0; flex: none; }
.workbook-panel .widget-html-content { line-height: 1.35; }
.workbook-panel .widget-toggle-buttons .widget-toggle-button { width: 44px; }
</style>"""

_applying = threading.local()


@contextmanager
def _applying_stored_values() -> Iterator[None]:
    """Widget changes made inside come from the gradebook: do not write them back."""
    _applying.active = True
    try:
        yield
    finally:
        _applying.active = False


def _is_applying() -> bool:
    return bool(getattr(_applying, "active", False))


def _section(title: str, colour: str = "#24292f") -> w.HTML:
    return w.HTML(html.heading(title, colour))


class QuestionPanel:
    """The scoring panel of one question: rubric ticks, score, notes, timer, live checks."""

    def __init__(self, context: LiveContext, question: Question,
                 on_score: Callable[[], None] = lambda: None) -> None:
        self.context = context
        self.question = question
        self._on_score = on_score
        self._timer = TimerState()
        self._known: dict[str, datetime] = {}
        self._lock = threading.Lock()
        self._checking = False
        rubric = question.rubric

        self.signals = [self._checkbox(text) for text in rubric.strong_signals]
        self.red_flags = [self._checkbox(text) for text in rubric.red_flags]
        self.score = w.ToggleButtons(
            options=[(str(s), s) for s in sorted(rubric.scores)], value=None,
            tooltips=[rubric.scores[s] for s in sorted(rubric.scores)],
            style={"button_width": "44px"})
        self.score_meaning = w.HTML(html.score_scale(rubric.scores, None))
        self.notes = w.Textarea(placeholder="What did you see and hear? Hints given, quotes, "
                                "how they reasoned...", rows=4,
                                layout=w.Layout(width="98%"))
        self.timer_label = w.HTML()
        self.timer_bar = w.FloatProgress(value=0, min=0, max=question.minutes * 60,
                                         layout=w.Layout(width="220px"))
        self.timer_toggle = w.Button(description="Start timer", icon="play",
                                     layout=w.Layout(width="130px"))
        self.timer_reset = w.Button(description="Reset", icon="undo",
                                    layout=w.Layout(width="90px"))
        self.run_button = w.Button(description="Run checks", icon="check",
                                   button_style="primary", layout=w.Layout(width="130px"),
                                   tooltip="Run the public and hidden checks on the "
                                           "candidate's current answer")
        self.run_button.add_class("workbook-run-checks")
        self.check_status = w.HTML()
        self.verdict = w.HTML(html.verdict_html(None))
        self.verdict.add_class("workbook-verdict-box")
        self.saved = w.HTML(html.save_hint(context.binding.session, context.binding.candidate,
                                           context.binding.bound))
        self.saved.add_class("workbook-saved")
        self.widget = self._layout()
        self._wire()

    # -- building ------------------------------------------------------------------------

    @staticmethod
    def _checkbox(text: str) -> w.Checkbox:
        return w.Checkbox(value=False, description=html.inline(text), indent=False,
                          description_allow_html=True, layout=w.Layout(width="100%"))

    def _layout(self) -> w.VBox:
        question, rubric = self.question, self.question.rubric
        look_for = w.VBox([_section("Look for (strong signals)", html.PASS_COLOUR),
                           *self.signals], layout=w.Layout(width="50%", padding="0 8px 0 0"))
        watch_for = w.VBox([_section("Watch for (red flags)", html.FAIL_COLOUR),
                            *self.red_flags], layout=w.Layout(width="50%"))
        parts: list[w.Widget] = [
            w.HTML(_STYLE + html.panel_title(question, self.context.binding.candidate)),
            w.HBox([look_for, watch_for]),
            _section("Ask next (follow-up probes)"),
            w.HTML(html.follow_ups(rubric.follow_ups)),
            _section("Score"),
            self.score, self.score_meaning,
            _section("Notes"), self.notes,
            _section("Time"),
            w.HBox([self.timer_label], layout=w.Layout(align_items="center")),
            w.HBox([self.timer_bar, self.timer_toggle, self.timer_reset],
                   layout=w.Layout(align_items="center")),
        ]
        if question.is_coding:
            parts += [_section("Checks"), w.HBox([self.run_button, self.check_status],
                                                 layout=w.Layout(align_items="center")),
                      self.verdict]
        else:
            parts += [w.HTML(f"<div style='color:{html.MUTED_COLOUR};margin-top:6px'>"
                             "Discussion question: no automated checks.</div>")]
        parts.append(self.saved)
        box = w.VBox(parts, layout=w.Layout(border="1px solid #d0d7de", padding="8px 12px",
                                            margin="4px 0", width="100%"))
        box.add_class("workbook-panel")
        return box

    def _wire(self) -> None:
        for index, box in enumerate(self.signals):
            box.observe(self._field_writer(signal_field(index)), names="value")
        for index, box in enumerate(self.red_flags):
            box.observe(self._field_writer(red_flag_field(index)), names="value")
        self.score.observe(self._score_changed, names="value")
        self.notes.observe(self._field_writer(NOTES), names="value")
        self.timer_toggle.on_click(lambda _button: self._toggle_timer())
        self.timer_reset.on_click(lambda _button: self._reset_timer())
        self.run_button.on_click(lambda _button: self.start_checks())

    # -- writing -------------------------------------------------------------------------

    def _field_writer(self, field: str) -> Callable[[dict[str, Any]], None]:
        def write(change: dict[str, Any]) -> None:
            if not _is_applying():
                self._save(field, change["new"])
        return write

    def _save(self, field: str, value: Any) -> bool:
        try:
            self.context.store.write(self.question.id, field, value)
        except (GradingError, WorkbookError) as exc:
            self.saved.value = (f"<div style='color:{html.FAIL_COLOUR};font-weight:600'>"
                                f"NOT SAVED ({escape(field)}): {escape(str(exc))}"
                                "</div>")
            return False
        self._known[field] = datetime.now(UTC)
        binding = self.context.binding
        self.saved.value = (f"<div style='color:{html.MUTED_COLOUR};font-size:12px;"
                            f"margin-top:6px'>Saved {datetime.now():%H:%M:%S} · session "
                            f"{escape(binding.session)} · candidate "
                            f"{escape(binding.candidate)}</div>")
        return True

    def _score_changed(self, change: dict[str, Any]) -> None:
        self.score_meaning.value = html.score_scale(self.question.rubric.scores, change["new"])
        if not _is_applying():
            self._save(SCORE, change["new"])
        self._on_score()

    def _toggle_timer(self) -> None:
        now = time.time()
        with self._lock:
            self._timer = (self._timer.paused(now) if self._timer.running
                           else self._timer.started(now))
            timer = self._timer
        self._save(TIMER, timer.to_json())
        self.tick(now)

    def _reset_timer(self) -> None:
        with self._lock:
            self._timer = TimerState()
        self._save(TIMER, self._timer.to_json())
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
        self.check_status.value = (f"<span class='workbook-check-status' style='color:"
                                   f"{html.MUTED_COLOUR}'>running the checks in a confined "
                                   "kernel...</span>")
        worker = threading.Thread(target=self._check_now, name=f"checks-{self.question.id}",
                                  daemon=True)
        worker.start()
        return worker

    def _check_now(self) -> None:
        try:
            answer = read_answer(self.context.binding.answers_notebook, self.question.id)
            verdict = run_checks(self.question, answer)
        except (GradingError, WorkbookError) as exc:
            self.check_status.value = (f"<span class='workbook-check-status' style='color:"
                                       f"{html.FAIL_COLOUR}'>{escape(str(exc))}</span>")
        else:
            self.show_verdict(verdict)
            self.check_status.value = ""
            if self._save(CHECKS, verdict_to_json(verdict)):
                try:
                    self.context.store.record_verdicts(self.context.workbook_meta)
                except GradingError as exc:
                    self.check_status.value = (f"<span style='color:{html.FAIL_COLOUR}'>"
                                               f"verdict not recorded as a submission: "
                                               f"{escape(str(exc))}</span>")
        finally:
            self.run_button.description = "Run checks"
            self.run_button.disabled = False
            with self._lock:
                self._checking = False

    def show_verdict(self, verdict: LiveVerdict | None) -> None:
        self.verdict.value = html.verdict_html(verdict)

    # -- reading back --------------------------------------------------------------------

    def restore(self, fields: dict[str, StoredField]) -> None:
        """Show the stored fields without writing them back."""
        self._known = {name: stored.updated_at for name, stored in fields.items()}
        state = state_from_fields({name: stored.value for name, stored in fields.items()})
        with _applying_stored_values():
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
        newer = {name: stored for name, stored in fields.items()
                 if name not in self._known or stored.updated_at > self._known[name]}
        if not newer:
            return
        for name, stored in newer.items():
            self._known[name] = stored.updated_at
        current = state_from_fields({name: stored.value for name, stored in fields.items()})
        with _applying_stored_values():
            for name in newer:
                self._apply_field(name, current)

    def _apply_field(self, name: str, state: QuestionState) -> None:
        kind, _, index = name.partition(":")
        if name == SCORE:
            self.score.value = state.score
        elif name == NOTES:
            self.notes.value = state.notes
        elif name == TIMER:
            with self._lock:
                self._timer = state.timer
            self.tick(time.time())
        elif name == CHECKS:
            self.show_verdict(state.verdict)
        elif kind == "signal" and index.isdigit() and int(index) < len(self.signals):
            self.signals[int(index)].value = int(index) in state.signals
        elif kind == "red_flag" and index.isdigit() and int(index) < len(self.red_flags):
            self.red_flags[int(index)].value = int(index) in state.red_flags

    def tick(self, now: float) -> None:
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

    @property
    def running(self) -> bool:
        with self._lock:
            return self._timer.running


class SummaryPanel:
    """The running competency scorecard over every question of the notebook."""

    def __init__(self, context: LiveContext) -> None:
        self.context = context
        self.body = w.HTML()
        self.widget = w.VBox([self.body], layout=w.Layout(border="1px solid #d0d7de",
                                                          padding="8px 12px", width="100%"))
        self.widget.add_class("workbook-summary")

    def show(self, states: dict[str, QuestionState]) -> None:
        questions = self.context.questions
        card = scorecard(questions, {qid: state.score for qid, state in states.items()})
        self.body.value = (html.scorecard_html(card)
                           + html.questions_html(questions, states, time.time()))


class LivePanels:
    """The panels of one kernel, and the thread that keeps them current."""

    def __init__(self, context: LiveContext) -> None:
        self.context = context
        self.panels: dict[str, QuestionPanel] = {}
        self.summaries: list[SummaryPanel] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def question_panel(self, question_id: str) -> QuestionPanel:
        question = self.context.question(question_id)
        stale = self.panels.pop(question_id, None)
        if stale is not None:
            stale.widget.close()
        panel = QuestionPanel(self.context, question, on_score=self._score_changed)
        panel.restore(self.context.store.read().get(question_id, {}))
        self.panels[question_id] = panel
        self._ensure_thread()
        return panel

    def summary_panel(self) -> SummaryPanel:
        summary = SummaryPanel(self.context)
        self.summaries = [summary]  # a re-run replaces the summary that was shown
        self._refresh_summaries(self.context.store.read())
        self._ensure_thread()
        return summary

    def _score_changed(self) -> None:
        if self.summaries:
            with suppress(GradingError, WorkbookError):  # the next sync shows it anyway
                self._refresh_summaries(self.context.store.read())

    def _refresh_summaries(self, stored: dict[str, dict[str, StoredField]]) -> None:
        states = {qid: state_from_fields({n: f.value for n, f in fields.items()})
                  for qid, fields in stored.items()}
        for summary in self.summaries:
            summary.show(states)

    def sync(self) -> None:
        """Read the session back and show what other kernels wrote."""
        stored = self.context.store.read()
        for qid, panel in list(self.panels.items()):
            panel.apply_stored(stored.get(qid, {}))
        self._refresh_summaries(stored)

    def _ensure_thread(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(target=self._keep_current, name="workbook-panels",
                                            daemon=True)
            self._thread.start()

    def _keep_current(self) -> None:
        last_sync = time.monotonic()
        while not self._stop.wait(TICK_SECONDS):
            now = time.time()
            for panel in list(self.panels.values()):
                if panel.running:
                    panel.tick(now)
            if time.monotonic() - last_sync >= SYNC_SECONDS:
                last_sync = time.monotonic()
                # the gradebook may be away for a moment; the next round tries again
                with suppress(GradingError, WorkbookError):
                    self.sync()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)


def problem_widget(message: str) -> w.HTML:
    """A one-line problem shown where a panel would be, instead of a traceback."""
    box = w.HTML(f"<div style='color:{html.FAIL_COLOUR};font-weight:600;border:1px solid "
                 f"{html.FAIL_COLOUR};padding:6px 10px'>Scoring panel unavailable: "
                 f"{escape(message)}</div>")
    box.add_class("workbook-panel-problem")
    return box
