"""`workbook grade --scheduler`: grading on a real (local) Dask distributed cluster."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.grading.test_grade_command import cohort, grade, points, records
from workbook.model import Bank

__all__ = ["cohort"]  # the fixture, shared with the local-grading tests

distributed = pytest.importorskip("distributed", reason="Dask distributed is not installed")


@pytest.fixture(scope="module")
def scheduler() -> Iterator[str]:
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=True,
                                  dashboard_address=None) as cluster:
        yield cluster.scheduler_address


def test_a_cluster_grades_exactly_as_local_kernels_do(cohort: Path, tmp_path: Path,
                                                      scheduler: str) -> None:
    assert grade(cohort, "-o", tmp_path / "cluster", "--scheduler", scheduler,
                 "--no-report") == 0
    assert grade(cohort, "-o", tmp_path / "local", "--jobs", "2", "--no-report") == 0

    on_cluster, local = records(tmp_path / "cluster"), records(tmp_path / "local")
    assert {name: points(r) for name, r in on_cluster.items()} == {
        name: points(r) for name, r in local.items()}
    assert points(on_cluster["ben"]) == {"clamp-value": 2, "dedupe-keep-order": 4}


def test_an_unreachable_scheduler_fails_the_batch_with_a_reason_and_keeps_it_retryable(
        cohort: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # the exit code counts the submissions not graded: all three of the cohort
    assert grade(cohort, "-o", tmp_path / "out", "--scheduler", "tcp://127.0.0.1:9",
                 "--no-report") == 3
    assert "failed" in capsys.readouterr().err
    assert {r["status"] for r in records(tmp_path / "out").values()} == {"failed"}


def test_a_worker_keeps_a_bounded_set_of_graders_and_closes_one_only_once_unused(
        grading_bank: Bank) -> None:
    from grading.config import GradingConfig
    from grading.distributed import WorkerGraders
    from grading.errors import GradingError
    from grading.tasks import Answer
    from workbook.tasks import tasks_for

    clamp, dedupe = (tuple(tasks_for([grading_bank.get(q)]))
                     for q in ("clamp-value", "dedupe-keep-order"))
    answers = [Answer(task_id="clamp-value", code=grading_bank.get("clamp-value").reference)]
    config = GradingConfig(timeout=10)
    graders = WorkerGraders(limit=1)
    try:
        with graders.use(clamp, config) as first:
            with graders.use(dedupe, config):
                assert len(graders) == 1  # the clamp grader is retired...
            # ...yet still grades the submission that holds it
            assert sum(result.points for result in first.grade(answers)) == 4
        with pytest.raises(GradingError, match="not open"):  # closed with its last user
            first.grade(answers)
        with graders.use(clamp, config) as again:
            assert again is not first
            assert sum(result.points for result in again.grade(answers)) == 4
    finally:
        graders.close()
