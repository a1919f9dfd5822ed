"""A copy drafted while grading runs, then finished, is the copy rendered afterwards, byte
for byte; a draft that no longer fits its report is not used."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.report.conftest import REPORT_DATE, GradedCohort
from workbook.report.drafts import Drafts
from workbook.report.from_gradebook import load_reports
from workbook.report.graded_copy import CopySettings, report_paths, write_copy
from workbook.report.records import CandidateReport

#: similar-answer lines that HTML, JSON and the marks themselves could trip over
AWKWARD = (
    (),
    ("running-total: similar to ben, score 1.00",),
    ('q: similar to <script>alert("x")</script> & \\ "quoted", score 0.61',
     "q: similar to línea\u2028separada\u0007, score 0.70", "q: wb-draft-html-0, score 1.00"),
    tuple(f"q{i}: similar to candidate-{i:04d}, score 0.9{i % 10}" for i in range(60)),
)


@pytest.fixture(scope="module")
def reports(rendered: GradedCohort) -> list[CandidateReport]:
    with rendered.gradebook() as gradebook:
        return load_reports(gradebook, rendered.bank)


def _settings(html: bool = True) -> CopySettings:
    return CopySettings(gradebook="sqlite:///gradebook.sqlite", date=REPORT_DATE, bank="b",
                        html=html)


def _drafted_then_rendered(report: CandidateReport, outdir: Path, copy_settings: CopySettings
                           ) -> tuple[list[bytes], list[bytes]]:
    """The files finished from a draft of `report` (drafted without its similar answers),
    then the files `write_copy` renders for it in the same place."""
    drafts = Drafts(outdir / "drafts")
    drafts.draft(replace(report, similar=("drafted before these were known",)), outdir,
                 copy_settings)
    paths = report_paths(outdir, report)[:1 + copy_settings.html]
    assert drafts.finish(report, outdir, copy_settings) == paths[0]
    finished = [path.read_bytes() for path in paths]
    for path in paths:
        path.unlink()
    write_copy(report, outdir, copy_settings)
    drafts.discard()
    return finished, [path.read_bytes() for path in paths]


@pytest.mark.parametrize("similar", AWKWARD, ids=["none", "one", "markup", "sixty"])
def test_a_finished_draft_is_the_copy_rendered_afterwards(
        reports: list[CandidateReport], similar: tuple[str, ...], tmp_path: Path) -> None:
    for report in reports:
        finished, rendered = _drafted_then_rendered(replace(report, similar=similar),
                                                    tmp_path, _settings())
        assert finished == rendered, report.candidate


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(similar=st.lists(st.text(min_size=1, max_size=40), max_size=4).map(tuple),
       html=st.booleans())
def test_a_finished_draft_is_the_rendered_copy_for_any_similar_lines(
        reports: list[CandidateReport], similar: tuple[str, ...], html: bool,
        tmp_path_factory: pytest.TempPathFactory) -> None:
    outdir = tmp_path_factory.mktemp("drafts")
    report = replace(reports[0], similar=similar)

    finished, rendered = _drafted_then_rendered(report, outdir, _settings(html))

    assert finished == rendered


def test_a_draft_whose_report_changed_is_not_used(reports: list[CandidateReport],
                                                  tmp_path: Path) -> None:
    graded = next(r for r in reports if r.questions)
    drafts = Drafts(tmp_path / "drafts")
    for changed in (replace(graded, grading_seconds=graded.grading_seconds + 1),
                    replace(graded, questions=graded.questions[1:]),
                    replace(graded, notes=(*graded.notes, "scored again"))):
        drafts.draft(graded, tmp_path, _settings())
        assert drafts.finish(changed, tmp_path, _settings()) is None
    drafts.draft(graded, tmp_path, _settings())
    assert drafts.finish(graded, tmp_path, replace(_settings(), date="2031-01-01")) is None
    assert not report_paths(tmp_path, graded)[0].exists()


def test_a_draft_tampered_with_is_not_used(reports: list[CandidateReport],
                                           tmp_path: Path) -> None:
    report = reports[0]
    drafts = Drafts(tmp_path / "drafts")
    drafts.draft(report, tmp_path, _settings())
    for draft in (tmp_path / "drafts").iterdir():
        draft.write_text("{}", encoding="utf-8")  # its marks are gone

    assert drafts.finish(report, tmp_path, _settings()) is None
    drafts.discard()
    assert not (tmp_path / "drafts").exists()
