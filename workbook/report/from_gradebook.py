"""Candidate reports from a gradebook: recorded results, live scores and submitted outputs.

Nothing is graded or run again: the reports are rebuilt from what the gradebook holds and
from the returned notebooks' saved outputs (when those files are still where they were).
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING, Any

from workbook.model import Bank
from workbook.report.assemble import candidate_report, interview_report
from workbook.report.records import CandidateReport
from workbook.report.submitted import read_submitted

if TYPE_CHECKING:
    from grading.gradebook import Gradebook


def open_gradebook(url_or_path: str) -> Gradebook:
    from workbook.live.store import open_live

    return open_live(url_or_path)


def load_reports(gradebook: Gradebook, bank: Bank, *,
                 candidate: str | None = None) -> list[CandidateReport]:
    """The report of each candidate's latest submission (or of one candidate), by name;
    a candidate scored live but never graded gets a report of their rubric scores."""
    from workbook.live.store import read_fields
    from workbook.live.tables import LIVE_MIGRATIONS

    gradebook.migrate_also(LIVE_MIGRATIONS)  # a gradebook opened by the engine alone
    results = gradebook.results(candidate=candidate)
    scores: dict[str, list[Any]] = defaultdict(list)
    for record in read_fields(gradebook, candidate=candidate):
        scores[record.candidate].append(record)
    reports = [candidate_report(result, bank, scores=scores.get(result.candidate, ()),
                                submitted=read_submitted(result.source))
               for result in results]
    graded = {result.candidate for result in results}
    reports += [interview_report(name, bank, records)
                for name, records in sorted(scores.items()) if name not in graded]
    return reports
