"""Exports for applicant tracking systems: one JSON record per candidate, and a flat CSV.

Files (in the report folder):

- `ats.jsonl`: one record per line, one line per candidate, in ranking order.
- `ats.csv`: the same records flattened, one row per candidate.
- `ats.schema.json`: the JSON Schema below, so an importer can validate what it reads.

Record schema, version 1 (`"schema": "interview-workbook/ats-candidate/1"`). Fields are
only ever added within a version; renaming or removing one means a new version.

| field | type | meaning |
|---|---|---|
| schema | string | the schema id and version, as above |
| candidate | string | candidate id (`metadata.workbook.candidate`, else the file stem) |
| status | string | `graded`, `refused` (nothing gradable), `failed` or `error` (both retried) |
| assignment | string | `verified`, `edited` (differs from what was issued), `not verified` |
| conflict | string | empty, or the other files that claim this candidate (resolve by hand) |
| rank | integer or null | 1 = best percentage; null unless graded |
| workbook | string | level and bank version of the workbook sat |
| report_date | string | YYYY-MM-DD the export was made |
| content_hash | string | SHA-256 of the submitted file |
| points, max_points | number | total earned, out of the points that were scored |
| percent | number | 100 * points / max_points (0 when nothing was scored) |
| weighted_percent | number or null | competency scorecard, weighted as the bank says |
| competencies | object | competency id -> percent (number) or null without evidence |
| questions | object | question id -> {title, kind, points (null: not scored), max_points, passed} |
| integrity_notes | integer | number of integrity notes and events (timeouts, restored cells, ...) |
| graded_copy | string or null | graded copy's HTML, relative to the report folder |

CSV columns (every text cell made safe to open in a spreadsheet, `grading.spreadsheet`):
the scalar fields above, then `competency.<id>`, then `question.<id>.points`
and `question.<id>.passed` for every question any candidate sat.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from grading.assignment import AssignmentState
from grading.spreadsheet import csv_rows
from workbook.model import COMPETENCIES
from workbook.report.cohort import Cohort, RankedCandidate, is_passed
from workbook.report.cohort_ranking import conflict_text

SCHEMA_ID = "interview-workbook/ats-candidate/1"
JSONL, CSV, SCHEMA_FILE = "ats.jsonl", "ats.csv", "ats.schema.json"
SCALAR_FIELDS = ("candidate", "status", "assignment", "conflict", "rank", "workbook", "report_date",
                 "content_hash", "points", "max_points", "percent", "weighted_percent",
                 "integrity_notes", "graded_copy")

_NUMBER_OR_NULL = {"type": ["number", "null"]}
ATS_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "interview-workbook candidate record for applicant tracking systems",
    "type": "object",
    "required": ["schema", *SCALAR_FIELDS, "competencies", "questions"],
    "properties": {
        "schema": {"const": SCHEMA_ID},
        "candidate": {"type": "string", "minLength": 1},
        "status": {"enum": ["graded", "refused", "failed", "error"]},
        "assignment": {"enum": [str(state) for state in AssignmentState]},
        "conflict": {"type": "string"},
        "rank": {"type": ["integer", "null"], "minimum": 1},
        "workbook": {"type": "string"},
        "report_date": {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$"},
        "content_hash": {"type": "string"},
        "points": {"type": "number", "minimum": 0},
        "max_points": {"type": "number", "minimum": 0},
        "percent": {"type": "number", "minimum": 0, "maximum": 100},
        "weighted_percent": _NUMBER_OR_NULL,
        "competencies": {"type": "object", "additionalProperties": _NUMBER_OR_NULL,
                         "required": list(COMPETENCIES)},
        "questions": {"type": "object", "additionalProperties": {
            "type": "object", "required": ["title", "kind", "points", "max_points", "passed"],
            "properties": {"title": {"type": "string"},
                           "kind": {"enum": ["coding", "discussion"]},
                           "points": _NUMBER_OR_NULL, "max_points": {"type": "number"},
                           "passed": {"type": "boolean"}}}},
        "integrity_notes": {"type": "integer", "minimum": 0},
        "graded_copy": {"type": ["string", "null"]},
    },
}


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def ats_record(ranked: RankedCandidate, *, report_date: str,
               graded_copy: str | None) -> dict[str, Any]:
    """The ATS record of one candidate (see the module docstring for the schema)."""
    report = ranked.report
    notes = len(report.events) + sum(len(q.events) for q in report.questions)
    return {
        "schema": SCHEMA_ID, "candidate": report.candidate, "status": str(report.status),
        "assignment": str(report.assignment), "conflict": conflict_text(report),
        "rank": ranked.rank, "workbook": report.workbook, "report_date": report_date,
        "content_hash": report.content_hash, "points": _rounded(report.points),
        "max_points": _rounded(report.max_points), "percent": _rounded(report.percent),
        "weighted_percent": _rounded(report.weighted_percent),
        "competencies": {c.competency: _rounded(c.percent) for c in report.competencies},
        "questions": {q.question_id: {"title": q.title, "kind": q.kind,
                                      "points": _rounded(q.points),
                                      "max_points": _rounded(q.max_points),
                                      "passed": is_passed(q)}
                      for q in report.questions},
        "integrity_notes": notes, "graded_copy": graded_copy,
    }


def flat_row(record: dict[str, Any], question_ids: Sequence[str]) -> dict[str, Any]:
    row = {name: record[name] for name in SCALAR_FIELDS}
    for competency, percent in record["competencies"].items():
        row[f"competency.{competency}"] = percent
    for question_id in question_ids:
        answer = record["questions"].get(question_id)
        row[f"question.{question_id}.points"] = answer["points"] if answer else None
        row[f"question.{question_id}.passed"] = answer["passed"] if answer else None
    return row


def write_ats(cohort: Cohort, outdir: Path, *, report_date: str,
              copies: Mapping[tuple[str, str], str] | None = None) -> list[Path]:
    """Write ats.jsonl, ats.csv and ats.schema.json; `copies` maps a report's `key` to its
    copy's path. Each file reads the ranking once as it streams past."""
    copies = copies or {}
    question_ids = cohort.overview.question_ids
    outdir.mkdir(parents=True, exist_ok=True)
    jsonl, flat, schema = outdir / JSONL, outdir / CSV, outdir / SCHEMA_FILE

    def records() -> Iterator[dict[str, Any]]:
        return (ats_record(c, report_date=report_date, graded_copy=copies.get(c.report.key))
                for c in cohort.candidates)

    with jsonl.open("w", encoding="utf-8") as out:
        for record in records():
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    header = [*SCALAR_FIELDS, *(f"competency.{c}" for c in COMPETENCIES),
              *(f"question.{q}.{f}" for q in question_ids for f in ("points", "passed"))]
    with flat.open("w", encoding="utf-8", newline="") as out:
        out.write(csv_rows([header]))
        for record in records():
            row = flat_row(record, question_ids)
            out.write(csv_rows([[row.get(name) for name in header]]))
    schema.write_text(json.dumps(ATS_SCHEMA, indent=2) + "\n", encoding="utf-8")
    return [jsonl, flat, schema]
