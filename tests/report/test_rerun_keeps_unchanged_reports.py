"""A rerun writes again only the report files whose inputs changed, or that were touched."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.report.conftest import REPORT_DATE, SESSION, GradedCohort
from workbook.live.store import open_live, set_field
from workbook.report.graded_copy import copy_paths
from workbook.report.naming import GRADED_DIR
from workbook.report.stage import write_reports
from workbook.report.unchanged import MANIFEST

CANDIDATES = ("ada", "ben", "cleo")


def _render(cohort: GradedCohort, outdir: Path, date: str = REPORT_DATE) -> None:
    with open_live(str(outdir / "gradebook.sqlite")) as gradebook:
        write_reports(gradebook, cohort.bank, outdir, date=date, progress=False)


def _times(outdir: Path) -> dict[str, int]:
    """Modification time of every report file (copies and cohort files) by name."""
    files = [*sorted((outdir / GRADED_DIR).glob("*.*")),
             *(outdir / name for name in ("cohort.html", "cohort.csv", "cohort.json",
                                          "ats.jsonl", "ats.csv"))]
    return {path.relative_to(outdir).as_posix(): path.stat().st_mtime_ns for path in files
            if path.name != MANIFEST}


def _rewritten(before: dict[str, int], after: dict[str, int]) -> set[str]:
    return {name for name, time in after.items() if before.get(name) != time}


@pytest.fixture
def outdir(rendered: GradedCohort, tmp_path: Path) -> Path:
    """A graded folder of our own (its gradebook is changed by some tests), rendered once."""
    out = tmp_path / "out"
    out.mkdir()
    for item in rendered.outdir.iterdir():
        if item.is_file() and item.name.startswith("gradebook"):
            shutil.copy2(item, out / item.name)
    _render(rendered, out)
    return out


def _copy_files(outdir: Path, candidate: str) -> set[str]:
    return {p.relative_to(outdir).as_posix() for p in copy_paths(outdir, candidate)}


def test_a_rerun_with_nothing_changed_rewrites_no_report_file(
        rendered: GradedCohort, outdir: Path) -> None:
    before = _times(outdir)

    _render(rendered, outdir)

    assert len(before) >= 2 * len(CANDIDATES) + 5
    assert _rewritten(before, _times(outdir)) == set()


def test_a_rerun_rewrites_the_copy_whose_report_changed_and_the_cohort_files(
        rendered: GradedCohort, outdir: Path) -> None:
    before = _times(outdir)
    with open_live(str(outdir / "gradebook.sqlite")) as gradebook:
        set_field(gradebook, session=SESSION, candidate="ben", question="mutable-default",
                  field="score", value=2)

    _render(rendered, outdir)

    rewritten = _rewritten(before, _times(outdir))
    assert _copy_files(outdir, "ben") <= rewritten
    assert not (_copy_files(outdir, "ada") | _copy_files(outdir, "cleo")) & rewritten
    assert {"cohort.html", "cohort.csv", "ats.jsonl"} <= rewritten


@pytest.mark.parametrize("damage", ["delete", "truncate", "edit"])
@pytest.mark.parametrize("which", [0, 1])
def test_a_copy_file_changed_or_removed_since_is_written_again(
        rendered: GradedCohort, outdir: Path, damage: str, which: int) -> None:
    target = copy_paths(outdir, "cleo")[which]
    good = target.read_bytes()
    if damage == "delete":
        target.unlink()
    elif damage == "truncate":
        target.write_bytes(good[:100])
    else:
        target.write_bytes(good.replace(b"cleo", b"CLEO"))

    _render(rendered, outdir)

    assert target.read_bytes() == good


def test_a_new_report_date_rewrites_every_copy(rendered: GradedCohort, outdir: Path) -> None:
    before = _times(outdir)

    _render(rendered, outdir, date="2030-01-03")

    rewritten = _rewritten(before, _times(outdir))
    assert set().union(*(_copy_files(outdir, c) for c in CANDIDATES)) <= rewritten
    assert "2030-01-03" in copy_paths(outdir, "ada")[1].read_text(encoding="utf-8")


@pytest.mark.parametrize("manifest", ["", "{not json", "[]", '{"cohort": 1}', "\x00" * 10])
def test_an_unreadable_manifest_means_every_file_is_written_again(
        rendered: GradedCohort, outdir: Path, manifest: str) -> None:
    before = _times(outdir)
    for folder in (outdir, outdir / GRADED_DIR):
        (folder / MANIFEST).write_text(manifest, encoding="utf-8")

    _render(rendered, outdir)

    assert _rewritten(before, _times(outdir)) == set(before)
