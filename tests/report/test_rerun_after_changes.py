"""`workbook grade` run again after one change grades and writes again what it changed."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from grading.gradebook import Gradebook
from tests.report.conftest import (
    CORRECT,
    PARTIAL,
    REPORT_BANK,
    answer_cell,
    returned_notebook,
)
from workbook.bank import load_bank
from workbook.report.graded_copy import copy_paths

GRADED = ("ada", "ben")
COHORT_FILES = ("cohort.html", "cohort.csv", "cohort.json", "ats.jsonl", "ats.csv",
                "ats.schema.json")
LEDGER_LINE = {"id": "wb-rerun-1", "questions": ["safe-divide"], "candidate": "fay",
               "details": {"level": "junior", "seed": 0}}


@dataclass(frozen=True)
class Folder:
    """A graded folder of a test's own: returned files, bank, ledger, output."""

    submissions: Path
    bank: Path
    ledger: Path
    outdir: Path

    def grade(self, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
        """`workbook grade` as the README runs it; its exit code and what it printed."""
        from workbook.cli import main

        capsys.readouterr()
        code = main(["grade", str(self.submissions), "-o", str(self.outdir), "--bank",
                     str(self.bank), "--issued", str(self.ledger)])
        out = capsys.readouterr()
        return code, out.out + out.err

    def report_files(self) -> dict[str, int]:
        """Each report file's modification time, by name under the output folder."""
        return {path.relative_to(self.outdir).as_posix(): path.stat().st_mtime_ns
                for path in self.outdir.rglob("*") if path.is_file()
                and not path.name.startswith((".", "gradebook", "results", "similarity"))}

    def copy_of(self, candidate: str) -> set[str]:
        return {path.relative_to(self.outdir).as_posix()
                for path in copy_paths(self.outdir, candidate)}

    def results(self) -> list[str]:
        found = json.loads((self.outdir / "results.json").read_text(encoding="utf-8"))
        return sorted(item["candidate"] for item in found)


@pytest.fixture
def folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Folder:
    """Two candidates' returned workbooks and one cut short, with a bank and a ledger of
    the test's own, graded and reported once by the command."""
    made = Folder(submissions=tmp_path / "returned", bank=tmp_path / "bank",
                  ledger=tmp_path / "issued.jsonl", outdir=tmp_path / "out")
    shutil.copytree(REPORT_BANK, made.bank)
    bank = load_bank(made.bank)
    made.submissions.mkdir()
    for name, answers in (("ada", CORRECT), ("ben", PARTIAL)):
        (made.submissions / f"{name}.ipynb").write_text(
            json.dumps(returned_notebook(bank, answers, name)), encoding="utf-8")
    (made.submissions / "dora.ipynb").write_text('{"cells": [', encoding="utf-8")
    made.ledger.write_text(json.dumps(LEDGER_LINE) + "\n", encoding="utf-8")
    code, out = made.grade(capsys)
    assert code == 1 and "graded 2 of 3" in out  # dora's refusal keeps the status non-zero
    return made


def _rewritten(before: dict[str, int], after: dict[str, int]) -> set[str]:
    return {name for name, stamp in after.items() if before.get(name) != stamp}


def test_an_edited_submission_is_graded_again_and_only_its_copy_and_the_cohort_rewritten(
        folder: Folder, capsys: pytest.CaptureFixture[str]) -> None:
    path = folder.submissions / "ben.ipynb"
    data = json.loads(path.read_text(encoding="utf-8"))
    answer_cell(data, "safe-divide")["source"] = CORRECT["safe-divide"]
    path.write_text(json.dumps(data), encoding="utf-8")
    before = folder.report_files()

    code, out = folder.grade(capsys)

    assert code == 1 and "graded 1 of 3" in out
    assert _rewritten(before, folder.report_files()) == \
        folder.copy_of("ben") | set(COHORT_FILES)


def test_an_added_submission_is_graded_and_gets_a_copy_the_others_keep_theirs(
        folder: Folder, capsys: pytest.CaptureFixture[str]) -> None:
    bank = load_bank(folder.bank)
    # answers like nobody else's: a copy that lists similar answers changes with them
    own = {"running-total": "def running_total(numbers):\n    return []\n",
           "safe-divide": "def safe_divide(a, b):\n    return 0\n"}
    (folder.submissions / "eve.ipynb").write_text(
        json.dumps(returned_notebook(bank, own, "eve")), encoding="utf-8")
    before = folder.report_files()

    code, out = folder.grade(capsys)

    assert code == 1 and "graded 1 of 4" in out
    assert _rewritten(before, folder.report_files()) == \
        folder.copy_of("eve") | set(COHORT_FILES)
    assert folder.results() == ["ada", "ben", "dora", "eve"]


def test_a_removed_submission_leaves_the_results_files_and_the_others_reports_kept(
        folder: Folder, capsys: pytest.CaptureFixture[str]) -> None:
    (folder.submissions / "ben.ipynb").unlink()
    before = folder.report_files()

    code, out = folder.grade(capsys)

    # the gradebook still holds ben's graded submission; his copy is made again from it
    # alone, without the saved outputs and claims his returned file carried
    assert code == 1 and "graded 0 of 2" in out
    assert folder.results() == ["ada", "dora"]
    assert _rewritten(before, folder.report_files()) == \
        folder.copy_of("ben") | set(COHORT_FILES)


def test_a_changed_question_is_shown_in_every_copy_written_again(
        folder: Folder, capsys: pytest.CaptureFixture[str]) -> None:
    question = folder.bank / "safe-divide.md"
    text = question.read_text(encoding="utf-8")
    question.write_text(text.replace('title = "Divide without crashing"',
                                     'title = "Divide, renamed since"'), encoding="utf-8")
    before = folder.report_files()

    code, out = folder.grade(capsys)

    assert code == 1 and "graded 0 of 3" in out
    copies = set().union(*(folder.copy_of(name) for name in GRADED))
    assert _rewritten(before, folder.report_files()) == copies | set(COHORT_FILES)
    for name in GRADED:
        notebook = next(path for path in folder.copy_of(name) if path.endswith(".ipynb"))
        assert "Divide, renamed since" in (folder.outdir / notebook).read_text("utf-8")


def test_a_ledger_grown_by_an_assignment_records_it_and_one_changed_is_refused(
        folder: Folder, capsys: pytest.CaptureFixture[str]) -> None:
    added = {**LEDGER_LINE, "id": "wb-rerun-2", "candidate": "gus"}
    folder.ledger.write_text(json.dumps(LEDGER_LINE) + "\n" + json.dumps(added) + "\n",
                             encoding="utf-8")
    before = folder.report_files()

    code, out = folder.grade(capsys)

    assert code == 1 and "graded 0 of 3" in out
    assert _rewritten(before, folder.report_files()) == set()
    with Gradebook.open(folder.outdir / "gradebook.sqlite") as gradebook:
        assert set(gradebook.assignments(["wb-rerun-1", "wb-rerun-2"])) == \
            {"wb-rerun-1", "wb-rerun-2"}

    folder.ledger.write_text(json.dumps({**LEDGER_LINE, "candidate": "someone else"}) + "\n",
                             encoding="utf-8")
    code, out = folder.grade(capsys)

    assert code == 1
    assert "assignment wb-rerun-1: the ledger differs from what the gradebook" in out


def test_deleted_report_files_are_written_again_with_their_sets_alone(
        folder: Folder, capsys: pytest.CaptureFixture[str]) -> None:
    page = next(path for path in folder.copy_of("ben") if path.endswith(".html"))
    for name in (page, "cohort.csv", "results.json"):
        (folder.outdir / name).unlink()
    before = folder.report_files()

    code, out = folder.grade(capsys)

    assert code == 1 and "graded 0 of 3" in out
    assert _rewritten(before, folder.report_files()) == \
        folder.copy_of("ben") | set(COHORT_FILES)
    assert folder.results() == ["ada", "ben", "dora"]
