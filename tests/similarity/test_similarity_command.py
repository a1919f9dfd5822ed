"""`workbook similarity OUTDIR` reads the answers a real SQLite gradebook recorded."""

from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path

import pytest

from grading.gradebook import Gradebook
from grading.results import SubmissionResult, SubmissionStatus, TaskResult
from tests.similarity.solutions import DISGUISED, INDEPENDENT, ORIGINAL
from workbook.bank import SHIPPED_BANK, load_bank
from workbook.cli import main

QUESTION = "ds-merge-intervals"
HOSTILE = '<script>alert("x")</script>'


def record(gradebook: Gradebook, candidate: str, answer: str) -> None:
    digest = hashlib.sha256(f"{candidate}\0{answer}".encode()).hexdigest()
    task = TaskResult(task_id=QUESTION, points=0, max_points=10, checks=(), answer=answer)
    gradebook.record_submission(
        SubmissionResult(candidate=candidate, source=f"/nowhere/{digest[:8]}.ipynb",
                         content_hash=digest, status=SubmissionStatus.GRADED, tasks=(task,)),
        workbook_meta={})


@pytest.fixture
def outdir(tmp_path: Path) -> Path:
    starter = load_bank(SHIPPED_BANK).get(QUESTION).starter
    with Gradebook.open(tmp_path / "gradebook.sqlite") as gradebook:
        record(gradebook, "ada", ORIGINAL)
        record(gradebook, HOSTILE, DISGUISED)
        record(gradebook, "=cy", INDEPENDENT)
        record(gradebook, "dee", starter)
        record(gradebook, "eli", starter)
    return tmp_path


def test_the_command_lists_the_copied_pair_and_nothing_else(
        outdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["similarity", str(outdir), "--question", QUESTION]) == 0
    assert f"{QUESTION}: 5 answers, 1 similar pairs, 1 groups" in capsys.readouterr().out
    data = json.loads((outdir / "similarity.json").read_text(encoding="utf-8"))
    assert [(p["left"], p["right"]) for p in data["pairs"]] in (
        [("ada", HOSTILE)], [(HOSTILE, "ada")])
    assert data["questions"][0]["too_small"] == 2


def test_the_page_says_similar_shows_both_sides_and_escapes_names(outdir: Path) -> None:
    assert main(["similarity", str(outdir)]) == 0
    page = (outdir / "similarity.html").read_text(encoding="utf-8")
    assert "similar" in page and "cheat" not in page.lower() and "plagiar" not in page.lower()
    assert HOSTILE not in page and "&lt;script&gt;" in page
    assert page.count('<div class="sbs">') == 1 and "<mark>" in page
    rows = list(csv.reader((outdir / "similarity.csv").open(encoding="utf-8", newline="")))
    assert rows[0] == ["question", "left", "left_kind", "right", "right_kind", "score"]
    assert not any(cell.startswith("=") for row in rows for cell in row)


def test_a_lower_threshold_lists_more_and_a_bad_one_is_one_line(
        outdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["similarity", str(outdir), "--threshold", "1.5"]) == 2
    error = capsys.readouterr().err
    assert "--threshold" in error and "at most 1" in error and error.count("\n") == 1
    assert main(["similarity", str(outdir), "--threshold", "0.01"]) == 0
    data = json.loads((outdir / "similarity.json").read_text(encoding="utf-8"))
    assert data["threshold"] == 0.01 and len(data["pairs"]) >= 1


def test_the_bank_toml_sets_the_threshold_and_a_bad_value_names_the_field(
        outdir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bank = tmp_path / "bank"
    bank.mkdir()
    (bank / f"{QUESTION}.md").write_bytes((SHIPPED_BANK / f"{QUESTION}.md").read_bytes())
    (bank / "bank.toml").write_text('[similarity]\nthreshold = "high"\n', encoding="utf-8")
    assert main(["similarity", str(outdir), "--bank", str(bank)]) == 1
    error = capsys.readouterr().err
    assert "bank.toml: [similarity] threshold must be a number" in error
    (bank / "bank.toml").write_text("[similarity]\nthreshold = 0.99\n", encoding="utf-8")
    assert main(["similarity", str(outdir), "--bank", str(bank)]) == 0
    assert json.loads((outdir / "similarity.json").read_text())["threshold"] == 0.99


def test_a_question_nobody_answered_is_a_one_line_error(
        outdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["similarity", str(outdir), "--question", "no-such-question"]) == 1
    assert "no-such-question" in capsys.readouterr().err


def test_the_cohort_page_gets_the_similarity_section(outdir: Path) -> None:
    from workbook.report.stage import write_reports

    bank = load_bank(SHIPPED_BANK)
    with Gradebook.open(outdir / "gradebook.sqlite") as gradebook:
        files = write_reports(gradebook, bank, outdir, copies=False, date="2030-01-02")
    assert outdir / "similarity.html" in files.cohort
    page = (outdir / "cohort.html").read_text(encoding="utf-8")
    assert '<h2 id="similarity">Similar answers</h2>' in page
    assert 'href="similarity.html#pair-' in page and HOSTILE not in page


def test_each_graded_copy_lists_its_close_matches_and_only_its_own(outdir: Path) -> None:
    from workbook.report.copy_parts import header
    from workbook.report.from_gradebook import load_reports
    from workbook.similarity.stage import write_similarity_files

    bank = load_bank(SHIPPED_BANK)
    with Gradebook.open(outdir / "gradebook.sqlite") as gradebook:
        found = write_similarity_files(gradebook, bank, outdir, title="t")
        reports = {r.candidate: r for r in load_reports(gradebook, bank)}
    ada = found.report.lines_for("ada")
    assert len(ada) == 1 and ada[0].startswith(f"{QUESTION}: similar to {HOSTILE}, score ")
    assert found.report.lines_for("dee") == () and found.report.lines_for("=cy") == ()
    from dataclasses import replace

    shown = header(replace(reports["ada"], similar=ada), date="2030-01-02")[0]
    assert "Similar answers" in str(shown) and "&lt;script&gt;" in str(shown)
    assert HOSTILE not in str(shown.get("data", {}).get("text/html", ""))


def test_a_bad_similarity_table_costs_the_reports_only_their_section(
        outdir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from workbook.report.stage import write_reports

    bank_dir = tmp_path / "bank"
    bank_dir.mkdir()
    (bank_dir / f"{QUESTION}.md").write_bytes((SHIPPED_BANK / f"{QUESTION}.md").read_bytes())
    (bank_dir / "bank.toml").write_text("[similarity]\nthreshold = 7\n", encoding="utf-8")
    with Gradebook.open(outdir / "gradebook.sqlite") as gradebook:
        write_reports(gradebook, load_bank(bank_dir), outdir, copies=False, date="2030-01-02")
    assert "warning: similar answers not computed" in capsys.readouterr().err
    page = (outdir / "cohort.html").read_text(encoding="utf-8")
    assert "Not computed" in page and "threshold must be a number" in page


def test_a_graded_copy_rendered_alone_lists_its_close_matches(outdir: Path) -> None:
    assert main(["report", "ada", "-o", str(outdir), "--date", "2030-01-02"]) == 0
    (page,) = (outdir / "graded").glob("*.html")
    text = page.read_text(encoding="utf-8")
    assert "Similar answers" in text and f"{QUESTION}: similar to &lt;script&gt;" in text
