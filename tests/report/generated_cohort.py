"""Candidate reports for a cohort of any size, drawn from a seed: the input of the cohort page
tests and of bench/cohort_page_bench.py, made without grading anything.

Each report is what `load_reports` makes of a gradebook row: five questions (four coding
with a public and two hidden checks, one discussion an interviewer may have scored),
competency scores from them, and now and then a refusal, an infrastructure failure, an
error with its one-line reason, an edited assignment, a conflict or a recommendation.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator

from grading.assignment import AssignmentState
from grading.results import CheckResult, Event, EventKind, SubmissionStatus
from workbook.live.state import Recommendation
from workbook.model import COMPETENCIES
from workbook.report.records import (
    CandidateReport,
    CompetencyScore,
    InterviewScore,
    QuestionReport,
)

#: (id, title, kind, competency, max points)
QUESTIONS = (
    ("running-total", "Running total", "coding", "problem_solving", 4.0),
    ("safe-divide", "Safe divide", "coding", "fundamentals", 3.0),
    ("parse-log", "Parse a log line", "coding", "code_quality", 5.0),
    ("fix-the-test", "Fix the failing test", "coding", "testing_debugging", 3.0),
    ("explain-gil", "Explain the GIL", "discussion", "communication", 4.0),
)


def candidate_name(i: int) -> str:
    return f"candidate-{i:05d}"


def _question(rng: random.Random, spec: tuple[str, str, str, str, float]) -> QuestionReport:
    question_id, title, kind, competency, max_points = spec
    if kind == "discussion":
        score = rng.choice((None, 1, 2, 3, 4))
        interview = (InterviewScore(session="panel", score=score)
                     if score is not None else None)
        return QuestionReport(question_id=question_id, title=title, kind=kind,
                              competency_shares={competency: 1.0},
                              points=None if score is None else max_points * score / 4,
                              max_points=max_points, interview=interview)
    hidden = []
    for j in range(2):
        passed, worth = rng.random() < 0.6, int(max_points) // 2 + j
        hidden.append(CheckResult(name=f"hidden-{j}", passed=passed,
                                  points=worth if passed else 0, max_points=worth))
    public = (CheckResult(name="public", passed=rng.random() < 0.8, points=0, max_points=0,
                          hidden=False),)
    points = sum(c.points for c in hidden) * max_points / sum(c.max_points for c in hidden)
    return QuestionReport(question_id=question_id, title=title, kind=kind,
                          competency_shares={competency: 1.0}, points=round(points, 2),
                          max_points=max_points, checks=tuple(hidden),
                          public_checks=public)


def _competencies(questions: tuple[QuestionReport, ...]) -> tuple[CompetencyScore, ...]:
    scores = []
    for competency, (title, weight) in COMPETENCIES.items():
        mine = [q for q in questions if competency in q.competency_shares and q.scored]
        scores.append(CompetencyScore(
            competency=competency, title=title, weight=weight,
            points=sum(q.points or 0.0 for q in mine),
            max_points=sum(q.max_points for q in mine)))
    return tuple(scores)


def generated_reports(count: int, *, seed: int = 13,
                      name: Callable[[int], str] = candidate_name) -> Iterator[CandidateReport]:
    """`count` reports, one at a time; `name(i)` is the i-th candidate's id."""
    rng = random.Random(seed)
    for i in range(count):
        candidate = name(i)
        draw = rng.random()
        if draw < 0.02:
            status, detail = SubmissionStatus.REFUSED, "not a notebook: invalid JSON at line 1"
        elif draw < 0.03:
            status, detail = SubmissionStatus.ERROR, "KeyError 'cells' while matching answers"
        elif draw < 0.035:
            status, detail = SubmissionStatus.FAILED, "the kernel did not start in 60 s"
        else:
            status, detail = SubmissionStatus.GRADED, ""
        questions = (tuple(_question(rng, spec) for spec in QUESTIONS)
                     if status is SubmissionStatus.GRADED else ())
        events = (Event(kind=EventKind.INTEGRITY, detail=detail),) if detail else ()
        recommendation = (Recommendation(verdict=rng.choice(("no", "yes", "strong-yes")),
                                         reason="Talked through the trade-offs clearly.")
                          if rng.random() < 0.1 else None)
        conflicts = (f"{candidate}-resubmitted.ipynb",) if rng.random() < 0.01 else ()
        yield CandidateReport(
            candidate=candidate, workbook="junior-a", status=status,
            source=f"{candidate}.ipynb", content_hash=f"{i:064x}", questions=questions,
            competencies=_competencies(questions), events=events,
            assignment=(AssignmentState.EDITED if rng.random() < 0.02
                        else AssignmentState.VERIFIED),
            conflicts=conflicts, recommendation=recommendation)
