"""`workbook grade --scheduler`: grading on a real (local) Dask distributed cluster."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.grading.test_grade_command import cohort, grade, points, records

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
