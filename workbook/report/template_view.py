"""What the graded-copy template's cells call when papermill runs it in a kernel.

The kernel runs only this trusted report code: it reads the gradebook and displays the
same outputs `workbook.report.copy_parts` computes in-process. Candidate code is shown as
text and never executed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date as _date
from pathlib import Path

from workbook.errors import WorkbookError
from workbook.report.copy_parts import PARTS
from workbook.report.records import CandidateReport


@dataclass(frozen=True)
class GradedCopyView:
    report: CandidateReport
    date: str

    @classmethod
    def load(cls, *, candidate: str, gradebook: str, bank: str = "",
             report_date: str = "", submission: str = "") -> GradedCopyView:
        """The candidate's report; `submission` (a content hash) picks one of several files
        that claim the candidate."""
        from workbook.bank import load_bank
        from workbook.report.from_gradebook import load_reports, open_gradebook

        with open_gradebook(gradebook) as book:
            reports = load_reports(book, load_bank(Path(bank) if bank else None),
                                   candidate=candidate)
        if submission:
            reports = [r for r in reports if r.content_hash == submission]
        if not reports:
            raise WorkbookError(f"gradebook {gradebook}: no graded submission of candidate "
                                f"{candidate!r}")
        return cls(reports[0], report_date or _date.today().isoformat())

    def show(self, part: str) -> None:
        from IPython.display import publish_display_data

        for output in PARTS[part](self.report, date=self.date):
            publish_display_data(output["data"], output["metadata"])
