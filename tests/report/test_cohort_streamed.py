"""The cohort as the report stage reads it: ranked on disk, every candidate exactly once.

The report stage keeps each candidate's summary in a SQLite file and ranks them there
(`cohort_spool`), so the cohort files never hold the cohort. These tests fail if that
loses, duplicates or misranks a candidate, or if its statistics drift from the in-memory
cohort's or from a plain recomputation over every candidate.
"""

from __future__ import annotations

import csv
import json
import statistics
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from grading.gradebook import Gradebook
from grading.results import CheckResult, SubmissionResult, SubmissionStatus, TaskResult
from tests.report.generated_cohort import generated_reports
from workbook.model import Bank
from workbook.report.cohort import cohort_report
from workbook.report.cohort_spool import CohortSpool
from workbook.report.records import CandidateReport
from workbook.report.stage import write_reports

# names that collide, differ only past ASCII, carry a lone surrogate or sort oddly as bytes
NAMES = st.text(st.characters(exclude_categories=("Cc", "Cs")), min_size=1,
                max_size=6) | st.sampled_from(["a", "A", "é", "e\u0301", "\udcff", "z", "~"])


@st.composite
def cohorts(draw: st.DrawFn) -> list[CandidateReport]:
    names = draw(st.lists(NAMES, max_size=40))
    seed = draw(st.integers(0, 2**16))
    return list(generated_reports(len(names), seed=seed, name=lambda i: names[i]))


def _spooled(reports: list[CandidateReport]) -> CohortSpool:
    spool = CohortSpool()
    for report in reports:
        spool.add(report, None)
    return spool


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cohorts())
def test_the_ranking_read_from_disk_is_the_ranking_held_in_memory(
        reports: list[CandidateReport]) -> None:
    with _spooled(reports) as spool:
        streamed = list(spool.ranked())
        assert streamed == list(cohort_report(reports).candidates)
        assert spool.overview == cohort_report(reports).overview


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cohorts(), cohorts())
def test_a_small_cohorts_ranking_kept_in_memory_is_the_one_on_disk(
        reports: list[CandidateReport], more: list[CandidateReport]) -> None:
    """A cohort up to KEPT_IN_MEMORY keeps its ranking once read whole; reading it
    again, or after more candidates are added, gives what a cohort too large to keep
    reads from disk every time."""
    import workbook.report.cohort_spool as cohort_spool

    with _spooled(reports) as kept, _spooled(reports) as unkept:
        unkept_limit = cohort_spool.KEPT_IN_MEMORY
        cohort_spool.KEPT_IN_MEMORY = -1
        try:
            from_disk = list(unkept.ranked())
            assert list(unkept.ranked()) == from_disk
        finally:
            cohort_spool.KEPT_IN_MEMORY = unkept_limit
        assert list(kept.ranked()) == from_disk
        assert list(kept.ranked()) == from_disk  # the second read, from memory
        partly = kept.ranked()
        next(partly, None)  # a read stopped early keeps nothing wrong
        for report in more:
            kept.add(report, None)
        assert list(kept.ranked()) == list(cohort_report(reports + more).candidates)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cohorts())
def test_every_candidate_is_ranked_once_by_percentage_with_statistics_over_all_of_them(
        reports: list[CandidateReport]) -> None:
    with _spooled(reports) as spool:
        ranked = list(spool.ranked())
        overview = spool.overview
    assert Counter(r.report.key for r in ranked) == Counter(r.key for r in reports)
    graded = [r for r in ranked if r.rank is not None]
    assert [r.rank for r in graded] == list(range(1, len(graded) + 1))
    assert all(r.report.status is SubmissionStatus.GRADED for r in graded)
    assert all(r.rank is None for r in ranked[len(graded):]), "ungraded come after"
    percents = [r.report.percent for r in graded]
    assert percents == sorted(percents, reverse=True)
    # the aggregates, recomputed the plain way over every graded candidate
    every = [r.percent for r in reports if r.status is SubmissionStatus.GRADED]
    assert overview.counts == dict(Counter(r.status for r in reports))
    assert sum(overview.histogram) == len(every)
    if every:
        assert overview.mean_percent == statistics.fmean(every)
        assert overview.median_percent == statistics.median(every)
    for question in overview.questions:
        points = [q.points for r in reports if r.status is SubmissionStatus.GRADED
                  for q in r.questions if q.question_id == question.question_id
                  and q.points is not None]
        assert question.scored == len(points)
        assert question.mean_points == (statistics.fmean(points) if points else None)


def _results(bank: Bank, count: int) -> list[SubmissionResult]:
    """`count` recorded results over the bank's coding questions, points varied so
    that many tie, now and then a refusal."""
    coding = [q for q in bank.questions if q.is_coding][:3]
    results = []
    for i in range(count):
        if i % 11 == 5:
            results.append(SubmissionResult(candidate=f"cand-{i:03d}",
                                            source=f"/nowhere/cand-{i:03d}.ipynb",
                                            content_hash=f"{i:064x}",
                                            status=SubmissionStatus.REFUSED))
            continue
        tasks = []
        for j, question in enumerate(coding):
            passed = (i * 7 + j * 3) % 5 < 3
            tasks.append(TaskResult(task_id=question.id, points=2 if passed else 0,
                                    max_points=2, checks=(CheckResult(
                                        name="hidden-0", passed=passed,
                                        points=2 if passed else 0, max_points=2),)))
        results.append(SubmissionResult(candidate=f"cand-{i:03d}",
                                        source=f"/nowhere/cand-{i:03d}.ipynb",
                                        content_hash=f"{i:064x}",
                                        status=SubmissionStatus.GRADED, tasks=tuple(tasks)))
    return results


def test_cohort_files_from_a_sqlite_gradebook_list_each_candidate_once_in_rank_order(
        report_bank: Bank, tmp_path: Path) -> None:
    results = _results(report_bank, 57)
    with Gradebook.open(tmp_path / "gradebook.sqlite") as gradebook:
        for result in results:
            gradebook.record_submission(result, workbook_meta={})
        write_reports(gradebook, report_bank, tmp_path / "out", copies=False,
                      progress=False, date="2030-01-02")
    expected = {r.candidate: r for r in results}
    graded = sorted((r for r in results if r.status is SubmissionStatus.GRADED),
                    key=lambda r: (-r.points, r.candidate))

    with (tmp_path / "out" / "cohort.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert sorted(row["candidate"] for row in rows) == sorted(expected)
    ranked = [row for row in rows if row["rank"]]
    assert [row["candidate"] for row in ranked] == [r.candidate for r in graded]
    assert [int(row["rank"]) for row in ranked] == list(range(1, len(graded) + 1))
    for row in rows:
        assert float(row["points"]) == expected[row["candidate"]].points

    data = json.loads((tmp_path / "out" / "cohort.json").read_text(encoding="utf-8"))
    assert [c["candidate"] for c in data["candidates"]] == [row["candidate"] for row in rows]
    records = [json.loads(line) for line in
               (tmp_path / "out" / "ats.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [(r["candidate"], r["rank"]) for r in records] == \
        [(row["candidate"], int(row["rank"]) if row["rank"] else None) for row in rows]
    page = (tmp_path / "out" / "cohort.html").read_text(encoding="utf-8")
    assert f"{len(results)} candidates: {len(graded)} graded" in page


@pytest.mark.parametrize("count", [0, 1])
def test_a_cohort_of_none_or_one_is_written_whole(report_bank: Bank, tmp_path: Path,
                                                  count: int) -> None:
    with Gradebook.open(tmp_path / "gradebook.sqlite") as gradebook:
        for result in _results(report_bank, count):
            gradebook.record_submission(result, workbook_meta={})
        write_reports(gradebook, report_bank, tmp_path / "out", copies=False,
                      progress=False, date="2030-01-02")
    data = json.loads((tmp_path / "out" / "cohort.json").read_text(encoding="utf-8"))
    assert [c["rank"] for c in data["candidates"]] == list(range(1, count + 1))
