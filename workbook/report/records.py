"""What a report shows about one candidate: plain, frozen records built once, rendered many ways.

The graded copy, the cohort page, the CSV/JSON files and the ATS exports all read these
records, so every number a hiring team sees comes from one calculation.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from grading.assignment import AssignmentState
from grading.results import CheckResult, Event, SubmissionStatus
from workbook.live.history import QuestionTimeline
from workbook.live.state import Recommendation


@dataclass(frozen=True, kw_only=True)
class CellOutput:
    """One output of a submitted cell, reduced to what is safe to show: text or a PNG."""

    #: "text" (stdout, results, tracebacks: shown verbatim) or "png" (base64 data)
    kind: str
    text: str


@dataclass(frozen=True, kw_only=True)
class InterviewScore:
    """What an interviewer recorded for one question in a live session."""

    session: str
    #: rubric score 0..4, or None when the interviewer ticked boxes but gave no score
    score: int | None
    signals: tuple[str, ...] = ()
    red_flags: tuple[str, ...] = ()
    notes: str = ""


@dataclass(frozen=True, kw_only=True)
class NotebookHistory:
    """What a returned notebook says about how its answer cell was run: the only record of
    a take-home, reported by the candidate's own notebook (and so editable by them)."""

    #: the answer cell's execution count, or None when it was never run (or cleared)
    execution_count: int | None = None
    #: when the cell last started and finished running (JupyterLab's `metadata.execution`,
    #: kept only when the candidate's JupyterLab records timing), as written there
    started: str = ""
    finished: str = ""

    @property
    def empty(self) -> bool:
        return self.execution_count is None and not self.started and not self.finished


@dataclass(frozen=True, kw_only=True)
class QuestionReport:
    """One question of one candidate's workbook, with everything that decided its points."""

    question_id: str
    title: str
    kind: str  # "coding" or "discussion"
    #: competency id -> share of this question's points (the shares sum to 1)
    competency_shares: dict[str, float]
    #: None when nothing scored the question (a discussion question nobody interviewed)
    points: float | None
    max_points: float
    answer: str = ""
    answer_outputs: tuple[CellOutput, ...] = ()
    public_check_outputs: tuple[CellOutput, ...] = ()
    checks: tuple[CheckResult, ...] = ()
    public_checks: tuple[CheckResult, ...] = ()
    events: tuple[Event, ...] = ()
    interview: InterviewScore | None = None
    #: runs, errors, saves and checks as the candidate's server recorded them (live only)
    timeline: QuestionTimeline | None = None
    #: what the returned notebook itself says about running the answer (take-homes)
    notebook_history: NotebookHistory | None = None

    @property
    def scored(self) -> bool:
        return self.points is not None


@dataclass(frozen=True, kw_only=True)
class CompetencyScore:
    competency: str
    title: str
    #: the competency's weight in the overall scorecard, in percent
    weight: int
    points: float
    max_points: float

    @property
    def percent(self) -> float | None:
        return 100.0 * self.points / self.max_points if self.max_points else None


@dataclass(frozen=True, kw_only=True)
class CandidateReport:
    """Everything the graded copy of one candidate shows."""

    candidate: str
    workbook: str
    status: SubmissionStatus
    source: str
    content_hash: str
    questions: tuple[QuestionReport, ...]
    competencies: tuple[CompetencyScore, ...]
    #: submission-wide integrity notes and refusal reasons
    events: tuple[Event, ...] = ()
    #: why some of the report could not be filled in (source notebook moved, ...)
    notes: tuple[str, ...] = field(default=())
    grading_seconds: float = 0.0
    #: whether the questions graded were those issued (PRODUCT decision 7)
    assignment: AssignmentState = AssignmentState.NOT_VERIFIED
    #: the other files that claim this same candidate: a conflict for a person to resolve
    conflicts: tuple[str, ...] = ()
    #: the interviewer's overall call in a live interview, with its reason
    recommendation: Recommendation | None = None
    #: answers (or known sources) similar to this candidate's, one line each
    #: (`workbook/similarity/`); for a person to look at, not a verdict
    similar: tuple[str, ...] = ()

    @property
    def key(self) -> tuple[str, str]:
        """What tells this report from every other, a candidate's conflicting ones too."""
        return (self.candidate, self.content_hash)

    @property
    def points(self) -> float:
        return sum(q.points for q in self.questions if q.points is not None)

    @property
    def max_points(self) -> float:
        return sum(q.max_points for q in self.questions if q.scored)

    @property
    def percent(self) -> float:
        return 100.0 * self.points / self.max_points if self.max_points else 0.0

    @property
    def weighted_percent(self) -> float | None:
        """The competency scorecard as one figure: each competency's percentage, weighted
        by its scorecard weight, over the competencies this workbook gave evidence for."""
        known = [c for c in self.competencies if c.percent is not None]
        total_weight = sum(c.weight for c in known)
        if not total_weight:
            return None
        return sum(c.weight * (c.percent or 0.0) for c in known) / total_weight

    @property
    def unscored(self) -> tuple[QuestionReport, ...]:
        return tuple(q for q in self.questions if not q.scored)
