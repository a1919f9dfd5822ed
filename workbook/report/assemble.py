"""Build a candidate's report from what grading recorded, the bank and the live scores.

Pure functions: no file, database or kernel is touched here.

Points. A coding question earns the points of the hidden checks it passed. A discussion
question is scored only by an interviewer: `points * score / 4` for a rubric score 0..4;
without a recorded score it is *unscored* and left out of both the total and the maximum
(the copy says so), so a take-home graded in batch is not marked down for a conversation
that never happened.

Competencies. Each question's competency weights are normalised to shares that sum to 1;
competency c earns `sum(share_qc * points_q)` out of `sum(share_qc * max_q)` over the scored
questions. The overall scorecard weights each competency's percentage by its weight in
`COMPETENCIES` (problem solving 25, code quality 20, ...), over the competencies the
workbook gave any evidence for.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol

from grading.results import SubmissionResult, SubmissionStatus, TaskResult
from workbook.live.history import QuestionTimeline, timeline
from workbook.live.state import INTERVIEW, RECOMMENDATION, Recommendation, state_from_fields
from workbook.live.store import Evidence
from workbook.model import COMPETENCIES, SCORE_RANGE, Bank, Question
from workbook.report.records import (
    CandidateReport,
    CompetencyScore,
    InterviewScore,
    QuestionReport,
)
from workbook.report.submitted import SubmittedNotebook

#: the top of the rubric scale; a discussion question earns points * score / MAX_SCORE
MAX_SCORE = max(SCORE_RANGE)


class LiveScore(Protocol):
    """One field of a live interview score, as the gradebook returns it."""

    @property
    def session(self) -> str: ...
    @property
    def question(self) -> str: ...
    @property
    def field(self) -> str: ...
    @property
    def value(self) -> Any: ...
    @property
    def updated_at(self) -> datetime: ...


def candidate_report(result: SubmissionResult, bank: Bank, *,
                     scores: Iterable[LiveScore] = (),
                     submitted: SubmittedNotebook | None = None,
                     evidence: Sequence[Evidence] = ()) -> CandidateReport:
    """The report of one graded (or refused) submission; `evidence` is what the candidate's
    server recorded in their live session, if they had one."""
    scores = list(scores)
    notes: list[str] = []
    meta = submitted.workbook_meta if submitted else {}
    if submitted is None:
        notes.append(f"the submitted notebook {result.source} could not be read; the "
                     f"candidate's cell outputs are not shown")
    interviews = interview_scores(scores, bank)
    tasks = {task.task_id: task for task in result.tasks}
    order = _question_order(meta, result.tasks, interviews)
    questions = []
    for question_id in order:
        question = _known(bank, question_id)
        if question is None:
            notes.append(f"question {question_id} is not in the bank {bank.name}; it is "
                         f"shown without its title and competencies")
        questions.append(_question_report(question_id, question, tasks.get(question_id),
                                          interviews.get(question_id), submitted,
                                          _timeline(evidence, question_id)))
    return CandidateReport(
        candidate=result.candidate, workbook=workbook_label(meta, bank), status=result.status,
        source=result.source, content_hash=result.content_hash, questions=tuple(questions),
        competencies=competency_scores(questions), events=result.events, notes=tuple(notes),
        grading_seconds=result.seconds, assignment=result.assignment,
        recommendation=recommendation(scores))


def interview_report(candidate: str, bank: Bank, scores: Iterable[LiveScore],
                     evidence: Sequence[Evidence] = ()) -> CandidateReport:
    """The report of a candidate scored in a live interview whose notebook was never
    graded (nobody pressed Run checks): the rubric scores only. Coding questions earn
    their points from checks, so without a run they stay unscored."""
    records = list(scores)
    interviews = interview_scores(records, bank)
    # questions scored, then questions the candidate only worked on (their record shows it)
    order = [*interviews, *(e.question for e in evidence
                            if e.question is not None and e.question not in interviews)]
    questions = [_question_report(question_id, _known(bank, question_id), None,
                                  interviews.get(question_id), None,
                                  _timeline(evidence, question_id))
                 for question_id in dict.fromkeys(order)]
    sessions = ", ".join(sorted({record.session for record in records}))
    return CandidateReport(
        candidate=candidate, workbook=f"live interview, {bank.name}",
        status=SubmissionStatus.GRADED, source=f"live session {sessions}", content_hash="",
        questions=tuple(questions), competencies=competency_scores(questions),
        notes=("scored in a live interview; no notebook was graded, so coding questions "
               "without a run of their checks are unscored",),
        recommendation=recommendation(records))


def recommendation(scores: Iterable[LiveScore]) -> Recommendation | None:
    """The latest overall recommendation recorded in any of the candidate's sessions."""
    latest: tuple[datetime, Any] | None = None
    for record in scores:
        if record.question == INTERVIEW and record.field == RECOMMENDATION and (
                latest is None or record.updated_at > latest[0]):
            latest = (record.updated_at, record.value)
    return Recommendation.from_json(latest[1]) if latest else None


def _timeline(evidence: Sequence[Evidence], question_id: str) -> QuestionTimeline | None:
    found = timeline(evidence, question_id)
    return None if found.empty else found


def workbook_label(meta: Mapping[str, Any], bank: Bank) -> str:
    """How the copy names the workbook: its level and the bank version it was built from."""
    bank_name = str(meta.get("bank") or bank.name)
    version = meta.get("bank_version")
    level = meta.get("level")
    label = f"{bank_name} {version}" if version else bank_name
    return f"{level} level, {label}" if level else label


def competency_scores(questions: Sequence[QuestionReport]) -> tuple[CompetencyScore, ...]:
    """Each competency's points and maximum, in `COMPETENCIES` order."""
    earned = dict.fromkeys(COMPETENCIES, 0.0)
    possible = dict.fromkeys(COMPETENCIES, 0.0)
    for question in questions:
        if question.points is None:
            continue
        for competency, share in question.competency_shares.items():
            if competency in earned:
                earned[competency] += share * question.points
                possible[competency] += share * question.max_points
    return tuple(CompetencyScore(competency=c, title=title, weight=weight,
                                 points=earned[c], max_points=possible[c])
                 for c, (title, weight) in COMPETENCIES.items())


def competency_shares(question: Question) -> dict[str, float]:
    total = sum(question.competencies.values())
    if total <= 0:
        return {}
    return {name: weight / total for name, weight in question.competencies.items()}


def interview_scores(scores: Iterable[LiveScore], bank: Bank) -> dict[str, InterviewScore]:
    """Question id -> what the interviewer recorded in the latest session that scored it.

    Fields are read as the live panel writes them (`workbook.live.state`)."""
    latest: dict[str, tuple[datetime, str]] = {}
    fields: dict[tuple[str, str], dict[str, Any]] = {}
    for record in scores:
        if record.question == INTERVIEW:  # the interview as a whole, not a question
            continue
        fields.setdefault((record.question, record.session), {})[record.field] = record.value
        seen = latest.get(record.question)
        if seen is None or record.updated_at > seen[0]:
            latest[record.question] = (record.updated_at, record.session)
    found = {}
    for question_id, (_when, session) in latest.items():
        state = state_from_fields(fields[(question_id, session)])
        question = _known(bank, question_id)
        found[question_id] = InterviewScore(
            session=session, score=state.score,
            signals=_labels(state.signals, question.rubric.strong_signals if question else ()),
            red_flags=_labels(state.red_flags, question.rubric.red_flags if question else ()),
            notes=state.notes)
    return found


def _labels(ticked: Iterable[int], texts: Sequence[str]) -> tuple[str, ...]:
    """Ticked rubric items as their text; an index past the rubric (edited since) as a note."""
    return tuple(texts[i] if i < len(texts) else f"item {i + 1} (no longer in the rubric)"
                 for i in sorted(ticked))


def _question_order(meta: Mapping[str, Any], tasks: Sequence[TaskResult],
                    interviews: Mapping[str, InterviewScore]) -> list[str]:
    """The workbook's question order, then anything graded or scored that it does not list."""
    listed = meta.get("questions")
    order = [q for q in listed if isinstance(q, str)] if isinstance(listed, list) else []
    for question_id in [*(t.task_id for t in tasks), *interviews]:
        if question_id not in order:
            order.append(question_id)
    return order


def _known(bank: Bank, question_id: str) -> Question | None:
    try:
        return bank.get(question_id)
    except KeyError:
        return None


def _question_report(question_id: str, question: Question | None, task: TaskResult | None,
                     interview: InterviewScore | None, submitted: SubmittedNotebook | None,
                     process: QuestionTimeline | None = None) -> QuestionReport:
    outputs = submitted.outputs if submitted else {}
    history = submitted.history.get(question_id) if submitted else None
    kind = question.kind.value if question else ("coding" if task else "discussion")
    base: dict[str, Any] = {
        "question_id": question_id, "title": question.title if question else question_id,
        "kind": kind, "competency_shares": competency_shares(question) if question else {},
        "answer_outputs": outputs.get((question_id, "answer"), ()),
        "public_check_outputs": outputs.get((question_id, "public-check"), ()),
        "interview": interview, "timeline": process,
        "notebook_history": history if history is not None and not history.empty else None,
    }
    if task is not None:
        return QuestionReport(**base, points=float(task.points),
                              max_points=float(task.max_points), answer=task.answer,
                              checks=task.checks, public_checks=task.public_checks,
                              events=task.events)
    max_points = float(question.points) if question else 0.0
    notes = submitted.notes.get(question_id, "") if submitted else ""
    if kind == "coding":
        # a coding question the grader has no result for (refused or failed submission)
        return QuestionReport(**base, points=None, max_points=max_points, answer=notes)
    score = interview.score if interview else None
    points = None if score is None else max_points * score / MAX_SCORE
    return QuestionReport(**base, points=points, max_points=max_points, answer=notes)
