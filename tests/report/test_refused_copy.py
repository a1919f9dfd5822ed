"""A refused submission still gets a graded copy that says why nothing was graded."""

from __future__ import annotations

from tests.report.conftest import GradedCohort
from tests.report.copies import copy_notebook, part_text


def test_a_refused_submissions_copy_gives_the_reason_and_no_points(
        rendered: GradedCohort) -> None:
    header = part_text(copy_notebook(rendered.outdir, "dora"), "header")

    assert "Status: refused" in header
    assert "Total: 0 / 0 points (0.0%)" in header
    assert "is not valid JSON" in header
