"""Every panel change is in the gradebook at once, and a new panel shows exactly that."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from tests.live.conftest import CODING_QUESTION, DISCUSSION_QUESTION
from workbook.live.html import score_scale
from workbook.live.session import PreparedSession
from workbook.live.store import open_live, read_fields
from workbook.live.widgets import LivePanels


def stored(session: PreparedSession) -> dict[tuple[str, str], Any]:
    with open_live(session.gradebook) as gradebook:
        return {(row.question, row.field): row.value
                for row in read_fields(gradebook, session=session.session,
                                       candidate=session.candidate)}


def test_each_control_writes_its_own_field_the_moment_it_changes(
        open_panels: Callable[[], LivePanels], session: PreparedSession) -> None:
    panel = open_panels().question_panel(CODING_QUESTION)
    panel.signals[2].value = True
    assert stored(session) == {(CODING_QUESTION, "signal:2"): True}
    panel.red_flags[0].value = True
    panel.score.value = 3
    panel.notes.value = "Asked about ties first."
    assert stored(session) == {(CODING_QUESTION, "signal:2"): True,
                               (CODING_QUESTION, "red_flag:0"): True,
                               (CODING_QUESTION, "score"): 3,
                               (CODING_QUESTION, "notes"): "Asked about ties first."}


def test_unticking_is_stored_too(open_panels: Callable[[], LivePanels],
                                 session: PreparedSession) -> None:
    panel = open_panels().question_panel(CODING_QUESTION)
    panel.signals[0].value = True
    panel.signals[0].value = False
    panel.score.value = 2
    panel.score.value = None
    assert stored(session)[(CODING_QUESTION, "signal:0")] is False
    assert stored(session)[(CODING_QUESTION, "score")] is None


def test_a_panel_opened_later_shows_exactly_what_was_stored(
        open_panels: Callable[[], LivePanels]) -> None:
    first = open_panels().question_panel(DISCUSSION_QUESTION)
    first.signals[1].value = True
    first.red_flags[2].value = True
    first.score.value = 4
    first.notes.value = "Explained the GIL precisely.\nBounded the pool."
    first.timer_toggle.click()  # start
    first.timer_toggle.click()  # pause

    again = open_panels().question_panel(DISCUSSION_QUESTION)  # a new kernel
    assert [box.value for box in again.signals] == [box.value for box in first.signals]
    assert [box.value for box in again.red_flags] == [box.value for box in first.red_flags]
    assert again.score.value == 4
    assert again.notes.value == "Explained the GIL precisely.\nBounded the pool."
    assert again.timer_label.value == first.timer_label.value
    assert "paused" in again.timer_label.value
    assert again.score_meaning.value == score_scale(again.question.rubric.scores, 4)


def test_restoring_a_panel_writes_nothing_back(open_panels: Callable[[], LivePanels],
                                               session: PreparedSession) -> None:
    open_panels().question_panel(CODING_QUESTION).score.value = 1
    with open_live(session.gradebook) as gradebook:
        before = read_fields(gradebook, session=session.session)
    open_panels().question_panel(CODING_QUESTION)
    with open_live(session.gradebook) as gradebook:
        assert read_fields(gradebook, session=session.session) == before


def test_two_panels_for_one_question_keep_each_others_writes(
        open_panels: Callable[[], LivePanels], session: PreparedSession) -> None:
    tab_a = open_panels()
    tab_b = open_panels()
    panel_a = tab_a.question_panel(CODING_QUESTION)
    panel_b = tab_b.question_panel(CODING_QUESTION)  # opened before A wrote anything
    panel_a.score.value = 3
    panel_b.notes.value = "Needed a hint on generators."
    panel_b.signals[0].value = True
    panel_a.red_flags[1].value = True

    assert stored(session) == {(CODING_QUESTION, "score"): 3,
                               (CODING_QUESTION, "notes"): "Needed a hint on generators.",
                               (CODING_QUESTION, "signal:0"): True,
                               (CODING_QUESTION, "red_flag:1"): True}


def test_a_panel_takes_what_another_panel_wrote_when_it_syncs(
        open_panels: Callable[[], LivePanels]) -> None:
    tab_a, tab_b = open_panels(), open_panels()
    panel_a = tab_a.question_panel(CODING_QUESTION)
    panel_b = tab_b.question_panel(CODING_QUESTION)
    panel_a.score.value = 3
    panel_b.notes.value = "Typed in the other tab."
    tab_a.sync()
    tab_b.sync()
    assert panel_a.notes.value == "Typed in the other tab."
    assert panel_b.score.value == 3
    assert panel_a.score.value == 3  # its own write is not undone by the sync


def test_the_summary_follows_scores_from_every_panel(
        open_panels: Callable[[], LivePanels]) -> None:
    tab_a, tab_b = open_panels(), open_panels()
    summary = tab_a.summary_panel()
    assert "nothing scored yet" in summary.body.value
    tab_a.question_panel(CODING_QUESTION).score.value = 4
    assert "1 of 2 questions scored" in summary.body.value
    tab_b.question_panel(DISCUSSION_QUESTION).score.value = 2
    tab_a.sync()
    assert "2 of 2 questions scored" in summary.body.value


def test_a_running_timer_keeps_running_across_a_restart(
        open_panels: Callable[[], LivePanels], session: PreparedSession) -> None:
    panel = open_panels().question_panel(CODING_QUESTION)
    panel.timer_toggle.click()
    started = stored(session)[(CODING_QUESTION, "timer")]
    assert started["running_since"] is not None
    time.sleep(1.1)
    again = open_panels().question_panel(CODING_QUESTION)
    assert again.running
    assert "running" in again.timer_label.value
    assert again.timer_bar.value >= 1.0
    assert again.timer_toggle.description == "Pause timer"
