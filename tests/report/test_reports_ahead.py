"""The reports `workbook grade` writes through its worker process are those written after
grading without it; a worker that dies costs time, not reports."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
from pathlib import Path

from tests.report.conftest import GradedCohort
from workbook.report.ahead import ReportsAhead
from workbook.report.stage import write_reports

CANDIDATES = ("ada", "ben", "cleo", "dora")


def _fresh(rendered: GradedCohort, outdir: Path) -> str:
    """`outdir` holding a copy of the cohort's gradebook and nothing else; its address."""
    shutil.rmtree(outdir, ignore_errors=True)
    outdir.mkdir()
    for item in rendered.outdir.iterdir():
        if item.is_file() and item.name.startswith("gradebook"):
            shutil.copy2(item, outdir / item.name)
    return str(outdir / "gradebook.sqlite")


def _contents(outdir: Path) -> dict[str, object]:
    """Every report file's content, less the id papermill draws at random for the cell it
    injects (a new one in every process) in the copies' notebooks and pages."""
    found: dict[str, object] = {}
    for path in sorted(outdir.rglob("*")):
        name = path.relative_to(outdir).as_posix()
        if not path.is_file() or name.startswith("gradebook") or path.name.startswith("."):
            continue
        if path.suffix == ".ipynb":
            nb = json.loads(path.read_text(encoding="utf-8"))
            for cell in nb["cells"]:
                if "injected-parameters" in cell["metadata"].get("tags", []):
                    cell["id"] = "injected"
            found[name] = nb
        elif path.suffix == ".html":
            found[name] = re.sub(r'cell-id=[0-9a-f]+(" class="[^"]*celltag_injected-param)',
                                 r"cell-id=injected\1", path.read_text(encoding="utf-8"))
        else:
            found[name] = path.read_bytes()
    return found


def _ahead(rendered: GradedCohort, outdir: Path, *, kill: bool = False) -> None:
    from workbook.report.from_gradebook import open_gradebook

    address = _fresh(rendered, outdir)
    ahead = ReportsAhead(address, rendered.bank, outdir)
    try:
        for candidate in CANDIDATES:
            ahead.recorded(candidate)
        if kill:
            assert ahead.pid is not None
            os.kill(ahead.pid, signal.SIGKILL)
        with open_gradebook(address) as gradebook:  # used only if the worker cannot
            ahead.finish(gradebook, rendered.bank, outdir, progress=False)
    finally:
        ahead.close()


def _serial(rendered: GradedCohort, outdir: Path) -> dict[str, object]:
    from workbook.report.from_gradebook import open_gradebook

    with open_gradebook(_fresh(rendered, outdir)) as gradebook:
        write_reports(gradebook, rendered.bank, outdir, progress=False)
    return _contents(outdir)


def test_the_workers_reports_are_those_written_after_grading(
        rendered: GradedCohort, tmp_path: Path) -> None:
    outdir = tmp_path / "out"  # one folder for both: its path is in every copy
    written_after = _serial(rendered, outdir)

    _ahead(rendered, outdir)

    made = _contents(outdir)
    assert sorted(made) == sorted(written_after)
    assert [n for n in made if n.startswith("graded/") and n.endswith(".html")]
    assert made == written_after
    assert not list((outdir / "graded").glob(".drafts*")), "drafts are removed"


def test_a_worker_killed_mid_batch_leaves_the_reports_to_the_grading_process(
        rendered: GradedCohort, tmp_path: Path) -> None:
    outdir = tmp_path / "out"
    written_after = _serial(rendered, outdir)

    _ahead(rendered, outdir, kill=True)

    assert _contents(outdir) == written_after
    assert not list((outdir / "graded").glob(".drafts*")), "drafts are removed"



def test_the_grading_process_leaves_the_report_stack_to_the_worker(
        graded_cohort: GradedCohort, tmp_path: Path) -> None:
    """Its threads judge every kernel message: importing the report modules there (80 ms
    of CPU holding the GIL) slowed grading; the worker imports them. The reports are
    still all written."""
    import subprocess
    import sys

    from tests.report.conftest import REPORT_BANK

    outdir = tmp_path / "out"
    command = ["grade", str(graded_cohort.submissions), "-o", str(outdir),
               "--bank", str(REPORT_BANK)]
    script = ("import json, sys\nfrom workbook.cli import main\n"
              f"code = main({command!r})\n"
              "print(json.dumps([code, sorted(m for m in sys.modules\n"
              "                  if m.startswith(('workbook.report.', 'workbook.similarity.',\n"
              "                                   'nbconvert', 'papermill', 'matplotlib')))]))\n")

    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          check=True, cwd=Path(__file__).resolve().parents[2])

    code, modules = json.loads(done.stdout.strip().splitlines()[-1])
    assert code == 1  # dora's refusal
    assert modules == ["workbook.report.ahead", "workbook.report.naming"]
    assert (outdir / "cohort.html").is_file()
    assert len(list((outdir / "graded").glob("*.html"))) == len(CANDIDATES)


def _workers() -> list[int]:
    """This process's children that are report workers."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            command = (entry / "cmdline").read_bytes()
        except (OSError, IndexError, ValueError):
            continue  # gone meanwhile
        if parent == os.getpid() and b"workbook.report.ahead" in command:
            found.append(int(entry.name))
    return found


def test_a_prestarted_worker_is_the_one_that_writes_the_reports(
        rendered: GradedCohort, tmp_path: Path) -> None:
    from workbook.report.ahead import discard_prestarted, prestart

    outdir = tmp_path / "out"
    written_after = _serial(rendered, outdir)
    address = _fresh(rendered, outdir)
    prestart()
    [launched] = _workers()
    ahead = ReportsAhead(address, rendered.bank, outdir)
    try:
        assert ahead.pid == launched
        discard_prestarted()  # nothing left to discard: the worker was taken
        assert ahead.pid in _workers()
        for candidate in CANDIDATES:
            ahead.recorded(candidate)
        from workbook.report.from_gradebook import open_gradebook

        with open_gradebook(address) as gradebook:
            ahead.finish(gradebook, rendered.bank, outdir, progress=False)
    finally:
        ahead.close()
    assert _contents(outdir) == written_after
    assert _workers() == []


def test_a_run_that_stops_before_grading_leaves_no_worker_behind(
        rendered: GradedCohort, tmp_path: Path) -> None:
    import pytest

    from workbook.errors import NotebookError
    from workbook.grade import grade_submissions

    empty = tmp_path / "returned"
    empty.mkdir()  # a first run (no gradebook yet) launches a worker, then finds nothing
    with pytest.raises(NotebookError, match="no notebooks"):
        grade_submissions(rendered.bank, [empty], outdir=tmp_path / "out")
    assert _workers() == []
