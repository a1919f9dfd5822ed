"""The cohort report's numbers are the gradebook's numbers, and the page scales."""

from __future__ import annotations

import csv
import json
import re
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Any

from grading.results import SubmissionStatus
from tests.report.conftest import REPORT_BANK, GradedCohort
from workbook.live.store import read_fields
from workbook.report.cohort import cohort_report
from workbook.report.cohort_page import cohort_html
from workbook.report.from_gradebook import load_reports
from workbook.report.naming import report_stem


def _cohort_json(cohort: GradedCohort) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((cohort.outdir / "cohort.json").read_text("utf-8"))
    return data


def _ranking(cohort: GradedCohort) -> list[dict[str, str]]:
    with (cohort.outdir / "cohort.csv").open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_grading_wrote_copies_and_the_cohort_report_by_default(
        graded_cohort: GradedCohort) -> None:
    written = {p.name for p in (graded_cohort.outdir / "graded").iterdir()}

    assert {f"{report_stem(c)}{suffix}" for c in ("ada", "cleo", "dora")
            for suffix in (".ipynb", ".html")} <= written
    assert (graded_cohort.outdir / "cohort.html").exists()
    assert (graded_cohort.outdir / "ats.jsonl").exists()


def test_totals_are_the_gradebooks_check_points_plus_interview_points(
        rendered: GradedCohort) -> None:
    with rendered.gradebook() as gradebook:
        checks = {r.candidate: r.points for r in gradebook.results()}
        scores = [s for s in read_fields(gradebook) if s.field == "score"]
    interview = Counter({s.candidate: 4 * s.value / 4 for s in scores})  # 4-point question
    rows = {row["candidate"]: row for row in _ranking(rendered)}

    for candidate, points in checks.items():
        assert float(rows[candidate]["points"]) == points + interview[candidate], candidate


def test_candidates_are_ranked_by_percentage_and_refusals_come_last(
        rendered: GradedCohort) -> None:
    rows = _ranking(rendered)

    assert [(r["rank"], r["candidate"], r["status"]) for r in rows] == [
        ("1", "ada", "graded"), ("2", "ben", "graded"), ("3", "cleo", "graded"),
        ("", "dora", "refused")]
    assert [r["percent"] for r in rows[:3]] == ["90.91", "57.14", "42.86"]


def test_per_competency_columns_match_each_graded_copy(rendered: GradedCohort) -> None:
    ada = next(r for r in _ranking(rendered) if r["candidate"] == "ada")

    assert ada["fundamentals_percent"] == "87.5"
    assert ada["communication_percent"] == "75.0"
    assert ada["domain_percent"] == ""


def test_pass_rates_count_answers_that_passed_every_hidden_check(
        rendered: GradedCohort) -> None:
    with rendered.gradebook() as gradebook:
        graded = [r for r in gradebook.results() if r.status is SubmissionStatus.GRADED]
    stats = {q["question"]: q for q in _cohort_json(rendered)["questions"]}

    for task_id in ("running-total", "safe-divide"):
        tasks = [t for r in graded for t in r.tasks if t.task_id == task_id]
        full = sum(1 for t in tasks if t.points == t.max_points)
        assert stats[task_id]["pass_rate"] == full / len(tasks)
        assert stats[task_id]["distribution"] == [
            {"points": float(p), "candidates": n}
            for p, n in sorted(Counter(t.points for t in tasks).items())]


def test_check_failure_counts_match_the_gradebooks_check_results(
        rendered: GradedCohort) -> None:
    with rendered.gradebook() as gradebook:
        graded = [r for r in gradebook.results() if r.status is SubmissionStatus.GRADED]
    failures = Counter((t.task_id, c.name) for r in graded for t in r.tasks
                       for c in (*t.checks, *t.public_checks) if not c.passed)
    reported = {(c["question"], c["check"]): c for c in _cohort_json(rendered)["checks"]}

    assert {key: c["failures"] for key, c in reported.items() if c["failures"]} == failures
    assert all(c["attempts"] == len(graded) for c in reported.values())


def test_a_check_only_the_bottom_third_fails_discriminates_fully(
        rendered: GradedCohort) -> None:
    checks = {(c["question"], c["check"]): c for c in _cohort_json(rendered)["checks"]}

    # ada (top third) passes adds-up, cleo (bottom third) times out on it
    assert checks[("running-total", "adds-up")]["discrimination"] == 1.0
    # everyone passes divides: it tells no one apart
    assert checks[("safe-divide", "divides")]["discrimination"] == 0.0


def test_the_discussion_question_is_passed_only_with_a_rubric_score_of_three_or_more(
        rendered: GradedCohort) -> None:
    stats = {q["question"]: q for q in _cohort_json(rendered)["questions"]}

    assert stats["mutable-default"]["scored"] == 1
    assert stats["mutable-default"]["passed"] == 1


def test_the_page_links_each_candidate_to_their_graded_copy(rendered: GradedCohort) -> None:
    page = (rendered.outdir / "cohort.html").read_text(encoding="utf-8")

    for candidate in ("ada", "ben", "cleo", "dora"):
        assert f'<a href="graded/{report_stem(candidate)}.html">{candidate}</a>' in page
        assert (rendered.outdir / "graded" / f"{report_stem(candidate)}.html").exists()


def test_a_thousand_candidates_make_one_page_holding_every_row(rendered: GradedCohort) -> None:
    with rendered.gradebook() as gradebook:
        real = load_reports(gradebook, rendered.bank)
    many = [replace(real[i % len(real)], candidate=f"candidate-{i:04d}") for i in range(1000)]

    page = cohort_html(cohort_report(many), title="big", report_date="2030-01-02", copies={})

    data = json.loads(page.split('id="ranking-data">')[1].split("</script>")[0])
    assert sorted(row[1] for row in data["rows"]) == [f"candidate-{i:04d}" for i in range(1000)]
    assert sum(1 for row in data["rows"] if row[2] == "refused") == 250  # dora's, cloned
    first_page = page.split("<tbody>")[1].split("</tbody>")[0]
    assert first_page.count("<tr>") == 50
    assert [row[1] for row in data["rows"][:50]] == re.findall(
        r'<td class="name">(candidate-\d+)</td>', first_page)
    assert len(page.encode()) < 2_000_000


def test_candidate_names_are_escaped_on_the_page(rendered: GradedCohort,
                                                 tmp_path: Path) -> None:
    with rendered.gradebook() as gradebook:
        real = load_reports(gradebook, rendered.bank, candidate="ben")
    odd = replace(real[0], candidate="<script>alert(1)</script>")

    page = cohort_html(cohort_report([odd]), title="t", report_date="2030-01-02", copies={})

    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_grade_with_no_report_writes_results_but_no_copies(
        graded_cohort: GradedCohort, tmp_path: Path) -> None:
    from workbook.cli import main

    code = main(["grade", str(graded_cohort.submissions / "ben.ipynb"), "-o", str(tmp_path),
                 "--no-report", "--bank", str(REPORT_BANK)])

    assert code == 0
    assert (tmp_path / "results.json").exists()
    assert not (tmp_path / "graded").exists()
    assert not (tmp_path / "cohort.html").exists()


def test_the_cohort_made_from_summaries_is_the_cohort_made_from_full_reports(
        rendered: GradedCohort, tmp_path: Path) -> None:
    from workbook.report.ats import write_ats
    from workbook.report.cohort_page import write_cohort
    from workbook.report.stage import for_cohort

    with rendered.gradebook() as gradebook:
        full = load_reports(gradebook, rendered.bank)
    assert any(q.answer for r in full for q in r.questions)  # something to drop
    summaries = [for_cohort(report) for report in full]
    assert not any(q.answer or q.answer_outputs for r in summaries for q in r.questions)

    made = {}
    for name, reports in (("full", full), ("summaries", summaries)):
        cohort = cohort_report(reports)
        files = [*write_cohort(cohort, tmp_path / name, title="t", report_date="2030-01-02"),
                 *write_ats(cohort, tmp_path / name, report_date="2030-01-02")]
        made[name] = {path.name: path.read_bytes() for path in files}
    assert made["summaries"] == made["full"]
