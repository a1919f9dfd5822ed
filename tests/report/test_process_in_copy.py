"""How the candidate got there, in the reports: the recorded timeline of a live interview,
the recommendation, and what a take-home's own notebook reports about its runs."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import nbformat

from grading.results import SubmissionResult, SubmissionStatus, TaskResult
from tests.report.conftest import CORRECT, REPORT_BANK, answer_cell, returned_notebook
from workbook.cli import main
from workbook.live.state import INTERVIEW, RECOMMENDATION
from workbook.live.store import Evidence, append_evidence, open_live, set_field
from workbook.model import Bank
from workbook.report.assemble import candidate_report
from workbook.report.cohort import cohort_report
from workbook.report.cohort_page import cohort_html, ranking_rows
from workbook.report.copy_parts import questions
from workbook.report.from_gradebook import load_reports
from workbook.report.graded_copy import copy_paths
from workbook.report.submitted import read_submitted

SESSION = "eve-2030-01-03"
T0 = datetime(2030, 1, 3, 9, 0, tzinfo=UTC)
REASON = "Reasoned aloud about ties; fixed the edge case once shown."


def interview_eve(path: Path) -> None:
    def at(minutes: int, kind: str, code: str, outcome: str) -> Evidence:
        return Evidence(at=T0 + timedelta(minutes=minutes), kind=kind, code=code,
                        outcome=outcome, question="running-total")

    with open_live(str(path)) as gradebook:
        set_field(gradebook, session=SESSION, candidate="eve", question="mutable-default",
                  field="score", value=3)
        set_field(gradebook, session=SESSION, candidate="eve", question=INTERVIEW,
                  field=RECOMMENDATION, value={"verdict": "yes", "reason": REASON,
                                               "at": "2030-01-03T09:40:00+00:00"})
        set_field(gradebook, session=SESSION, candidate="eve", question=INTERVIEW,
                  field="clock", value={"elapsed": 60.0, "running_since": None})
        append_evidence(gradebook, session=SESSION, candidate="eve", evidence=[
            at(2, "save", "def running_total(xs):\n    pass", "saved"),
            at(3, "run", "def running_total(xs):\n    return xs[0]", "IndexError"),
            at(5, "checks", "def running_total(xs):\n    return xs[0]", "fail"),
            at(7, "run", "def running_total(xs):\n    return list(xs)", "ok"),
            at(9, "checks", "def running_total(xs):\n    return list(xs)", "pass")])


def test_the_graded_copy_shows_the_recorded_timeline_and_the_recommendation(
        tmp_path: Path, report_bank: Bank) -> None:
    gradebook = tmp_path / "gradebook.sqlite"
    interview_eve(gradebook)
    code = main(["report", "eve", "-o", str(tmp_path / "out"), "--gradebook", str(gradebook),
                 "--bank", str(REPORT_BANK), "--no-html"])
    assert code == 0
    copy = nbformat.read(copy_paths(tmp_path / "out", "eve")[0], as_version=4)
    text = "\n".join(output.get("data", {}).get("text/plain", "")
                     for cell in copy.cells for output in cell.get("outputs", []))

    assert f"Interviewer's recommendation: Yes: {REASON}" in text
    assert "recorded by the candidate's server" in text
    assert "first attempt: 2030-01-03 09:02:00 UTC" in text
    assert "2 runs of the answer, 1 ending in an error (IndexError at 2030-01-03 09:03:00" \
           in text
    assert "checks run 2 times, first passed: 2030-01-03 09:09:00 UTC" in text
    assert "(interview)" not in text  # the interview's own fields are not a question


def test_the_cohort_report_shows_each_candidates_recommendation(
        tmp_path: Path, report_bank: Bank) -> None:
    gradebook = tmp_path / "gradebook.sqlite"
    interview_eve(gradebook)
    with open_live(str(gradebook)) as book:
        reports = load_reports(book, report_bank)
    cohort = cohort_report(reports)

    header, rows = ranking_rows(cohort)
    assert dict(zip(header, next(rows), strict=True))["recommendation"] == "Yes"
    page = cohort_html(cohort, title="t", report_date="2030-01-03", copies={})
    assert f'title="{REASON}">Yes</span>' in page


def test_a_take_home_shows_what_its_notebook_reports_marked_as_such(
        tmp_path: Path, report_bank: Bank) -> None:
    data = returned_notebook(report_bank, CORRECT, "tess")
    cell = answer_cell(data, "running-total")
    cell["execution_count"] = 7
    cell["metadata"]["execution"] = {"iopub.execute_input": "2030-01-04T10:00:01.000Z",
                                     "shell.execute_reply": "2030-01-04T10:00:02.000Z"}
    other = answer_cell(data, "safe-divide")
    other["execution_count"] = True  # not a count: left out
    other["metadata"]["execution"] = {"shell.execute_reply": ["not", "a", "time"]}
    path = tmp_path / "tess.ipynb"
    path.write_text(json.dumps(data), encoding="utf-8")
    result = SubmissionResult(candidate="tess", source=str(path), content_hash="h",
                              status=SubmissionStatus.GRADED,
                              tasks=(TaskResult(task_id="running-total", points=1,
                                                max_points=1, checks=()),))

    report = candidate_report(result, report_bank, submitted=read_submitted(path))
    [running] = [q for q in report.questions if q.question_id == "running-total"]
    text = questions(report, date="2030-01-04")[
        [q.question_id for q in report.questions].index("running-total")]["data"]["text/plain"]

    assert running.timeline is None
    assert running.notebook_history is not None and running.notebook_history.execution_count == 7
    assert "Reported by the candidate's notebook" in text
    assert "answer cell execution count: [7]" in text
    assert "last run finished: 2030-01-04T10:00:02.000Z" in text
    [divide] = [q for q in report.questions if q.question_id == "safe-divide"]
    assert divide.notebook_history is None
