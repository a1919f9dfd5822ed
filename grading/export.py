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
from grading.spreadsheet import csv_text

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
    question_ids = list(dict.fromkeys(task.task_id for r in results for task in r.tasks))
    rows = []
    claimed = conflicts(results)
    for result in results:
        points = {task.task_id: task.points for task in result.tasks}
        others = _others(result, claimed)
        # the reason a submission was not graded comes first: it is what a reader needs
        notes = [result.reason] if result.reason else []
        notes += [event.detail for event in result.events if event.detail != result.reason]
        notes += [event.detail for task in result.tasks for event in task.events]
        conflict = f"CONFLICT: also {', '.join(others)}" if others else ""
        rows.append([result.candidate, conflict, result.source, str(result.status),
                     str(result.assignment), result.points, result.max_points,
                     f"{result.seconds:.3f}",
                     *(points.get(qid, "") for qid in question_ids), " | ".join(notes)])
    return csv_text(["candidate", "conflict", "source", "status", "assignment", "total", "max",
                     "seconds", *question_ids, "notes"], rows)


def _json_chunks(results: Sequence[SubmissionResult]) -> Iterator[str]:
    """results.json as `results_json` writes it, one candidate's record at a time: the
    batch's records never exist all at once, as dicts or as one string."""
    claimed = conflicts(results)
    yield "["
    for i, result in enumerate(results):
        record = json.dumps(candidate_record(result, also=_others(result, claimed)), indent=2)
        # json.dumps escapes every newline inside strings: each "\n" here is layout
        yield ("," if i else "") + "\n  " + record.replace("\n", "\n  ")
    yield "\n]\n" if results else "]\n"


def write_results(results: Sequence[SubmissionResult], folder: Path) -> list[Path]:
    """Write results.json and results.csv into `folder`; return their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, chunks in ((RESULTS_JSON, _json_chunks(results)),
                         (RESULTS_CSV, iter([results_csv(results)]))):
        path = folder / name
        partial = path.with_name(f".{name}.partial")
        # results are made storable before they are recorded; this is the last line of
        # defence, so one odd character cannot cost the whole batch its results files
        with partial.open("w", encoding="utf-8", errors="backslashreplace") as out:
            for chunk in chunks:
                out.write(chunk)
        os.replace(partial, path)
        written.append(path)
    return written
