"""results.csv, cohort.csv and ats.csv: no cell a candidate controls is a formula."""

from __future__ import annotations

import csv
import io
import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from grading.export import results_csv
from grading.results import Event, EventKind, SubmissionResult, SubmissionStatus, TaskResult
from grading.spreadsheet import FORMULA_STARTS
from workbook.report.assemble import competency_scores
from workbook.report.ats import write_ats
from workbook.report.cohort import cohort_report
from workbook.report.cohort_page import ranking_csv, write_cohort
from workbook.report.records import CandidateReport, QuestionReport

_formula = st.builds(lambda sign, rest: sign + rest, st.sampled_from(FORMULA_STARTS),
                     st.text(min_size=1))
hostile_text = st.one_of(_formula, st.text(min_size=1))


def _cells(text: str) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(text, newline="")) for cell in row]


def _is_formula(cell: str) -> bool:
    if not cell.startswith(FORMULA_STARTS):
        return False
    try:
        float(cell)
    except ValueError:
        return True
    return False


def _report(candidate: str, question_id: str, note: str) -> CandidateReport:
    question = QuestionReport(question_id=question_id, title=question_id, kind="coding",
                              competency_shares={"problem_solving": 1.0}, points=-1.0,
                              max_points=2.0)
    return CandidateReport(candidate=candidate, workbook=note, status=SubmissionStatus.GRADED,
                           source=f"{candidate}.ipynb", content_hash=note,
                           questions=(question,), competencies=competency_scores([question]),
                           events=(Event(kind=EventKind.INTEGRITY, detail=note),))


@settings(max_examples=60, deadline=None)
@given(candidate=hostile_text, question=hostile_text, note=hostile_text)
def test_results_csv_has_no_formula_cell(candidate: str, question: str, note: str) -> None:
    result = SubmissionResult(candidate=candidate, source=note, content_hash="h",
                              status=SubmissionStatus.GRADED,
                              tasks=(TaskResult(task_id=question, points=0, max_points=1,
                                                checks=()),),
                              events=(Event(kind=EventKind.INTEGRITY, detail=note),))

    cells = _cells(results_csv([result]))

    assert not [cell for cell in cells if _is_formula(cell)]
    assert "'" + candidate in cells or candidate in cells


@settings(max_examples=60, deadline=None)
@given(candidate=hostile_text, question=hostile_text, note=hostile_text)
def test_cohort_csv_has_no_formula_cell(candidate: str, question: str, note: str) -> None:
    cells = _cells(ranking_csv(cohort_report([_report(candidate, question, note)])))

    assert not [cell for cell in cells if _is_formula(cell)]
    assert "'" + candidate in cells or candidate in cells


@settings(max_examples=60, deadline=None)
@given(candidate=hostile_text, question=hostile_text, note=hostile_text)
def test_ats_csv_has_no_formula_cell(candidate: str, question: str, note: str) -> None:
    cohort = cohort_report([_report(candidate, question, note)])
    with tempfile.TemporaryDirectory() as folder:
        write_ats(cohort, Path(folder), report_date="2030-01-02", copies={candidate: note})
        with (Path(folder) / "ats.csv").open(encoding="utf-8", newline="") as handle:
            cells = _cells(handle.read())

    assert not [cell for cell in cells if _is_formula(cell)]
    assert "'" + candidate in cells or candidate in cells


def test_a_negative_score_stays_a_number_in_the_ranking(tmp_path: Path) -> None:
    cohort = cohort_report([_report("ada", "q1", "note")])

    write_cohort(cohort, tmp_path, title="t", report_date="2030-01-02")
    with (tmp_path / "cohort.csv").open(encoding="utf-8", newline="") as handle:
        (row,) = csv.DictReader(handle)

    assert row["q1_points"] == "-1.0"
