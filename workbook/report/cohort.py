"""Cohort statistics from candidate reports: ranking, per-question and per-check figures.

Computed from the ranking read once, in order (`CohortTally`): counts and exact sums, so
a cohort held in memory (`cohort_report`) and one streamed from disk (`cohort_spool`) give
the same figures; the page, CSV and JSON render what is computed here.

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
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Protocol

from grading.results import SubmissionStatus
from workbook.model import COMPETENCIES
from workbook.report.charts import HISTOGRAM_EDGES, histogram_bin
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
    rows are read, so the page can be written while they stream past. Its size depends on
    the bank, not on the cohort: everything here is a count or an aggregate."""

    questions: tuple[QuestionStats, ...]
    checks: tuple[CheckStats, ...]
    competencies: tuple[CompetencyStats, ...]
    #: candidates per status
    counts: dict[SubmissionStatus, int]
    #: graded candidates per bin of `charts.HISTOGRAM_EDGES`, by their percentage
    histogram: tuple[int, ...]
    mean_percent: float | None
    median_percent: float | None
    #: every question any candidate sat: the graded candidates' (as `questions`), then
    #: those only refused or failed submissions list, in ranking order
    question_ids: tuple[str, ...]

    @property
    def candidates(self) -> int:
        return sum(self.counts.values())

    @property
    def graded(self) -> int:
        return self.counts.get(SubmissionStatus.GRADED, 0)


class Cohort(Protocol):
    """A ranked cohort as the cohort files read it: its overview, and its ranking, which
    may be read more than once (each time from the start) and need not be in memory."""

    @property
    def candidates(self) -> Iterable[RankedCandidate]: ...

    @property
    def overview(self) -> CohortOverview: ...


@dataclass(frozen=True, kw_only=True)
class CohortReport:
    """A cohort held in memory: its ranking and its overview."""

    candidates: tuple[RankedCandidate, ...]
    overview: CohortOverview

    @property
    def questions(self) -> tuple[QuestionStats, ...]:
        return self.overview.questions

    @property
    def checks(self) -> tuple[CheckStats, ...]:
        return self.overview.checks

    @property
    def competencies(self) -> tuple[CompetencyStats, ...]:
        return self.overview.competencies

    @property
    def graded(self) -> tuple[CandidateReport, ...]:
        return tuple(c.report for c in self.candidates if c.rank is not None)

    def count(self, status: SubmissionStatus) -> int:
        return self.overview.counts.get(status, 0)


def rank_key(report: CandidateReport) -> tuple[object, ...]:
    """The ranking's order: graded first, by percentage, points, then name; the rest by
    status, then name (`cohort_spool` orders its rows the same way in SQL)."""
    if report.status is SubmissionStatus.GRADED:
        return (0, -report.percent, -report.points, "", report.candidate)
    return (1, 0.0, 0.0, str(report.status), report.candidate)


def ranked(reports: Iterable[CandidateReport]) -> Iterator[RankedCandidate]:
    """`reports` in ranking order (equal keys keep their order), graded ones numbered."""
    rank = 0
    for report in sorted(reports, key=rank_key):
        graded = report.status is SubmissionStatus.GRADED
        rank += graded
        yield RankedCandidate(rank=rank if graded else None, report=report)


def cohort_report(reports: Iterable[CandidateReport]) -> CohortReport:
    """The cohort of `reports`, held in memory (`cohort_spool` streams one from disk)."""
    candidates = tuple(ranked(reports))
    counts = Counter(c.report.status for c in candidates)
    tally = CohortTally(graded=counts.get(SubmissionStatus.GRADED, 0))
    for candidate in candidates:
        tally.add(candidate)
    return CohortReport(candidates=candidates, overview=tally.overview(counts))


def is_passed(question: QuestionReport) -> bool:
    if question.points is None:
        return False
    if question.kind == "discussion":
        score = question.interview.score if question.interview else None
        return score is not None and score >= PASSING_SCORE
    return question.points >= question.max_points


class _Mean:
    """A mean kept as an exact sum: the same float `statistics.fmean` gives of the values
    (a correctly rounded sum over their count), in memory that does not grow with them."""

    def __init__(self) -> None:
        self.total = Fraction(0)
        self.count = 0

    def add(self, value: float) -> None:
        self.total += Fraction(value)
        self.count += 1

    def value(self) -> float | None:
        return float(self.total) / self.count if self.count else None


@dataclass
class _QuestionTally:
    title: str
    kind: str
    max_points: float
    scored: int = 0
    passed: int = 0
    mean: _Mean = field(default_factory=_Mean)
    counts: Counter[float] = field(default_factory=Counter)


@dataclass
class _CheckTally:
    max_points: int
    attempts: int = 0
    failures: int = 0
    #: band -> [attempts, passed]
    bands: dict[str, list[int]] = field(
        default_factory=lambda: {"top": [0, 0], "bottom": [0, 0]})


class CohortTally:
    """The cohort's statistics, taken from its ranking read once in order: counts, exact
    means and per-bin figures, so memory grows with the bank and never with the cohort.

    `graded` is how many graded candidates the ranking holds (a query says, before the
    ranking is read): the top and bottom thirds that discrimination compares are ranks,
    and the median is the middle rank's percentage.
    """

    def __init__(self, *, graded: int) -> None:
        self.graded = graded
        self.third = graded // 3
        self._questions: dict[str, _QuestionTally] = {}
        self._checks: dict[tuple[str, str, bool], _CheckTally] = {}
        self._competencies: dict[str, _Mean] = {c: _Mean() for c in COMPETENCIES}
        self._percent = _Mean()
        self._histogram = [0] * (len(HISTOGRAM_EDGES) - 1)
        self._middle: list[float] = []
        self._others: dict[str, None] = {}  # questions only ungraded submissions list

    def _band(self, rank: int) -> str | None:
        if rank <= self.third:
            return "top"
        if self.third and rank > self.graded - self.third:
            return "bottom"
        return None

    def add(self, candidate: RankedCandidate) -> None:
        """The next candidate of the ranking."""
        report = candidate.report
        if candidate.rank is None:
            for question in report.questions:
                self._others.setdefault(question.question_id)
            return
        percent = report.percent
        self._percent.add(percent)
        self._histogram[histogram_bin(percent)] += 1
        if candidate.rank - 1 in {(self.graded - 1) // 2, self.graded // 2}:
            self._middle.append(percent)
        band = self._band(candidate.rank)
        for question in report.questions:
            self._add_question(question, band)
        for score in report.competencies:
            if score.percent is not None and score.competency in self._competencies:
                self._competencies[score.competency].add(score.percent)

    def _add_question(self, question: QuestionReport, band: str | None) -> None:
        tally = self._questions.get(question.question_id)
        if tally is None:
            tally = self._questions[question.question_id] = _QuestionTally(
                title=question.title, kind=question.kind, max_points=question.max_points)
        tally.max_points = max(tally.max_points, question.max_points)
        if question.points is not None:
            tally.scored += 1
            tally.passed += is_passed(question)
            tally.mean.add(question.points)
            tally.counts[round(question.points, 2)] += 1
        for check in (*question.checks, *question.public_checks):
            key = (question.question_id, check.name, check.hidden)
            checks = self._checks.get(key)
            if checks is None:
                checks = self._checks[key] = _CheckTally(max_points=check.max_points)
            checks.max_points = check.max_points
            checks.attempts += 1
            checks.failures += not check.passed
            if band is not None:
                checks.bands[band][0] += 1
                checks.bands[band][1] += check.passed

    def overview(self, counts: Mapping[SubmissionStatus, int]) -> CohortOverview:
        """What the tally found, once every candidate of the ranking has been added."""
        questions = tuple(
            QuestionStats(question_id=question_id, title=t.title, kind=t.kind,
                          max_points=t.max_points, scored=t.scored, passed=t.passed,
                          mean_points=t.mean.value(), distribution=tuple(sorted(t.counts.items())))
            for question_id, t in self._questions.items())
        checks = []
        for (question_id, name, hidden), t in self._checks.items():
            (top, top_passed), (bottom, bottom_passed) = t.bands["top"], t.bands["bottom"]
            checks.append(CheckStats(
                question_id=question_id, check=name, hidden=hidden, max_points=t.max_points,
                attempts=t.attempts, failures=t.failures,
                discrimination=top_passed / top - bottom_passed / bottom
                if top and bottom else None))
        competencies = tuple(
            CompetencyStats(competency=competency, title=title, weight=weight,
                            candidates=self._competencies[competency].count,
                            mean_percent=self._competencies[competency].value())
            for competency, (title, weight) in COMPETENCIES.items())
        median = statistics.fmean(self._middle) if self._middle else None
        ids = (*self._questions, *(q for q in self._others if q not in self._questions))
        return CohortOverview(questions=questions, checks=tuple(checks),
                              competencies=competencies, counts=dict(counts),
                              histogram=tuple(self._histogram),
                              mean_percent=self._percent.value(), median_percent=median,
                              question_ids=ids)
