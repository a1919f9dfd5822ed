"""The competency scorecard folds question scores by the questions' and the card's weights."""

from __future__ import annotations

import pytest

from tests.live.conftest import CODING_QUESTION, DISCUSSION_QUESTION
from workbook.live.scorecard import scorecard
from workbook.live.state import TimerState
from workbook.model import COMPETENCIES, Bank


def test_nothing_scored_gives_no_overall(shipped_bank: Bank) -> None:
    card = scorecard([shipped_bank.get(CODING_QUESTION)], {})
    assert card.overall is None and card.scored == 0
    assert all(line.score is None for line in card.lines)


def test_a_competency_is_the_weighted_mean_of_the_scores_that_reach_it(
        shipped_bank: Bank) -> None:
    coding = shipped_bank.get(CODING_QUESTION)
    discussion = shipped_bank.get(DISCUSSION_QUESTION)
    shared = set(coding.competencies) & set(discussion.competencies)
    assert shared, "the two example questions share a competency"
    name = sorted(shared)[0]
    card = scorecard([coding, discussion], {coding.id: 4, discussion.id: 1})
    line = next(line for line in card.lines if line.competency == name)
    a, b = coding.competencies[name], discussion.competencies[name]
    assert line.score == pytest.approx((4 * a + 1 * b) / (a + b))
    assert line.evidence == 2


def test_the_overall_weighs_only_the_assessed_competencies(shipped_bank: Bank) -> None:
    coding = shipped_bank.get(CODING_QUESTION)
    card = scorecard([coding], {coding.id: 2})
    assessed = [line for line in card.lines if line.score is not None]
    assert {line.competency for line in assessed} == set(coding.competencies)
    assert card.overall == pytest.approx(2.0)
    assert card.overall_percent == pytest.approx(50.0)
    assert [line.weight for line in card.lines] == [w for _, w in COMPETENCIES.values()]


def test_a_timer_banks_time_when_paused_and_counts_on_when_running() -> None:
    timer = TimerState().started(100.0)
    assert timer.seconds(130.0) == 30.0
    paused = timer.paused(130.0)
    assert not paused.running and paused.seconds(500.0) == 30.0
    assert paused.started(600.0).seconds(610.0) == 40.0
    assert TimerState.from_json(paused.started(600.0).to_json()) == paused.started(600.0)
