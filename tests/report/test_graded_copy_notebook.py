"""The graded copy is the papermill template, parameterised, and renders without re-running."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.report.conftest import REPORT_BANK, REPORT_DATE, GradedCohort
from tests.report.copies import copy_notebook
from workbook.cli import main
from workbook.report.graded_copy import TEMPLATE, CopySettings, copy_paths, execute_copy


def _outputs(nb: object) -> list[tuple[str, list[str]]]:
    """Each report cell's part and its outputs' text and HTML (what a reader sees)."""
    return [(c.metadata["workbook"]["part"],
             [o["data"].get("text/plain", "") + o["data"].get("text/html", "")
              for o in c.outputs])
            for c in nb.cells if c.metadata.get("workbook", {}).get("part")]  # type: ignore[attr-defined]


def test_the_template_has_a_cell_tagged_parameters() -> None:
    import nbformat

    template = nbformat.read(TEMPLATE, as_version=4)

    assert [c.id for c in template.cells if "parameters" in c.metadata.get("tags", [])] == [
        "parameters"]


def test_the_copy_carries_papermills_metadata_and_parameters(rendered: GradedCohort) -> None:
    nb = copy_notebook(rendered.outdir, "ben")
    papermill = nb.metadata["papermill"]

    assert papermill["parameters"]["candidate"] == "ben"
    assert papermill["parameters"]["report_date"] == REPORT_DATE
    assert papermill["parameters"]["gradebook"].endswith("gradebook.sqlite")
    assert Path(papermill["parameters"]["bank"]) == REPORT_BANK
    assert papermill["input_path"] == str(TEMPLATE)
    assert "version" in papermill


def test_papermill_injected_the_candidates_values_after_the_parameters_cell(
        rendered: GradedCohort) -> None:
    nb = copy_notebook(rendered.outdir, "ben")
    tags = [c.metadata.get("tags", []) for c in nb.cells]
    injected = nb.cells[tags.index(["injected-parameters"])]

    assert tags.index(["injected-parameters"]) == tags.index(["parameters"]) + 1
    assert "candidate = \"ben\"" in injected.source


def test_the_copy_holds_no_code_cell_with_candidate_code(rendered: GradedCohort) -> None:
    nb = copy_notebook(rendered.outdir, "cleo")
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")

    assert "while True" not in code
    assert "running_total" not in code


def test_workbook_report_rerenders_the_same_copy_from_the_gradebook(
        rendered: GradedCohort, tmp_path: Path) -> None:
    code = main(["report", "ben", "-o", str(tmp_path), "--gradebook",
                 str(rendered.gradebook_path), "--bank", str(REPORT_BANK),
                 "--date", REPORT_DATE])

    assert code == 0
    assert _outputs(copy_notebook(tmp_path, "ben")) == _outputs(
        copy_notebook(rendered.outdir, "ben"))


def test_running_the_template_in_a_kernel_gives_the_same_copy(rendered: GradedCohort,
                                                               tmp_path: Path) -> None:
    from workbook.report.from_gradebook import load_reports

    with rendered.gradebook() as gradebook:
        report = load_reports(gradebook, rendered.bank, candidate="cleo")[0]
        settings = CopySettings(gradebook=gradebook.url, date=REPORT_DATE,
                                bank=str(REPORT_BANK), html=False)
    executed = execute_copy(report, tmp_path, settings)

    import nbformat

    nb = nbformat.read(executed, as_version=4)
    assert nb.metadata["workbook"]["engine"] == "kernel"
    assert _outputs(nb) == _outputs(copy_notebook(rendered.outdir, "cleo"))


def test_an_unknown_candidate_is_one_line_naming_the_known_ones(
        rendered: GradedCohort, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["report", "zed", "-o", str(tmp_path), "--gradebook",
                 str(rendered.gradebook_path), "--bank", str(REPORT_BANK)])

    err = capsys.readouterr().err
    assert code == 1
    assert err.count("\n") == 1
    assert "no submission of candidate 'zed' (candidates: ada, ben, cleo, dora)" in err


def test_a_missing_gradebook_is_an_error_not_a_new_empty_one(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["report", "--cohort", "-o", str(tmp_path)])

    assert code == 1
    assert "no gradebook there" in capsys.readouterr().err
    assert not (tmp_path / "gradebook.sqlite").exists()


def test_file_names_stay_inside_the_graded_folder_and_distinct(tmp_path: Path) -> None:
    odd, plain = copy_paths(tmp_path, "../../etc/passwd")[0], copy_paths(tmp_path, "x")[0]

    assert odd.parent == tmp_path / "graded" == plain.parent
    assert copy_paths(tmp_path, "a/b")[0] != copy_paths(tmp_path, "a_b")[0]

