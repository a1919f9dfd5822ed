"""`workbook grade` end to end: real kernels, a real gradebook file, results files, resuming."""

from __future__ import annotations

import csv
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from grading.gradebook import Gradebook
from tests.grading.conftest import GRADING_BANK
from tests.grading.notebooks import answer_cell, workbook_json, write
from tests.grading.postgres import Server
from workbook.cli import main
from workbook.model import Bank

REPO = Path(__file__).resolve().parents[2]
CLAMP = "def clamp(value, low, high):\n    if low > high:\n        raise ValueError(low)\n" \
        "    return max(low, min(value, high))\n"
CLAMP_NO_CHECK = "def clamp(value, low, high):\n    return max(low, min(value, high))\n"
DEDUPE = "def dedupe(items):\n    return list(dict.fromkeys(items))\n"
DEDUPE_SORTED = "def dedupe(items):\n    return sorted(set(items))\n"


def submissions(bank: Bank, folder: Path, answers: dict[str, dict[str, str]]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for stem, code in answers.items():
        write(folder / f"{stem}.ipynb", workbook_json(bank, list(bank.questions), answers=code))
    return folder


def grade(*argv: str | Path) -> int:
    return main(["grade", *map(str, argv), "--bank", str(GRADING_BANK)])


def records(outdir: Path) -> dict[str, dict[str, Any]]:
    data = json.loads((outdir / "results.json").read_text())
    return {record["candidate"]: record for record in data}


def points(record: dict[str, Any]) -> dict[str, int]:
    return {q["id"]: q["points"] for q in record["questions"]}


@pytest.fixture
def cohort(grading_bank: Bank, tmp_path: Path) -> Path:
    return submissions(grading_bank, tmp_path / "in", {
        "ada": {"clamp-value": CLAMP, "dedupe-keep-order": DEDUPE},
        "ben": {"clamp-value": CLAMP_NO_CHECK, "dedupe-keep-order": DEDUPE},
        "cleo": {"clamp-value": CLAMP_NO_CHECK, "dedupe-keep-order": DEDUPE_SORTED},
    })


def test_correct_partial_and_wrong_answers_score_as_expected(cohort: Path,
                                                             tmp_path: Path) -> None:
    assert grade(cohort, "-o", tmp_path / "out", "--jobs", "2") == 0

    graded = records(tmp_path / "out")
    assert points(graded["ada"]) == {"clamp-value": 4, "dedupe-keep-order": 4}
    assert points(graded["ben"]) == {"clamp-value": 2, "dedupe-keep-order": 4}
    assert points(graded["cleo"]) == {"clamp-value": 2, "dedupe-keep-order": 2}
    assert [(r["total"], r["max"]) for r in graded.values()] == [(8, 8), (6, 8), (4, 8)]


def test_results_json_names_each_check_with_its_verdict(cohort: Path, tmp_path: Path) -> None:
    grade(cohort, "-o", tmp_path / "out")

    ben = records(tmp_path / "out")["ben"]
    clamp = next(q for q in ben["questions"] if q["id"] == "clamp-value")
    verdicts = {check["name"]: check["passed"] for check in clamp["checks"]}
    assert verdicts == {"below-low": True, "above-high": True, "rejects-inverted-range": False}
    assert ben["source"].endswith("ben.ipynb")
    assert ben["status"] == "graded"


def test_results_csv_has_a_row_per_submission_and_a_column_per_question(
        cohort: Path, tmp_path: Path) -> None:
    grade(cohort, "-o", tmp_path / "out")

    with (tmp_path / "out" / "results.csv").open() as handle:
        rows = {row["candidate"]: row for row in csv.DictReader(handle)}
    assert rows["cleo"]["total"] == "4"
    assert rows["cleo"]["clamp-value"] == "2"
    assert rows["cleo"]["dedupe-keep-order"] == "2"


def test_a_second_run_grades_nothing_and_says_what_it_skipped(
        cohort: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    grade(cohort, "-o", tmp_path / "out")
    capsys.readouterr()

    assert grade(cohort, "-o", tmp_path / "out") == 0

    out = capsys.readouterr().out
    assert "graded 0 of 3 submissions" in out
    assert "3 already in the gradebook, skipped" in out
    assert set(records(tmp_path / "out")) == {"ada", "ben", "cleo"}


def test_force_grades_everything_again(cohort: Path, tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    grade(cohort, "-o", tmp_path / "out")
    capsys.readouterr()

    grade(cohort, "-o", tmp_path / "out", "--force")

    assert "graded 3 of 3 submissions" in capsys.readouterr().out


def test_a_changed_file_is_graded_again(grading_bank: Bank, cohort: Path,
                                        tmp_path: Path) -> None:
    grade(cohort, "-o", tmp_path / "out")
    data = workbook_json(grading_bank, list(grading_bank.questions),
                         answers={"clamp-value": CLAMP, "dedupe-keep-order": DEDUPE})
    write(cohort / "cleo.ipynb", data)

    grade(cohort, "-o", tmp_path / "out")

    assert records(tmp_path / "out")["cleo"]["total"] == 8


def test_a_refused_file_does_not_stop_the_batch_and_makes_the_exit_code_nonzero(
        cohort: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (cohort / "zed.ipynb").write_text('{"cells": [')

    assert grade(cohort, "-o", tmp_path / "out") == 1

    graded = records(tmp_path / "out")
    assert graded["zed"]["status"] == "refused"
    assert graded["ada"]["total"] == 8
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1] == ("error: 1 of 4 submissions not graded (1 refused, 0 failed, 0 errors; "
                       "failed ones and errors are retried on the next run)")
    assert any("zed.ipynb: is not valid JSON" in line for line in err)


def test_deleted_answer_cell_scores_the_starter_and_keeps_the_other_points(
        grading_bank: Bank, tmp_path: Path) -> None:
    data = workbook_json(grading_bank, list(grading_bank.questions),
                         answers={"clamp-value": CLAMP, "dedupe-keep-order": DEDUPE})
    data["cells"].remove(answer_cell(data, "clamp-value"))
    write((tmp_path / "in").mkdir() or tmp_path / "in" / "dan.ipynb", data)

    grade(tmp_path / "in", "-o", tmp_path / "out")

    dan = records(tmp_path / "out")["dan"]
    assert points(dan) == {"clamp-value": 0, "dedupe-keep-order": 4}
    assert any("restored the starter" in e["detail"] for e in dan["events"])


def test_a_gradebook_url_elsewhere_is_used_instead_of_the_default(
        cohort: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "shared" / "team.sqlite"

    grade(cohort, "-o", tmp_path / "out", "--gradebook", elsewhere)

    assert elsewhere.is_file()
    assert not (tmp_path / "out" / "gradebook.sqlite").exists()


def test_a_missing_input_is_one_line_naming_it(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    assert grade(tmp_path / "nowhere", "-o", tmp_path / "out") == 1

    assert capsys.readouterr().err == f"error: {tmp_path / 'nowhere'}: no such file or folder\n"


def test_a_folder_without_notebooks_is_one_line(tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "in").mkdir()

    assert grade(tmp_path / "in", "-o", tmp_path / "out") == 1

    assert "no notebooks (*.ipynb)" in capsys.readouterr().err


@pytest.mark.parametrize("flag", [["--jobs", "0"], ["--jobs", "many"], ["--timeout", "-1"]])
def test_bad_numbers_are_usage_errors(tmp_path: Path, flag: list[str],
                                      capsys: pytest.CaptureFixture[str]) -> None:
    assert grade(tmp_path, "-o", tmp_path / "out", *flag) == 2

    assert capsys.readouterr().err.count("\n") == 1


# -- a killed batch ------------------------------------------------------------------------

SLOW_CLAMP = "import time\ntime.sleep(0.6)\n" + CLAMP


def _recorded(gradebook: Path) -> list[str]:
    if not gradebook.exists():
        return []
    try:
        with sqlite3.connect(gradebook, timeout=5) as db:
            return [row[0] for row in db.execute("SELECT content_hash FROM submissions")]
    except sqlite3.OperationalError:  # tables not created yet
        return []


def _grade_command(folder: Path, outdir: Path) -> list[str]:
    return [sys.executable, "-m", "workbook", "grade", str(folder), "-o", str(outdir),
            "--jobs", "1", "--bank", str(GRADING_BANK)]


def test_a_killed_batch_resumes_without_grading_anything_twice(grading_bank: Bank,
                                                                tmp_path: Path) -> None:
    count = 8
    folder = submissions(grading_bank, tmp_path / "in", {
        f"cand-{i}": {"clamp-value": SLOW_CLAMP, "dedupe-keep-order": DEDUPE}
        for i in range(count)})
    outdir = tmp_path / "out"
    gradebook = outdir / "gradebook.sqlite"
    batch = subprocess.Popen(_grade_command(folder, outdir), cwd=REPO,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             start_new_session=True)
    deadline = time.monotonic() + 120
    while len(_recorded(gradebook)) < 2 and batch.poll() is None \
            and time.monotonic() < deadline:
        time.sleep(0.05)
    os.killpg(batch.pid, signal.SIGKILL)
    batch.wait(30)
    before = _recorded(gradebook)
    assert 2 <= len(before) < count, "the batch was not killed mid-run"

    second = subprocess.run(_grade_command(folder, outdir), cwd=REPO, capture_output=True,
                            text=True, timeout=300, check=False)

    assert second.returncode == 0, second.stderr
    assert f"graded {count - len(before)} of {count} submissions" in second.stdout
    assert f"{len(before)} already in the gradebook, skipped" in second.stdout
    after = _recorded(gradebook)
    assert len(after) == len(set(after)) == count
    assert {r["total"] for r in json.loads((outdir / "results.json").read_text())} == {8}


@pytest.mark.postgres
def test_grading_into_a_postgresql_gradebook_and_again_skips_what_it_holds(
        cohort: Path, tmp_path: Path, postgres_server: Server,
        capsys: pytest.CaptureFixture[str]) -> None:
    url = postgres_server.new_database()

    assert grade(cohort, "-o", tmp_path / "out", "--gradebook", url) == 0

    book = Gradebook.open(url)
    totals = {r.candidate: r.points for r in book.results()}
    book.close()
    assert totals == {"ada": 8, "ben": 6, "cleo": 4}
    capsys.readouterr()
    # the rerun reads the server through psycopg's pooled connection (grading/gradebook)
    assert grade(cohort, "-o", tmp_path / "out", "--gradebook", url) == 0
    assert "graded 0 of 3 submissions" in capsys.readouterr().out
    assert {name: record["total"] for name, record in records(tmp_path / "out").items()} \
        == totals


def test_an_output_folder_inside_the_input_folder_is_not_graded(
        cohort: Path, capsys: pytest.CaptureFixture[str]) -> None:
    outdir = cohort / "out"
    (outdir / "graded").mkdir(parents=True)
    (outdir / "graded" / "ada-graded.ipynb").write_text("{}")

    assert grade(cohort, "-o", outdir) == 0

    assert "graded 3 of 3 submissions" in capsys.readouterr().out


def _zygotes_of_this_process() -> dict[int, str]:
    """This process's zygote children, by pid (a fixture's grader may hold one of its own)."""
    mine = {}
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(line.split(":\t", 1) for line in
                          status.read_text().splitlines() if ":\t" in line)
            command = (status.parent / "cmdline").read_bytes().replace(b"\0", b" ")
        except OSError:
            continue  # gone meanwhile
        if fields.get("PPid", "").strip() == str(os.getpid()) and b"zygote" in command:
            mine[int(status.parent.name)] = command.decode(errors="replace")
    return mine


def test_a_first_run_that_grades_nothing_leaves_no_kernel_zygote_running(
        tmp_path: Path) -> None:
    # a first run launches the zygote before it knows whether anything needs a kernel
    inbox = tmp_path / "in"
    inbox.mkdir()
    write(inbox / "plain.ipynb", {"cells": [], "metadata": {}, "nbformat": 4,
                                  "nbformat_minor": 5})
    before = _zygotes_of_this_process()
    assert grade(inbox, "-o", tmp_path / "out", "--no-report") == 1
    assert json.loads((tmp_path / "out" / "results.json").read_text())[0]["status"] \
        == "refused"
    left = {pid: command for pid, command in _zygotes_of_this_process().items()
            if pid not in before}
    assert left == {}
