"""results.json and results.csv, from plain results."""

from __future__ import annotations

import csv
import json
import tracemalloc
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from grading.export import ResultsWriter, results_csv, results_json, write_results
from grading.results import (
    CheckResult,
    Event,
    EventKind,
    SubmissionResult,
    SubmissionStatus,
    TaskResult,
)


def task(task_id: str, points: int) -> TaskResult:
    return TaskResult(task_id=task_id, points=points, max_points=2, checks=(
        CheckResult(name="edge", passed=points == 2, points=points, max_points=2,
                    message="" if points == 2 else "expected [], got None"),),
        events=(Event(kind=EventKind.TIMEOUT, detail="took over 10 s", task_id=task_id),)
        if points == 0 else ())


ADA = SubmissionResult(candidate="ada", source="in/ada.ipynb", content_hash="h1",
                       status=SubmissionStatus.GRADED, tasks=(task("q1", 2), task("q2", 0)),
                       events=(Event(kind=EventKind.INTEGRITY, detail="answer restored",
                                     task_id="q2"),), seconds=0.25)
ZED = SubmissionResult(candidate="zed", source="in/zed.ipynb", content_hash="h2",
                       status=SubmissionStatus.REFUSED,
                       events=(Event(kind=EventKind.INTEGRITY, detail="in/zed.ipynb: is empty"),))


def test_results_json_is_a_list_of_candidate_records(tmp_path: Path) -> None:
    write_results([ADA, ZED], tmp_path)

    ada, zed = json.loads((tmp_path / "results.json").read_text())
    assert (ada["candidate"], ada["status"], ada["total"], ada["max"]) == ("ada", "graded", 2, 4)
    assert ada["questions"][1] == {
        "id": "q2", "points": 0, "max": 2, "public_checks": [],
        "checks": [{"name": "edge", "passed": False, "points": 0, "max": 2,
                    "message": "expected [], got None"}],
        "events": [{"kind": "timeout", "question": "q2", "detail": "took over 10 s"}]}
    assert ada["events"] == [{"kind": "integrity", "question": "q2",
                              "detail": "answer restored"}]
    assert (zed["status"], zed["questions"]) == ("refused", [])


def test_results_csv_has_question_columns_and_every_note(tmp_path: Path) -> None:
    rows = list(csv.DictReader(results_csv([ADA, ZED]).splitlines()))

    assert list(rows[0]) == ["candidate", "conflict", "source", "status", "assignment",
                             "total", "max", "seconds",
                             "q1", "q2", "notes"]
    assert (rows[0]["q1"], rows[0]["q2"]) == ("2", "0")
    assert rows[0]["notes"] == "answer restored | took over 10 s"
    assert (rows[1]["q1"], rows[1]["notes"]) == ("", "in/zed.ipynb: is empty")


def test_writing_results_leaves_no_partial_files(tmp_path: Path) -> None:
    write_results([ADA], tmp_path)

    assert sorted(p.name for p in tmp_path.iterdir()) == ["results.csv", "results.json"]


@pytest.mark.parametrize("results", [[], [ADA], [ZED, ADA], [ADA, ZED, ADA]],
                         ids=["none", "one", "two", "a-candidate-twice"])
def test_results_json_written_a_record_at_a_time_is_the_document_at_once(
        tmp_path: Path, results: list[SubmissionResult]) -> None:
    write_results(results, tmp_path)

    assert (tmp_path / "results.json").read_text(encoding="utf-8") == results_json(results)


@st.composite
def batches(draw: st.DrawFn) -> list[SubmissionResult]:
    """Results of one batch: distinct files, some claiming one candidate, each graded on
    its own task set (so results.csv's question columns depend on the order)."""
    count = draw(st.integers(min_value=0, max_value=40))
    names = st.sampled_from(["ada", "ben", "cleo", "dan", "\u00e9ve, \"q\"\n=1+1"])
    questions = st.lists(st.sampled_from(["q1", "q2", "q3", "q4"]), unique=True, max_size=4)
    status = st.sampled_from(list(SubmissionStatus))
    return [SubmissionResult(candidate=draw(names), source=f"in/{i}.ipynb", content_hash=f"h{i}",
                             status=draw(status), seconds=i / 7,
                             tasks=tuple(task(q, draw(st.sampled_from([0, 1, 2])))
                                         for q in draw(questions)))
            for i in range(count)]


@settings(max_examples=60, deadline=None)
@given(batch=batches(), data=st.data())
def test_results_streamed_in_any_order_are_the_files_of_the_whole_batch(
        tmp_path_factory: pytest.TempPathFactory, batch: list[SubmissionResult],
        data: st.DataObject) -> None:
    folder = tmp_path_factory.mktemp("streamed")
    arrival = data.draw(st.permutations(range(len(batch))))

    with ResultsWriter(folder) as writer:
        for position in arrival:
            writer.add(position, batch[position])
        writer.write()

    text = (folder / "results.json").read_text(encoding="utf-8")
    assert len(json.loads(text)) == len(batch)
    assert text == results_json(batch)
    assert (folder / "results.csv").read_bytes().decode("utf-8") == results_csv(batch)
    assert sorted(p.name for p in folder.iterdir()) == ["results.csv", "results.json"]


def test_results_writer_keeps_nothing_in_memory_per_result_it_spools(tmp_path: Path) -> None:
    def result(i: int) -> SubmissionResult:
        return SubmissionResult(candidate=f"candidate-{i}", source=f"returned/{i}.ipynb",
                                content_hash=f"{i:064x}", status=SubmissionStatus.GRADED,
                                tasks=(task("q1", 2), task("q2", i % 3)))

    with ResultsWriter(tmp_path) as writer:
        for i in range(200):  # the first few allocate what every later one reuses
            writer.add(i, result(i))
        tracemalloc.start()
        try:
            before = tracemalloc.get_traced_memory()[0]
            for i in range(200, 2200):
                writer.add(i, result(i))
            grown = tracemalloc.get_traced_memory()[0] - before
        finally:
            tracemalloc.stop()
        writer.write()

    # a candidate and a source alone are over 60 bytes a result; kept, 2,000 of them
    # would be more than 120 kB
    assert grown < 20_000
    assert len(json.loads((tmp_path / "results.json").read_text())) == 2200
