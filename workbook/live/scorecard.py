"""The running competency scorecard: question scores (0..4) folded into competencies.

Each question spreads its score over the competencies it names, in proportion to its own
weights; a competency's score is the weighted mean of the scores that reached it. The
overall score weighs competencies by `COMPETENCIES` and leaves out those not assessed yet,
so a half-finished interview reads as "what we know so far", not as zeros.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from workbook.model import COMPETENCIES, SCORE_RANGE, Question

MAX_SCORE = max(SCORE_RANGE)


@dataclass(frozen=True, kw_only=True)
class CompetencyLine:
    competency: str
    title: str
    #: weight in the overall score, in percent
    weight: int
    #: weighted mean score 0..4, or None when no scored question touches it yet
    score: float | None
    #: how many scored questions contributed
    evidence: int


@dataclass(frozen=True, kw_only=True)
class Scorecard:
    lines: tuple[CompetencyLine, ...]
    #: 0..4 over the assessed competencies, or None when nothing is scored
    overall: float | None
    scored: int
    total: int

    @property
    def overall_percent(self) -> float | None:
        return None if self.overall is None else 100.0 * self.overall / MAX_SCORE


def scorecard(questions: Sequence[Question], scores: Mapping[str, int | None]) -> Scorecard:
    """The scorecard for `questions` given each question's score (missing or None: unscored)."""
    sums: dict[str, float] = dict.fromkeys(COMPETENCIES, 0.0)
    weights: dict[str, float] = dict.fromkeys(COMPETENCIES, 0.0)
    evidence: dict[str, int] = dict.fromkeys(COMPETENCIES, 0)
    scored = 0
    for question in questions:
        score = scores.get(question.id)
        if score is None:
            continue
        scored += 1
        for competency, weight in question.competencies.items():
            if competency in sums and weight > 0:
                sums[competency] += weight * score
                weights[competency] += weight
                evidence[competency] += 1
    lines = tuple(
        CompetencyLine(competency=key, title=title, weight=percent,
                       score=sums[key] / weights[key] if weights[key] else None,
                       evidence=evidence[key])
        for key, (title, percent) in COMPETENCIES.items())
    assessed = [line for line in lines if line.score is not None]
    total_weight = sum(line.weight for line in assessed)
    overall = (sum(line.weight * line.score for line in assessed if line.score is not None)
               / total_weight) if total_weight else None
    return Scorecard(lines=lines, overall=overall, scored=scored, total=len(questions))
