"""What grading returns: plain, frozen records that the gradebook stores and reports show."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from grading.assignment import AssignmentState
from grading.text import one_line

#: the longest reason kept whole (a refusal names the file, which may be long)
REASON_LIMIT = 1000


class EventKind(StrEnum):
    """Why something went wrong while running a candidate's code."""

    TIMEOUT = "timeout"
    MEMORY = "memory"
    KERNEL_DIED = "kernel-died"
    OUTPUT_FLOOD = "output-flood"
    ERROR = "error"  # the answer cell itself raised
    BAD_OBSERVATION = "bad-observation"  # a check produced something that is not plain data
    PROTOCOL = "protocol-violation"  # the kernel sent a message the grading protocol forbids
    INTEGRITY = "integrity"  # cell deleted, duplicated, re-identified, restored, ...


class SubmissionStatus(StrEnum):
    GRADED = "graded"
    REFUSED = "refused"  # not a notebook, invalid JSON, empty, ...: nothing could be graded
    FAILED = "failed"  # infrastructure failure; retried on the next run
    #: handling this one submission went wrong (one-line reason in its events); the batch
    #: went on without it, and the next run retries it
    ERROR = "error"


@dataclass(frozen=True, kw_only=True)
class Event:
    kind: EventKind
    detail: str
    task_id: str | None = None


@dataclass(frozen=True, kw_only=True)
class CheckResult:
    name: str
    passed: bool
    points: int
    max_points: int
    message: str = ""
    hidden: bool = True


@dataclass(frozen=True, kw_only=True)
class TaskResult:
    task_id: str
    points: int
    max_points: int
    checks: tuple[CheckResult, ...]
    #: candidate-visible checks: passed or not, worth no points
    public_checks: tuple[CheckResult, ...] = ()
    events: tuple[Event, ...] = ()
    #: the answer code that was graded (as submitted, or restored from the starter)
    answer: str = ""


@dataclass(frozen=True, kw_only=True)
class SubmissionResult:
    candidate: str
    source: str
    content_hash: str
    status: SubmissionStatus
    tasks: tuple[TaskResult, ...] = ()
    #: integrity notes and submission-wide events (refusal reasons live here too)
    events: tuple[Event, ...] = field(default_factory=tuple)
    seconds: float = 0.0
    #: whether the questions graded were those issued (`grading.assignment`)
    assignment: AssignmentState = AssignmentState.NOT_VERIFIED
    assignment_id: str | None = None

    @property
    def points(self) -> int:
        return sum(task.points for task in self.tasks)

    @property
    def reason(self) -> str:
        """Why this submission was not graded, in one line ("" when it was): the last
        submission-wide event, which is where refusals and errors put their reason."""
        if self.status is SubmissionStatus.GRADED or not self.events:
            return ""
        # one line whatever produced it: a reason is a CSV cell, a table row, a log line
        return one_line(self.events[-1].detail, REASON_LIMIT)

    @property
    def max_points(self) -> int:
        return sum(task.max_points for task in self.tasks)
