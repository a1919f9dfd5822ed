"""A candidate scored in a live interview but never graded still gets a report and a copy."""

from __future__ import annotations

from pathlib import Path

import nbformat

from tests.report.conftest import REPORT_BANK
from workbook.cli import main
from workbook.live.store import open_live, set_field
from workbook.model import Bank
from workbook.report.from_gradebook import load_reports
from workbook.report.graded_copy import copy_paths

SESSION = "eve-2030-01-03"


def score_eve(path: Path) -> None:
    with open_live(str(path)) as gradebook:
        for question, field, value in [("mutable-default", "score", 3),
                                       ("mutable-default", "notes", "Clear on defaults."),
                                       ("running-total", "score", 4)]:
            set_field(gradebook, session=SESSION, candidate="eve", question=question,
                                field=field, value=value)


def test_live_scores_alone_make_a_report(tmp_path: Path, report_bank: Bank) -> None:
    score_eve(tmp_path / "gradebook.sqlite")
    with open_live(str(tmp_path / "gradebook.sqlite")) as gradebook:
        (report,) = load_reports(gradebook, report_bank)
    by_id = {q.question_id: q for q in report.questions}
    assert report.candidate == "eve"
    assert by_id["mutable-default"].points == 3.0  # 4 points * score 3 / 4
    assert by_id["mutable-default"].interview is not None
    assert by_id["mutable-default"].interview.notes == "Clear on defaults."
    assert by_id["running-total"].points is None  # coding: checks never ran
    assert (report.points, report.max_points) == (3.0, 4.0)
    assert any("no notebook was graded" in note for note in report.notes)


def test_report_command_renders_the_copy_of_an_interview_only_candidate(
        tmp_path: Path, report_bank: Bank) -> None:
    gradebook = tmp_path / "gradebook.sqlite"
    score_eve(gradebook)
    code = main(["report", "eve", "-o", str(tmp_path / "out"), "--gradebook", str(gradebook),
                 "--bank", str(REPORT_BANK), "--no-html"])
    assert code == 0
    copy = nbformat.read(copy_paths(tmp_path / "out", "eve")[0], as_version=4)
    text = "\n".join(str(cell.source) for cell in copy.cells) + str(
        [cell.get("outputs") for cell in copy.cells])
    assert "Clear on defaults." in text
