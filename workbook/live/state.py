"""What a scoring panel holds, as plain values, and how each part is stored as a field.

The gradebook keeps one row per (session, candidate, question, field); every panel control
owns exactly one field, so two panels writing different controls never overwrite each
other. Field names:

    score            int 0..4, or null when not scored
    notes            str
    signal:<i>       bool, the i-th strong signal (0-based) was seen
    red_flag:<i>     bool, the i-th red flag was seen
    timer            {"elapsed": seconds, "running_since": epoch seconds or null}
    checks           the latest live-check verdict (see `verdict_to_json`)

Fields of the interview as a whole are stored under the question `INTERVIEW`:

    clock            the whole interview's stopwatch, as `timer`
    recommendation   {"verdict": one of RECOMMENDATIONS, "reason": str, "at": ISO time}
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from grading.results import CheckResult, Event, EventKind, TaskResult
from workbook.model import SCORE_RANGE

SCORE = "score"
NOTES = "notes"
TIMER = "timer"
CHECKS = "checks"
SIGNAL_PREFIX = "signal:"
RED_FLAG_PREFIX = "red_flag:"

#: the question name under which fields of the whole interview are stored
INTERVIEW = "(interview)"
CLOCK = "clock"
RECOMMENDATION = "recommendation"
#: the overall recommendation's choices, from worst to best, as stored and as shown
RECOMMENDATIONS: dict[str, str] = {"strong-no": "Strong no", "no": "No", "yes": "Yes",
                                   "strong-yes": "Strong yes"}
#: the shortest reason a recommendation is recorded with
MIN_REASON = 10


@dataclass(frozen=True, kw_only=True)
class FieldName:
    """A stored field's name, read once: its kind ("score", "signal", ...) and index."""

    kind: str
    index: int | None = None


def parse_field(name: str) -> FieldName:
    """`signal:2` -> FieldName("signal", 2); a name without an index keeps index None."""
    for prefix in (SIGNAL_PREFIX, RED_FLAG_PREFIX):
        rest = name.removeprefix(prefix)
        if name.startswith(prefix) and rest.isdigit():
            return FieldName(kind=prefix[:-1], index=int(rest))
    return FieldName(kind=name)


def signal_field(index: int) -> str:
    return f"{SIGNAL_PREFIX}{index}"


def red_flag_field(index: int) -> str:
    return f"{RED_FLAG_PREFIX}{index}"


@dataclass(frozen=True, kw_only=True)
class TimerState:
    """A stopwatch that survives restarts: time banked so far plus the running stretch."""

    elapsed: float = 0.0
    running_since: float | None = None

    @property
    def running(self) -> bool:
        return self.running_since is not None

    def seconds(self, now: float) -> float:
        running = max(0.0, now - self.running_since) if self.running_since is not None else 0.0
        return self.elapsed + running

    def started(self, now: float) -> TimerState:
        return self if self.running else TimerState(elapsed=self.elapsed, running_since=now)

    def paused(self, now: float) -> TimerState:
        return TimerState(elapsed=self.seconds(now)) if self.running else self

    def to_json(self) -> dict[str, Any]:
        return {"elapsed": round(self.elapsed, 3), "running_since": self.running_since}

    @classmethod
    def from_json(cls, value: Any) -> TimerState:
        if not isinstance(value, dict):
            return cls()
        elapsed = value.get("elapsed")
        since = value.get("running_since")
        return cls(elapsed=float(elapsed) if isinstance(elapsed, int | float) else 0.0,
                   running_since=float(since) if isinstance(since, int | float) else None)


@dataclass(frozen=True, kw_only=True)
class Recommendation:
    """The interviewer's overall call, never without a reason."""

    verdict: str
    reason: str
    at: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"verdict": self.verdict, "reason": self.reason, "at": self.at}

    @classmethod
    def from_json(cls, value: Any) -> Recommendation | None:
        """The stored recommendation, or None when absent or not a valid one."""
        if not isinstance(value, dict):
            return None
        verdict, reason = value.get("verdict"), value.get("reason")
        if verdict not in RECOMMENDATIONS or not isinstance(reason, str):
            return None
        if len(reason.strip()) < MIN_REASON:
            return None
        at = value.get("at")
        return cls(verdict=verdict, reason=reason.strip(), at=at if isinstance(at, str) else "")

    @property
    def label(self) -> str:
        return RECOMMENDATIONS[self.verdict]


def recommendation_problem(verdict: str | None, reason: str) -> str | None:
    """Why a recommendation cannot be recorded as given, or None when it can."""
    if verdict not in RECOMMENDATIONS:
        return "pick one of " + ", ".join(RECOMMENDATIONS.values())
    if len(reason.strip()) < MIN_REASON:
        return (f"write the reason for this recommendation (at least {MIN_REASON} "
                "characters): it is what the hiring team reads")
    return None


@dataclass(frozen=True, kw_only=True)
class LiveVerdict:
    """The outcome of pressing "Run checks": the grader's result and where the answer was."""

    result: TaskResult
    #: ISO time the checks ran
    ran_at: str
    #: the notebook the answer was read from, and when that file was last saved (ISO)
    answer_source: str = ""
    answer_saved_at: str = ""


@dataclass(frozen=True, kw_only=True)
class QuestionState:
    """Everything one scoring panel shows, restored from the gradebook."""

    score: int | None = None
    notes: str = ""
    signals: frozenset[int] = frozenset()
    red_flags: frozenset[int] = frozenset()
    timer: TimerState = field(default_factory=TimerState)
    verdict: LiveVerdict | None = None


def state_from_fields(fields: Mapping[str, Any]) -> QuestionState:
    """Rebuild a panel's state from its stored fields; unknown or malformed ones are ignored."""
    score = fields.get(SCORE)
    notes = fields.get(NOTES)
    return QuestionState(
        score=score if isinstance(score, int) and score in SCORE_RANGE else None,
        notes=notes if isinstance(notes, str) else "",
        signals=_ticked(fields, SIGNAL_PREFIX),
        red_flags=_ticked(fields, RED_FLAG_PREFIX),
        timer=TimerState.from_json(fields.get(TIMER)),
        verdict=verdict_from_json(fields.get(CHECKS)),
    )


def _ticked(fields: Mapping[str, Any], prefix: str) -> frozenset[int]:
    ticked = set()
    for name, value in fields.items():
        index = name.removeprefix(prefix)
        if name.startswith(prefix) and index.isdigit() and value is True:
            ticked.add(int(index))
    return frozenset(ticked)


def verdict_to_json(verdict: LiveVerdict) -> dict[str, Any]:
    """A verdict as JSON-ready plain data (the `checks` field)."""
    result = verdict.result
    return {
        "ran_at": verdict.ran_at, "answer_source": verdict.answer_source,
        "answer_saved_at": verdict.answer_saved_at,
        "task_id": result.task_id, "points": result.points, "max_points": result.max_points,
        "checks": [_check_json(c) for c in result.checks],
        "public_checks": [_check_json(c) for c in result.public_checks],
        "events": [{"kind": str(e.kind), "detail": e.detail} for e in result.events],
        "answer": result.answer,
    }


def _check_json(check: CheckResult) -> dict[str, Any]:
    return {"name": check.name, "passed": check.passed, "points": check.points,
            "max_points": check.max_points, "message": check.message, "hidden": check.hidden}


def verdict_from_json(value: Any) -> LiveVerdict | None:
    """The stored verdict, or None when there is none or it cannot be read back."""
    if not isinstance(value, dict):
        return None
    try:
        result = TaskResult(
            task_id=str(value["task_id"]), points=int(value["points"]),
            max_points=int(value["max_points"]),
            checks=tuple(_check_from_json(c) for c in value.get("checks", ())),
            public_checks=tuple(_check_from_json(c) for c in value.get("public_checks", ())),
            events=tuple(Event(kind=EventKind(e["kind"]), detail=str(e["detail"]),
                               task_id=str(value["task_id"]))
                         for e in value.get("events", ())),
            answer=str(value.get("answer", "")))
    except (KeyError, TypeError, ValueError):
        return None
    return LiveVerdict(result=result, ran_at=str(value.get("ran_at", "")),
                       answer_source=str(value.get("answer_source", "")),
                       answer_saved_at=str(value.get("answer_saved_at", "")))


def _check_from_json(value: Mapping[str, Any]) -> CheckResult:
    return CheckResult(name=str(value["name"]), passed=bool(value["passed"]),
                       points=int(value["points"]), max_points=int(value["max_points"]),
                       message=str(value.get("message", "")),
                       hidden=bool(value.get("hidden", True)))
