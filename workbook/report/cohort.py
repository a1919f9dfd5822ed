"""Cohort statistics from candidate reports: ranking, per-question and per-check figures.

Pure functions over `CandidateReport`s; the page, CSV and JSON render what is computed here.

- Ranking: graded submissions by percentage of the points scored (equal to ranking by
  total when everyone sat the same workbook), then by points, then by name; refused and
  failed submissions are listed after them, unranked.
- A question is *passed* when a coding answer passed every hidden check (full points), or
  when an interviewer gave a discussion answer a rubric score of 3 or 4.
- A check's *discrimination* is its pass rate among the top third of the ranking minus its
  pass rate among the bottom third (the classic upper-lower index, -1..1). A check that
  everyone passes or everyone fails scores 0 and tells candidates apart on nothing.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from grading.results import SubmissionStatus
from workbook.model import COMPETENCIES
from workbook.report.records import CandidateReport, QuestionReport

#: the lowest rubric score that counts a discussion answer as passed
PASSING_SCORE = 3


@dataclass(frozen=True, kw_only=True)
class RankedCandidate:
    rank: int | None
    report: CandidateReport


@dataclass(frozen=True, kw_only=True)
class QuestionStats:
    question_id: str
    title: str
    kind: str
    max_points: float
    #: candidates whose answer to this question was scored
    scored: int
    passed: int
    mean_points: float | None
    #: (points, number of candidates) from lowest to highest points
    distribution: tuple[tuple[float, int], ...]

    @property
    def pass_rate(self) -> float | None:
        return self.passed / self.scored if self.scored else None


@dataclass(frozen=True, kw_only=True)
class CheckStats:
    question_id: str
    check: str
    hidden: bool
    max_points: int
    attempts: int
    failures: int
    discrimination: float | None

    @property
    def failure_rate(self) -> float:
        return self.failures / self.attempts if self.attempts else 0.0


@dataclass(frozen=True, kw_only=True)
class CompetencyStats:
    competency: str
    title: str
    weight: int
    #: candidates with evidence for this competency
    candidates: int
    mean_percent: float | None


@dataclass(frozen=True, kw_only=True)
class CohortOverview:
    """What the cohort page shows above and beside its ranking: known before the ranking's
    rows are read, so the page can be written while they stream past."""

    questions: tuple[QuestionStats, ...]
    checks: tuple[CheckStats, ...]
    competencies: tuple[CompetencyStats, ...]
    #: candidates per status
    counts: dict[SubmissionStatus, int]
    #: every graded candidate's percentage (the histogram, the mean and the median)
    percents: tuple[float, ...]

    @property
    def candidates(self) -> int:
        return sum(self.counts.values())


@dataclass(frozen=True, kw_only=True)
class CohortReport:
    candidates: tuple[RankedCandidate, ...]
    questions: tuple[QuestionStats, ...]
    checks: tuple[CheckStats, ...]
    competencies: tuple[CompetencyStats, ...]

    @property
    def graded(self) -> tuple[CandidateReport, ...]:
        return tuple(c.report for c in self.candidates if c.rank is not None)

    def count(self, status: SubmissionStatus) -> int:
        return sum(1 for c in self.candidates if c.report.status is status)

    @property
    def overview(self) -> CohortOverview:
        return CohortOverview(questions=self.questions, checks=self.checks,
                              competencies=self.competencies,
                              counts=Counter(c.report.status for c in self.candidates),
                              percents=tuple(r.percent for r in self.graded))


def cohort_report(reports: Sequence[CandidateReport]) -> CohortReport:
    graded = sorted((r for r in reports if r.status is SubmissionStatus.GRADED),
                    key=lambda r: (-r.percent, -r.points, r.candidate))
    others = sorted((r for r in reports if r.status is not SubmissionStatus.GRADED),
                    key=lambda r: (str(r.status), r.candidate))
    ranked = (*(RankedCandidate(rank=i, report=r) for i, r in enumerate(graded, start=1)),
              *(RankedCandidate(rank=None, report=r) for r in others))
    return CohortReport(candidates=ranked, questions=_question_stats(graded),
                        checks=_check_stats(graded), competencies=_competency_stats(graded))


def is_passed(question: QuestionReport) -> bool:
    if question.points is None:
        return False
    if question.kind == "discussion":
        score = question.interview.score if question.interview else None
        return score is not None and score >= PASSING_SCORE
    return question.points >= question.max_points


def _question_stats(graded: Sequence[CandidateReport]) -> tuple[QuestionStats, ...]:
    found: dict[str, list[QuestionReport]] = {}
    for report in graded:
        for question in report.questions:
            found.setdefault(question.question_id, []).append(question)
    stats = []
    for question_id, answers in found.items():
        scored = [a for a in answers if a.points is not None]
        points = [a.points for a in scored if a.points is not None]
        counts = Counter(round(p, 2) for p in points)
        first = answers[0]
        stats.append(QuestionStats(
            question_id=question_id, title=first.title, kind=first.kind,
            max_points=max(a.max_points for a in answers), scored=len(scored),
            passed=sum(1 for a in scored if is_passed(a)),
            mean_points=statistics.fmean(points) if points else None,
            distribution=tuple(sorted(counts.items()))))
    return tuple(stats)


def _check_stats(graded: Sequence[CandidateReport]) -> tuple[CheckStats, ...]:
    """Failures per check, and how well each check separates the top third from the bottom."""
    third = len(graded) // 3
    top = {r.candidate for r in graded[:third]}
    bottom = {r.candidate for r in graded[len(graded) - third:]} if third else set()
    tallies: dict[tuple[str, str, bool], dict[str, int]] = {}
    max_points: dict[tuple[str, str, bool], int] = {}
    for report in graded:
        band = "top" if report.candidate in top else "bottom" if report.candidate in bottom \
            else "middle"
        for question in report.questions:
            for check in (*question.checks, *question.public_checks):
                key = (question.question_id, check.name, check.hidden)
                tally = tallies.setdefault(key, Counter())
                max_points[key] = check.max_points
                tally["attempts"] += 1
                tally[f"{band}-attempts"] += 1
                if check.passed:
                    tally[f"{band}-passed"] += 1
                else:
                    tally["failures"] += 1
    stats = []
    for key, tally in tallies.items():
        discrimination = None
        if tally["top-attempts"] and tally["bottom-attempts"]:
            discrimination = (tally["top-passed"] / tally["top-attempts"]
                              - tally["bottom-passed"] / tally["bottom-attempts"])
        stats.append(CheckStats(question_id=key[0], check=key[1], hidden=key[2],
                                max_points=max_points[key], attempts=tally["attempts"],
                                failures=tally["failures"], discrimination=discrimination))
    return tuple(stats)


def _competency_stats(graded: Sequence[CandidateReport]) -> tuple[CompetencyStats, ...]:
    stats = []
    for competency, (title, weight) in COMPETENCIES.items():
        percents = [c.percent for r in graded for c in r.competencies
                    if c.competency == competency and c.percent is not None]
        stats.append(CompetencyStats(competency=competency, title=title, weight=weight,
                                     candidates=len(percents),
                                     mean_percent=statistics.fmean(percents) if percents
                                     else None))
    return tuple(stats)
