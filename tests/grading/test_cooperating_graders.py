"""Two `workbook grade` processes on one PostgreSQL gradebook split the batch by claims:
nothing is graded twice, and nothing is lost when one of them is killed."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from grading.gradebook import database_url
from tests.grading.conftest import GRADING_BANK
from tests.grading.postgres import Server
from tests.grading.test_grade_command import CLAMP, DEDUPE, submissions
from workbook.model import Bank

pytestmark = pytest.mark.postgres
REPO = Path(__file__).resolve().parents[2]
SLOW_CLAMP = "import time\ntime.sleep(0.5)\n" + CLAMP
COUNT = 12


def _grader(folder: Path, outdir: Path, url: str, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "workbook", "grade", str(folder), "-o",
                             str(outdir), "--gradebook", url, "--jobs", "1", "--no-report",
                             "--bank", str(GRADING_BANK), *extra],
                            cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, start_new_session=True)


def _rows(url: str) -> list[tuple[str, str]]:
    engine = create_engine(database_url(url))
    try:
        with engine.connect() as connection:
            return [(row[0], row[1]) for row in connection.execute(
                text("SELECT content_hash, status FROM submissions"))]
    except Exception:  # tables not created yet
        return []
    finally:
        engine.dispose()


@pytest.fixture
def batch(grading_bank: Bank, tmp_path: Path) -> Path:
    return submissions(grading_bank, tmp_path / "in", {
        f"cand-{i:02d}": {"clamp-value": SLOW_CLAMP, "dedupe-keep-order": DEDUPE}
        for i in range(COUNT)})


def test_two_graders_on_one_gradebook_grade_each_submission_once(
        batch: Path, tmp_path: Path, postgres_server: Server) -> None:
    url = postgres_server.new_database()
    first = _grader(batch, tmp_path / "one", url)
    second = _grader(batch, tmp_path / "two", url)
    outs = [process.communicate(timeout=600) for process in (first, second)]

    assert [first.returncode, second.returncode] == [0, 0], outs
    rows = _rows(url)
    assert len(rows) == len({h for h, _ in rows}) == COUNT
    assert {status for _, status in rows} == {"graded"}
    graded = [int(out.split("graded ")[1].split(" of")[0]) for out, _ in outs]
    assert sum(graded) == COUNT
    for folder in ("one", "two"):  # each run reports the whole batch, whoever graded it
        records = json.loads((tmp_path / folder / "results.json").read_text())
        assert len(records) == COUNT
        assert {r["total"] for r in records} == {8}


def test_a_killed_grader_leaves_nothing_ungraded_and_nothing_graded_twice(
        batch: Path, tmp_path: Path, postgres_server: Server) -> None:
    url = postgres_server.new_database()
    doomed = _grader(batch, tmp_path / "one", url, "--lease", "4")
    survivor = _grader(batch, tmp_path / "two", url, "--lease", "4")
    deadline = time.monotonic() + 300
    while len(_rows(url)) < 3 and doomed.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    os.killpg(doomed.pid, signal.SIGKILL)
    doomed.wait(30)
    killed_at = len(_rows(url))

    _out, err = survivor.communicate(timeout=600)

    assert killed_at < COUNT, "the grader was not killed mid-run"
    assert survivor.returncode == 0, err
    rows = _rows(url)
    assert len(rows) == len({h for h, _ in rows}) == COUNT
    assert {status for _, status in rows} == {"graded"}
    records = json.loads((tmp_path / "two" / "results.json").read_text())
    assert len(records) == COUNT


@pytest.mark.parametrize("gradebook", ["sqlite", "postgresql"])
def test_a_claim_from_another_machine_holds_until_its_lease_ends(
        batch: Path, tmp_path: Path, gradebook: str, request: pytest.FixtureRequest) -> None:
    from datetime import timedelta

    from grading.gradebook import Gradebook
    from grading.submission import NotebookFile, read_notebook

    url = (str(tmp_path / "gradebook.sqlite") if gradebook == "sqlite"
           else request.getfixturevalue("postgres_server").new_database())
    first = read_notebook(sorted(batch.glob("*.ipynb"))[0])
    assert isinstance(first, NotebookFile)
    with Gradebook.open(url) as book:  # a grader elsewhere took one and is still working
        assert book.claim(first.content_hash, "elsewhere:1:x", timedelta(seconds=6))
    started = time.monotonic()

    grader = _grader(batch, tmp_path / "out", url)
    _out, err = grader.communicate(timeout=600)

    assert grader.returncode == 0, err
    assert time.monotonic() - started >= 6, "the live claim was not respected"
    rows = (_rows(url) if gradebook == "postgresql"
            else _sqlite_rows(tmp_path / "gradebook.sqlite"))
    assert len(rows) == len({h for h, _ in rows}) == COUNT


def _sqlite_rows(path: Path) -> list[tuple[str, str]]:
    import sqlite3

    with sqlite3.connect(path) as db:
        return [(row[0], row[1]) for row in db.execute(
            "SELECT content_hash, status FROM submissions")]
