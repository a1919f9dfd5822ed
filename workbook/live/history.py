"""How a candidate got to their answer: versions and a timeline, from the recorded evidence.

Pure functions over `Evidence` rows (what the candidate's server reported and the checks
the interviewer ran): the panel steps through the versions, the graded copy shows the
timeline. Nothing here reads a file or the gradebook.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from workbook.live.store import Evidence

RUN = "run"
SAVE = "save"
CHECKS = "checks"
#: outcomes of a checks row
PASSED = "pass"
FAILED = "fail"


@dataclass(frozen=True, kw_only=True)
class AnswerVersion:
    """One distinct text of an answer, when it first appeared and how it was seen."""

    code: str
    at: datetime
    #: "saved", "run: ok", "run: ZeroDivisionError", "checks: pass", ...
    seen_as: str


@dataclass(frozen=True, kw_only=True)
class LastRun:
    at: datetime
    outcome: str


@dataclass(frozen=True, kw_only=True)
class QuestionTimeline:
    """What the record says about one question, for the graded copy."""

    question: str
    first_attempt: datetime | None
    runs: int
    #: (time, error name) of each run that did not end "ok"
    errors: tuple[tuple[datetime, str], ...]
    saves: int
    checks_runs: int
    checks_first_passed: datetime | None
    last_activity: datetime | None

    @property
    def empty(self) -> bool:
        return self.first_attempt is None and not self.checks_runs


def of_question(evidence: Iterable[Evidence], question: str) -> list[Evidence]:
    return [item for item in evidence if item.question == question]


def versions(evidence: Sequence[Evidence], question: str) -> list[AnswerVersion]:
    """The answer's distinct texts in the order they appeared (a text seen again after
    another counts again: the candidate went back to it)."""
    found: list[AnswerVersion] = []
    for item in of_question(evidence, question):
        if item.kind not in (RUN, SAVE, CHECKS) or (item.kind == SAVE and not item.code):
            continue
        if found and found[-1].code == item.code:
            continue
        how = "saved" if item.kind == SAVE else f"{item.kind}: {item.outcome}"
        found.append(AnswerVersion(code=item.code, at=item.at, seen_as=how))
    return found


def last_run(evidence: Sequence[Evidence], question: str) -> LastRun | None:
    runs = [item for item in of_question(evidence, question) if item.kind == RUN]
    return LastRun(at=runs[-1].at, outcome=runs[-1].outcome) if runs else None


def timeline(evidence: Sequence[Evidence], question: str) -> QuestionTimeline:
    mine = of_question(evidence, question)
    attempts = [item for item in mine if item.kind in (RUN, SAVE) and item.code]
    runs = [item for item in mine if item.kind == RUN]
    checks = [item for item in mine if item.kind == CHECKS]
    passed = [item for item in checks if item.outcome == PASSED]
    return QuestionTimeline(
        question=question, first_attempt=attempts[0].at if attempts else None,
        runs=len(runs),
        errors=tuple((item.at, item.outcome) for item in runs if item.outcome != "ok"),
        saves=sum(1 for item in mine if item.kind == SAVE), checks_runs=len(checks),
        checks_first_passed=passed[0].at if passed else None,
        last_activity=mine[-1].at if mine else None)
