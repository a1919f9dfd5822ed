"""`workbook grade` on a folder graded already: nothing rewritten, no heavy import; and a
new notebook in it graded and recorded without SQLAlchemy."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from grading.gradebook import Gradebook
from tests.report.conftest import PARTIAL, REPORT_BANK, GradedCohort, returned_notebook
from workbook.cli import main

REPO = Path(__file__).resolve().parents[2]
#: what only rendering, grading or writing the gradebook needs; a rerun with nothing to do
#: imports none of them
HEAVY = ("sqlalchemy", "nbformat", "nbconvert", "papermill", "matplotlib", "jinja2", "pandas",
         "jsonschema", "nbclient", "jupyter_client", "tqdm")


def _files(outdir: Path) -> dict[str, int]:
    """Every report file's modification time (results files and the gradebook aside)."""
    skip = {"results.json", "results.csv"}
    return {path.relative_to(outdir).as_posix(): path.stat().st_mtime_ns
            for path in outdir.rglob("*") if path.is_file()
            and not path.name.startswith("gradebook") and path.name not in skip
            and not path.name.startswith(".")}


def test_a_rerun_on_a_graded_folder_rewrites_no_report_and_imports_no_renderer(
        graded_cohort: GradedCohort, tmp_path: Path) -> None:
    outdir = tmp_path / "out"
    outdir.mkdir()
    for item in graded_cohort.outdir.iterdir():
        if item.is_file() and item.name.startswith("gradebook"):
            shutil.copy2(item, outdir / item.name)
    command = ["grade", str(graded_cohort.submissions), "-o", str(outdir),
               "--bank", str(REPORT_BANK)]
    assert main(command) == 1  # the one refused notebook keeps the exit status non-zero
    before = _files(outdir)
    script = ("import json, sys\nfrom workbook.cli import main\n"
              f"code = main({command!r})\n"
              "print(json.dumps([code, sorted({m.split('.')[0] for m in sys.modules})]))\n")

    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          check=True, cwd=REPO)

    code, modules = json.loads(done.stdout.strip().splitlines()[-1])
    assert code == 1 and "already in the gradebook" in done.stdout
    assert sorted(set(HEAVY) & set(modules)) == []
    assert len(before) > 10 and _files(outdir) == before


def test_grading_a_new_notebook_into_a_migrated_gradebook_never_imports_sqlalchemy(
        graded_cohort: GradedCohort, tmp_path: Path) -> None:
    outdir, submissions = tmp_path / "out", tmp_path / "returned"
    outdir.mkdir()
    shutil.copytree(graded_cohort.submissions, submissions)
    for item in graded_cohort.outdir.iterdir():
        if item.is_file() and item.name.startswith("gradebook"):
            shutil.copy2(item, outdir / item.name)
    eve = returned_notebook(graded_cohort.bank, PARTIAL, "eve")
    (submissions / "eve.ipynb").write_text(json.dumps(eve), encoding="utf-8")
    command = ["grade", str(submissions), "-o", str(outdir), "--bank", str(REPORT_BANK),
               "--no-report"]
    script = ("import json, sys\nfrom workbook.cli import main\n"
              f"code = main({command!r})\n"
              "print(json.dumps([code, 'sqlalchemy' in sys.modules]))\n")

    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          check=True, cwd=REPO)

    code, imported = json.loads(done.stdout.strip().splitlines()[-1])
    assert (code, imported) == (1, False)  # dora's refusal still counts
    with Gradebook.open(outdir / "gradebook.sqlite") as book:
        [graded] = book.results("eve")
    assert graded.status == "graded" and 0 < graded.points < graded.max_points
