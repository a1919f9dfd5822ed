"""What the interviewer sees beside each panel: the candidate's answer, its earlier versions,
the interview clock and the overall recommendation, all on a real gradebook."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.live.conftest import CODING_QUESTION, DISCUSSION_QUESTION
from tests.live.test_live_checks import run_checks_and_wait, write_answer
from workbook.live.history import timeline, versions
from workbook.live.session import PreparedSession
from workbook.live.state import (
    CLOCK,
    INTERVIEW,
    MIN_REASON,
    RECOMMENDATION,
    RECOMMENDATIONS,
    recommendation_problem,
)
from workbook.live.store import Evidence, open_live, read_fields
from workbook.live.widgets import LivePanels
from workbook.model import Bank

T0 = datetime(2030, 1, 2, 10, 0, tzinfo=UTC)


def run(code: str, outcome: str, minutes: float, question: str = CODING_QUESTION,
        kind: str = "run") -> Evidence:
    return Evidence(at=T0 + timedelta(minutes=minutes), kind=kind, code=code, outcome=outcome,
                    question=question)


def test_the_panel_shows_the_candidates_saved_answer_and_its_last_run(
        open_panels: Callable[[], LivePanels], session: PreparedSession) -> None:
    assert session.candidate_notebook is not None
    write_answer(session.candidate_notebook, CODING_QUESTION, "def top_k(xs, k):\n    return 1/0\n")
    panels = open_panels()
    panel = panels.question_panel(CODING_QUESTION)
    assert "return 1/0" in panel.controls.answer.value
    assert "not run yet" in panel.controls.answer.value

    panels.context.store.append([Evidence(at=datetime.now(UTC), kind="run",
                                          code="def top_k(xs, k):\n    return 1/0\n",
                                          outcome="ZeroDivisionError",
                                          question=CODING_QUESTION)])
    write_answer(session.candidate_notebook, CODING_QUESTION, "def top_k(xs, k):\n    pass\n")
    panels.sync()

    pane = panel.controls.answer.value
    assert "pass" in pane and "1/0" not in pane
    assert "last run" in pane and "ZeroDivisionError" in pane


def test_the_interviewer_steps_back_through_earlier_versions_and_returns_to_live(
        open_panels: Callable[[], LivePanels], session: PreparedSession) -> None:
    panels = open_panels()
    panels.context.store.append([run("v1 = 1", "ok", 1), run("v1 = 1", "saved", 2, kind="save"),
                                 run("v2 = 2", "NameError", 3), run("v3 = 3", "saved", 4,
                                                                    kind="save")])
    panel = panels.question_panel(CODING_QUESTION)
    view = panel.answer

    assert panel.controls.later.disabled and not panel.controls.earlier.disabled
    panel.controls.earlier.click()
    assert "Version 3 of 3" in view.pane.value and "v3 = 3" in view.pane.value
    panel.controls.earlier.click()
    panel.controls.earlier.click()
    panel.controls.earlier.click()  # no version before the first
    assert "Version 1 of 3" in view.pane.value and "v1 = 1" in view.pane.value
    assert "run: ok" in view.pane.value and panel.controls.earlier.disabled
    panel.controls.later.click()
    assert "NameError" in view.pane.value
    panel.controls.live.click()
    assert "Live" in view.pane.value and panel.controls.live.disabled


def test_a_verdict_names_the_code_it_graded_and_is_recorded_as_evidence(
        open_panels: Callable[[], LivePanels], session: PreparedSession,
        shipped_bank: Bank) -> None:
    assert session.candidate_notebook is not None
    reference = shipped_bank.get(CODING_QUESTION).reference
    write_answer(session.candidate_notebook, CODING_QUESTION, reference)
    panels = open_panels()
    panel = panels.question_panel(CODING_QUESTION)

    run_checks_and_wait(panel)

    first_line = next(line for line in reference.splitlines() if line.strip())
    assert "this code, as saved at" in panel.verdict.value
    assert first_line.split("(")[0] in panel.verdict.value
    [checked] = [e for e in panels.context.store.evidence() if e.kind == "checks"]
    assert (checked.question, checked.outcome, checked.code) == (CODING_QUESTION, "pass",
                                                                  reference)


def test_the_selected_score_is_named_ticked_and_filled(
        open_panels: Callable[[], LivePanels]) -> None:
    panel = open_panels().question_panel(DISCUSSION_QUESTION)
    assert "Not scored yet" in panel.score_meaning.value
    panel.score.value = 2
    assert "✓ Score 2 selected" in panel.score_meaning.value
    assert "background:#0969da" in panel.score_meaning.value


def test_the_interview_clock_starts_with_the_first_question_timer_and_is_shared(
        open_panels: Callable[[], LivePanels], session: PreparedSession) -> None:
    first = open_panels()
    panel = first.question_panel(CODING_QUESTION)
    assert "not started" in panel.controls.interview_clock.value
    panel.timer_toggle.click()
    assert first.clock.running

    other = open_panels()  # another kernel on the same session
    summary = other.summary_panel()
    assert other.clock.running
    assert "running" in summary.controls.interview_clock.value
    summary.controls.clock_toggle.click()  # pause it there
    first.sync()
    assert not first.clock.running
    first.tick(time.time())
    assert "paused" in panel.controls.interview_clock.value
    with open_live(session.gradebook) as gradebook:
        fields = {(r.question, r.field) for r in read_fields(gradebook)}
    assert (INTERVIEW, CLOCK) in fields


@pytest.mark.parametrize("verdict,reason", [
    ("yes", ""), ("yes", "   \n\t "), ("strong-no", "meh"), (None, "A clear, full reason."),
    ("maybe", "A clear, full reason."), ("no", "x" * (MIN_REASON - 1))])
def test_a_recommendation_without_a_verdict_or_a_reason_is_refused_and_not_stored(
        open_panels: Callable[[], LivePanels], session: PreparedSession,
        verdict: str | None, reason: str) -> None:
    summary = open_panels().summary_panel()
    summary.controls.recommendation.value = verdict if verdict in RECOMMENDATIONS else None
    summary.controls.reason.value = reason

    assert not summary.record()
    assert "Not recorded" in summary.controls.recommendation_status.value
    with open_live(session.gradebook) as gradebook:
        assert all(r.field != RECOMMENDATION for r in read_fields(gradebook))


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(verdict=st.none() | st.text(max_size=12) | st.sampled_from(list(RECOMMENDATIONS)),
       reason=st.text(max_size=40))
def test_only_a_known_verdict_with_a_real_reason_passes(verdict: str | None,
                                                        reason: str) -> None:
    accepted = recommendation_problem(verdict, reason) is None
    assert accepted == (verdict in RECOMMENDATIONS and len(reason.strip()) >= MIN_REASON)


def test_a_recorded_recommendation_is_stored_and_shown_by_a_new_kernel(
        open_panels: Callable[[], LivePanels], session: PreparedSession) -> None:
    summary = open_panels().summary_panel()
    summary.controls.recommendation.value = "strong-yes"
    summary.controls.reason.value = "Fast, careful, tested the edge cases unprompted."
    assert summary.record()

    again = open_panels().summary_panel()
    assert "Strong yes" in again.controls.recommendation_status.value
    assert "tested the edge cases" in again.controls.recommendation_status.value


def test_a_panel_renews_its_heartbeat_on_every_tick(
        open_panels: Callable[[], LivePanels]) -> None:
    panels = open_panels()
    panel = panels.question_panel(DISCUSSION_QUESTION)
    before = panel.controls.liveness.value
    panels.tick(time.time())
    assert panel.controls.liveness.value != before
    assert "workbook-dead" in panel.controls.liveness.value


def test_the_timeline_counts_runs_errors_and_when_the_checks_first_passed() -> None:
    evidence = [run("a", "ok", 1), run("b", "TypeError", 2), run("b", "saved", 3, kind="save"),
                run("b", "fail", 4, kind="checks"), run("c", "ok", 5),
                run("c", "pass", 6, kind="checks"), run("x", "ok", 7, question="other")]
    line = timeline(evidence, CODING_QUESTION)
    assert line.first_attempt == T0 + timedelta(minutes=1)
    assert (line.runs, line.saves, line.checks_runs) == (3, 1, 2)
    assert line.errors == ((T0 + timedelta(minutes=2), "TypeError"),)
    assert line.checks_first_passed == T0 + timedelta(minutes=6)
    assert [v.code for v in versions(evidence, CODING_QUESTION)] == ["a", "b", "c"]
