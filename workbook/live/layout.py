"""Where each control of a panel sits: the widget tree, and nothing else.

A question panel is built for a call on a 1440x900 screen: a header with the question's
timer and the interview clock; on the left the candidate's answer (live, or an earlier
version) and what the checks said about it; on the right the score, the notes and the
rubric (collapsible). ipywidgets is imported here and nowhere else.
"""

from __future__ import annotations

from dataclasses import dataclass

import ipywidgets as w

from workbook.live import html
from workbook.live.state import RECOMMENDATIONS
from workbook.live.styles import PANEL_CSS
from workbook.model import Question


def _section(title: str, colour: str = "#24292f") -> w.HTML:
    return w.HTML(html.heading(title, colour))


def _checkbox(text: str) -> w.Checkbox:
    return w.Checkbox(value=False, description=html.inline(text), indent=False,
                      description_allow_html=True, layout=w.Layout(width="100%"))


def _button(description: str, icon: str, width: str, tooltip: str = "") -> w.Button:
    return w.Button(description=description, icon=icon, tooltip=tooltip,
                    layout=w.Layout(width=width))


@dataclass
class QuestionControls:
    """Every control of one question's panel, and the panel itself (`root`)."""

    root: w.VBox
    signals: list[w.Checkbox]
    red_flags: list[w.Checkbox]
    score: w.ToggleButtons
    score_meaning: w.HTML
    notes: w.Textarea
    timer_label: w.HTML
    timer_bar: w.FloatProgress
    timer_toggle: w.Button
    timer_reset: w.Button
    interview_clock: w.HTML
    run_button: w.Button
    check_status: w.HTML
    verdict: w.HTML
    saved: w.HTML
    answer: w.HTML
    earlier: w.Button
    later: w.Button
    live: w.Button
    rubric: w.Accordion
    liveness: w.HTML


def question_controls(question: Question, candidate: str, save_hint: str) -> QuestionControls:
    rubric = question.rubric
    signals = [_checkbox(text) for text in rubric.strong_signals]
    red_flags = [_checkbox(text) for text in rubric.red_flags]
    score = w.ToggleButtons(options=[(str(s), s) for s in sorted(rubric.scores)], value=None,
                            tooltips=[rubric.scores[s] for s in sorted(rubric.scores)],
                            style={"button_width": "52px"})
    notes = w.Textarea(placeholder="What did you see and hear? Hints given, quotes, how they "
                       "reasoned...", rows=3, layout=w.Layout(width="98%"))
    timer_label = w.HTML()
    timer_bar = w.FloatProgress(value=0, min=0, max=question.minutes * 60,
                                layout=w.Layout(width="120px"))
    timer_toggle = _button("Start timer", "play", "130px")
    timer_reset = _button("Reset", "undo", "80px")
    interview_clock = w.HTML()
    run_button = w.Button(description="Run checks", icon="check", button_style="primary",
                          layout=w.Layout(width="130px"),
                          tooltip="Run the public and hidden checks on the candidate's "
                                  "current answer")
    run_button.add_class("workbook-run-checks")
    check_status = w.HTML()
    verdict = w.HTML(html.verdict_html(None))
    verdict.add_class("workbook-verdict-box")
    saved = w.HTML(save_hint)
    saved.add_class("workbook-saved")
    answer = w.HTML()
    answer.add_class("workbook-answer-pane")
    earlier = _button("Earlier", "step-backward", "96px",
                      "the answer as it was before (from the record of runs and saves)")
    later = _button("Later", "step-forward", "86px")
    live = _button("Live", "circle", "70px", "back to the answer as it is now")
    for button in (earlier, later, live):
        button.add_class("workbook-answer-step")
    liveness = w.HTML(html.liveness(0))
    liveness.add_class("workbook-liveness")
    score_meaning = w.HTML(html.score_scale(rubric.scores, None))

    header = w.HBox([
        w.HTML(PANEL_CSS + html.panel_title(question, candidate),
               layout=w.Layout(flex="1 1 auto")),
        w.VBox([w.HBox([timer_label, timer_bar, timer_toggle, timer_reset],
                       layout=w.Layout(align_items="center", justify_content="flex-end")),
                w.HBox([interview_clock], layout=w.Layout(justify_content="flex-end"))],
               layout=w.Layout(flex="0 0 auto"))],
        layout=w.Layout(align_items="flex-start", width="100%"))
    look_for = w.VBox([_section("Look for (strong signals)", html.PASS_COLOUR), *signals])
    watch_for = w.VBox([_section("Watch for (red flags)", html.FAIL_COLOUR), *red_flags])
    ask_next = w.VBox([_section("Ask next"), w.HTML(html.follow_ups(rubric.follow_ups))])
    rubric_box = w.Accordion(children=[w.VBox([look_for, watch_for, ask_next])],
                             titles=("Rubric: look for · watch for · ask next",),
                             selected_index=0)
    rubric_box.add_class("workbook-rubric")
    scoring: list[w.Widget] = [_section("Score"), score, score_meaning]
    if question.is_coding:
        # the answer and what the checks said about it, beside the score, notes and rubric
        left: list[w.Widget] = [
            w.HBox([_section("Candidate's answer"), earlier, later, live],
                   layout=w.Layout(align_items="center")), answer,
            _section("Checks"), w.HBox([run_button, check_status],
                                       layout=w.Layout(align_items="center")), verdict]
        right = [*scoring, _section("Notes"), notes, rubric_box]
    else:
        left = [_section("Notes"), notes, w.HTML(html.discussion_note())]
        right = [*scoring, rubric_box]
    columns = w.HBox([w.VBox(left, layout=w.Layout(width="52%", padding="0 12px 0 0")),
                      w.VBox(right, layout=w.Layout(width="48%"))],
                     layout=w.Layout(width="100%"))
    root = w.VBox([header, columns, saved, liveness],
                  layout=w.Layout(border="1px solid #d0d7de", padding="6px 12px",
                                  margin="4px 0", width="100%"))
    root.add_class("workbook-panel")
    return QuestionControls(
        root=root, signals=signals, red_flags=red_flags, score=score,
        score_meaning=score_meaning, notes=notes, timer_label=timer_label,
        timer_bar=timer_bar, timer_toggle=timer_toggle, timer_reset=timer_reset,
        interview_clock=interview_clock, run_button=run_button, check_status=check_status,
        verdict=verdict, saved=saved, answer=answer, earlier=earlier, later=later, live=live,
        rubric=rubric_box, liveness=liveness)


@dataclass
class SummaryControls:
    """The scorecard, the interview clock and the overall recommendation."""

    root: w.VBox
    body: w.HTML
    interview_clock: w.HTML
    clock_toggle: w.Button
    recommendation: w.ToggleButtons
    reason: w.Textarea
    record: w.Button
    recommendation_status: w.HTML
    liveness: w.HTML


def summary_controls() -> SummaryControls:
    body = w.HTML()
    interview_clock = w.HTML()
    clock_toggle = _button("Start interview clock", "play", "190px")
    recommendation = w.ToggleButtons(options=[(label, key) for key, label
                                              in RECOMMENDATIONS.items()], value=None,
                                     style={"button_width": "110px"})
    recommendation.add_class("workbook-recommendation-choice")
    reason = w.Textarea(placeholder="Why? (required: what the hiring team reads first)",
                        rows=3, layout=w.Layout(width="98%"))
    reason.add_class("workbook-recommendation-reason")
    record = w.Button(description="Record recommendation", icon="gavel",
                      button_style="primary", layout=w.Layout(width="220px"))
    record.add_class("workbook-record-recommendation")
    recommendation_status = w.HTML(html.recommendation_status(None))
    liveness = w.HTML(html.liveness(0))
    root = w.VBox([
        w.HTML(PANEL_CSS), w.HBox([interview_clock, clock_toggle],
                                  layout=w.Layout(align_items="center")),
        body, _section("Overall recommendation"), recommendation, reason, record,
        recommendation_status, liveness],
        layout=w.Layout(border="1px solid #d0d7de", padding="8px 12px", width="100%"))
    # the summary is a panel too: same stylesheet, same dead-kernel cover
    root.add_class("workbook-panel")
    root.add_class("workbook-summary")
    return SummaryControls(root=root, body=body, interview_clock=interview_clock,
                           clock_toggle=clock_toggle, recommendation=recommendation,
                           reason=reason, record=record,
                           recommendation_status=recommendation_status, liveness=liveness)


def problem_widget(message: str) -> w.HTML:
    """A one-line problem shown where a panel would be, instead of a traceback."""
    box = w.HTML(html.problem_box(message))
    box.add_class("workbook-panel-problem")
    return box
