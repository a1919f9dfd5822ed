"""results.json and results.csv: a batch's results as files people and scripts can read.

results.json is a list of candidate records (candidate, source file, status, total, max,
seconds, whether the assignment was verified, edited or not verified, the questions with
their points and checks, and the events and integrity notes).
results.csv has one row per submission and one points column per question, each cell
made safe to open in a spreadsheet (`grading.spreadsheet`). Both are
written to a temporary file and renamed, so a reader never sees half a file.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from grading.results import CheckResult, Event, SubmissionResult, TaskResult
from grading.scratch import scratch_database
from grading.spreadsheet import csv_rows, csv_text

RESULTS_JSON = "results.json"
RESULTS_CSV = "results.csv"


def conflicts(results: Sequence[SubmissionResult]) -> dict[str, list[str]]:
    """Candidate -> the files that claim them, for every candidate claimed by several."""
    claimed: dict[str, list[str]] = {}
    for result in results:
        claimed.setdefault(result.candidate, []).append(result.source)
    return {name: files for name, files in claimed.items() if len(files) > 1}


def candidate_record(result: SubmissionResult, *, also: Sequence[str] = ()) -> dict[str, Any]:
    """One submission as plain JSON data; `also`: other files claiming the same candidate."""
    return {
        "candidate": result.candidate,
        "conflict": list(also),
        "source": result.source,
        "status": str(result.status),
        # why it was not graded (refused, failed, error), in one line; "" when graded
        "reason": result.reason,
        "total": result.points,
        "max": result.max_points,
        "seconds": round(result.seconds, 3),
        "content_hash": result.content_hash,
        "assignment": str(result.assignment),
        "assignment_id": result.assignment_id,
        "questions": [_question_record(task) for task in result.tasks],
        "events": [_event_record(event) for event in result.events],
    }


def _question_record(task: TaskResult) -> dict[str, Any]:
    return {
        "id": task.task_id,
        "points": task.points,
        "max": task.max_points,
        "checks": [_check_record(check) for check in task.checks],
        "public_checks": [_check_record(check) for check in task.public_checks],
        "events": [_event_record(event) for event in task.events],
    }


def _check_record(check: CheckResult) -> dict[str, Any]:
    return {"name": check.name, "passed": check.passed, "points": check.points,
            "max": check.max_points, "message": check.message}


def _event_record(event: Event) -> dict[str, Any]:
    return {"kind": str(event.kind), "question": event.task_id, "detail": event.detail}


def results_json(results: Sequence[SubmissionResult]) -> str:
    claimed = conflicts(results)
    return json.dumps([candidate_record(result, also=_others(result, claimed))
                       for result in results], indent=2) + "\n"


def _others(result: SubmissionResult, claimed: dict[str, list[str]]) -> list[str]:
    return [source for source in claimed.get(result.candidate, []) if source != result.source]


def results_csv(results: Sequence[SubmissionResult]) -> str:
    """One row per submission; a column per question (in first-seen order) with its points."""
    claimed = conflicts(results)
    records = [candidate_record(result, also=_others(result, claimed)) for result in results]
    question_ids = list(dict.fromkeys(q["id"] for record in records
                                      for q in record["questions"]))
    return csv_text(CSV_HEADER[:-1] + question_ids + CSV_HEADER[-1:],
                    [_csv_row(record, question_ids) for record in records])


#: results.csv's columns; the questions' point columns go before the last
CSV_HEADER = ["candidate", "conflict", "source", "status", "assignment", "total", "max",
              "seconds", "notes"]


def _csv_row(record: dict[str, Any], question_ids: Sequence[str]) -> list[Any]:
    """A results.csv row from a candidate's results.json record (`candidate_record`)."""
    points = {question["id"]: question["points"] for question in record["questions"]}
    # the reason a submission was not graded comes first: it is what a reader needs
    reason = record["reason"]
    notes = [reason] if reason else []
    notes += [event["detail"] for event in record["events"] if event["detail"] != reason]
    notes += [event["detail"] for question in record["questions"]
              for event in question["events"]]
    others = record["conflict"]
    conflict = f"CONFLICT: also {', '.join(others)}" if others else ""
    return [record["candidate"], conflict, record["source"], record["status"],
            record["assignment"], record["total"], record["max"], f"{record['seconds']:.3f}",
            *(points.get(qid, "") for qid in question_ids), " | ".join(notes)]


def _json_text(record: dict[str, Any], first: bool) -> str:
    """One record as results.json lays it out inside the list."""
    text = json.dumps(record, indent=2)
    # json.dumps escapes every newline inside strings: each "\n" here is layout
    return ("" if first else ",") + "\n  " + text.replace("\n", "\n  ")


def _exact(text: str) -> bytes:
    """`text` as bytes that compare as it does, whatever it holds (a file name that is
    not UTF-8 decodes to lone surrogates, which no SQLite text can hold)."""
    return text.encode("utf-8", errors="surrogatepass")


def _unexact(data: bytes) -> str:
    return data.decode("utf-8", errors="surrogatepass")


def write_results(results: Sequence[SubmissionResult], folder: Path) -> list[Path]:
    """Write results.json and results.csv into `folder`; return their paths."""
    with ResultsWriter(folder) as writer:
        for position, result in enumerate(results):
            writer.add(position, result)
        return writer.write()


class ResultsWriter:
    """results.json and results.csv for a batch whose results arrive one at a time, in
    any order, each with its position in the batch (`grading.batch.ResultSink`).

    Each result is turned into its record and written to a scratch database on disk
    (`grading.scratch`) the moment it arrives, with its candidate and source (two files
    claiming one candidate are a conflict every record names), and let go: nothing per
    submission stays in memory but the questions first seen. `write` then reads the
    records back in batch order, one at a time, into results.json and results.csv, each
    written to a temporary file and renamed, so a reader never sees half a file.
    """

    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.folder = folder
        self._db = scratch_database()
        self._db.execute("CREATE TABLE records (position INTEGER PRIMARY KEY, "
                         "candidate BLOB NOT NULL, source BLOB NOT NULL, record BLOB NOT NULL)")
        self._db.execute("CREATE INDEX by_candidate ON records (candidate, position)")
        self._questions: dict[str, tuple[int, int]] = {}  # first seen at (position, index)

    def __enter__(self) -> ResultsWriter:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._db.close()

    def add(self, position: int, result: SubmissionResult) -> None:
        """Record `result`, the submission at `position` in the batch."""
        record = candidate_record(result)
        data = json.dumps(record).encode("utf-8", errors="backslashreplace")
        self._db.execute("INSERT OR REPLACE INTO records VALUES (?, ?, ?, ?)",
                         (position, _exact(result.candidate), _exact(result.source), data))
        for index, task in enumerate(result.tasks):
            seen = self._questions.get(task.task_id)
            if seen is None or (position, index) < seen:
                self._questions[task.task_id] = (position, index)

    def records(self) -> Iterator[dict[str, Any]]:
        """Every record in batch order, each with the other files that claim its
        candidate."""
        rows = self._db.execute(
            "SELECT position, candidate, record, (SELECT count(*) FROM records AS other "
            "WHERE other.candidate = records.candidate) FROM records ORDER BY position")
        for _position, candidate, data, claims in rows:
            record: dict[str, Any] = json.loads(data)
            if claims > 1:
                others = self._db.execute(
                    "SELECT source FROM records WHERE candidate = ? ORDER BY position, source",
                    (candidate,))
                record["conflict"] = [shown for shown in (_unexact(s) for (s,) in others)
                                      if shown != record["source"]]
            yield record

    def write(self) -> list[Path]:
        """results.json and results.csv from what was added; their paths."""
        question_ids = sorted(self._questions, key=self._questions.__getitem__)
        json_path = self._replace(RESULTS_JSON, self._json_chunks())
        header = CSV_HEADER[:-1] + question_ids + CSV_HEADER[-1:]
        csv_path = self._replace(RESULTS_CSV, self._csv_chunks(header, question_ids))
        return [json_path, csv_path]

    def _json_chunks(self) -> Iterator[str]:
        yield "["
        empty = True
        for record in self.records():
            yield _json_text(record, first=empty)
            empty = False
        yield "]\n" if empty else "\n]\n"

    def _csv_chunks(self, header: list[str], question_ids: Sequence[str]) -> Iterator[str]:
        yield csv_rows([header])
        for record in self.records():
            yield csv_rows([_csv_row(record, question_ids)])

    def _replace(self, name: str, chunks: Iterator[str]) -> Path:
        path = self.folder / name
        partial = path.with_name(f".{name}.partial")
        # results are made storable before they are recorded; this is the last line of
        # defence, so one odd character cannot cost the whole batch its results files
        with partial.open("w", encoding="utf-8", errors="backslashreplace") as out:
            for chunk in chunks:
                out.write(chunk)
        os.replace(partial, path)
        return path
