"""Candidate reports from a gradebook: recorded results, live scores and submitted outputs.

Nothing is graded or run again: the reports are rebuilt from what the gradebook holds and
from the returned notebooks' saved outputs (when those files are still where they were).
A submission whose report cannot be built (its returned file is hostile, say) gets a report
of status error with the reason, and the others are built as usual.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import replace
from itertools import groupby
from typing import TYPE_CHECKING, Any

from grading.assignment import AssignmentState
from grading.results import Event, EventKind, SubmissionResult, SubmissionStatus
from grading.text import one_line
from workbook.live.store import Evidence
from workbook.model import Bank
from workbook.report.assemble import candidate_report, interview_report
from workbook.report.records import CandidateReport
from workbook.report.submitted import SubmittedNotebook, read_submitted

if TYPE_CHECKING:
    from grading.gradebook import Gradebook


def open_gradebook(url_or_path: str) -> Gradebook:
    from workbook.live.store import open_live

    return open_live(url_or_path)


def load_reports(gradebook: Gradebook, bank: Bank, *,
                 candidate: str | None = None) -> list[CandidateReport]:
    """The report of each candidate's latest submission (or of one candidate), by name;
    a candidate scored live but never graded gets a report of their rubric scores. When
    several files claim one candidate, each gets a report naming the others (`conflicts`)."""
    return list(iter_reports(gradebook, bank, candidate=candidate))


def iter_reports(gradebook: Gradebook, bank: Bank, *,
                 candidate: str | None = None) -> Iterator[CandidateReport]:
    """`load_reports` one report at a time, built as it is asked for: a cohort of any
    size is walked holding one candidate's submissions (and the live scores, which come
    from interviews, not from the batch)."""
    from workbook.live.migrations import LIVE_MIGRATIONS, LIVE_SQLITE_STEPS
    from workbook.live.store import read_candidate_evidence, read_fields

    # a gradebook opened by the engine alone
    gradebook.migrate_also(LIVE_MIGRATIONS, LIVE_SQLITE_STEPS)
    scores: dict[str, list[Any]] = defaultdict(list)
    for record in read_fields(gradebook, candidate=candidate):
        scores[record.candidate].append(record)
    evidence: dict[str, list[Evidence]] = defaultdict(list)
    for name, item in latest_sessions(read_candidate_evidence(gradebook, candidate=candidate)):
        evidence[name].append(item)
    graded: set[str] = set()
    # by candidate name: every file claiming one candidate comes in one run
    for name, claiming in groupby(gradebook.iter_results(candidate=candidate),
                                  key=lambda result: result.candidate):
        results = list(claiming)
        graded.add(name)
        for result in results:
            report = _contained_report(result, bank, scores.get(name, ()),
                                       evidence.get(name, ()), gradebook)
            if len(results) > 1:
                report = replace(report, conflicts=tuple(
                    other.source for other in results if other.source != report.source))
            yield report
    yield from (interview_report(name, bank, records, evidence.get(name, ()))
                for name, records in sorted(scores.items()) if name not in graded)


def _as_issued(submitted: SubmittedNotebook | None, result: SubmissionResult,
               gradebook: Gradebook) -> SubmittedNotebook | None:
    """The returned notebook, with what it says of its workbook (questions, level, bank
    version) replaced by the issued assignment it was graded against: an edited notebook
    does not get to relabel its own report."""
    if submitted is None or result.assignment is AssignmentState.NOT_VERIFIED \
            or result.assignment_id is None:
        return submitted
    found = gradebook.assignment(result.assignment_id)
    if found is None or not found[1]:
        return submitted
    issued = found[0]
    return replace(submitted, workbook_meta={**submitted.workbook_meta, **issued.details,
                                             "questions": list(issued.tasks)})


def latest_sessions(rows: Sequence[tuple[str, str, Evidence]]
                    ) -> list[tuple[str, Evidence]]:
    """(candidate, evidence) of each candidate's latest live session only: a candidate
    interviewed twice is reported on the interview the scores came from last."""
    latest: dict[str, str] = {}
    for candidate, session, _item in rows:  # in the order they were recorded
        latest[candidate] = session
    return [(candidate, item) for candidate, session, item in rows
            if latest[candidate] == session]


def _contained_report(result: SubmissionResult, bank: Bank, scores: Any,
                      evidence: Sequence[Evidence], gradebook: Gradebook) -> CandidateReport:
    """The report of one recorded submission. A returned file whose saved outputs cannot be
    read is shown without them; if the report itself cannot be built, a report of status
    error says why. Either way one submission cannot cost the cohort its reports."""
    try:
        submitted = read_submitted(result.source)
    except Exception:  # read_submitted says None for files it expects to fail on
        submitted = None
    try:
        return candidate_report(result, bank, scores=scores,
                                submitted=_as_issued(submitted, result, gradebook),
                                evidence=evidence)
    except Exception as error:
        reason = Event(kind=EventKind.ERROR, detail=one_line(
            f"{result.source}: its report could not be built ({type(error).__name__}); "
            f"its recorded results are in results.json"))
        return CandidateReport(candidate=result.candidate, workbook="",
                               status=SubmissionStatus.ERROR, source=result.source,
                               content_hash=result.content_hash, questions=(),
                               competencies=(), events=(*result.events, reason),
                               grading_seconds=result.seconds)
