"""Candidate reports from a gradebook: recorded results, live scores and submitted outputs.

Nothing is graded or run again: the reports are rebuilt from what the gradebook holds and
from the returned notebooks' saved outputs (when those files are still where they were).
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING, Any

from workbook.model import Bank
from workbook.report.assemble import candidate_report
from workbook.report.records import CandidateReport
from workbook.report.submitted import read_submitted

if TYPE_CHECKING:
    from grading.gradebook import Gradebook


def open_gradebook(url_or_path: str) -> Gradebook:
    from grading.gradebook import Gradebook

    return Gradebook.open(url_or_path)


def load_reports(gradebook: Gradebook, bank: Bank, *,
                 candidate: str | None = None) -> list[CandidateReport]:
    """The report of each candidate's latest submission (or of one candidate), by name."""
    results = gradebook.results(candidate=candidate)
    scores: dict[str, list[Any]] = defaultdict(list)
    for record in gradebook.scores(candidate=candidate):
        scores[record.candidate].append(record)
    return [candidate_report(result, bank, scores=scores.get(result.candidate, ()),
                             submitted=read_submitted(result.source))
            for result in results]
