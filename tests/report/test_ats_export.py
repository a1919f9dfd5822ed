"""ATS exports: one record per candidate, valid against the documented schema, and a flat CSV."""

from __future__ import annotations

import csv
import json
from typing import Any

from tests.report.conftest import REPORT_DATE, GradedCohort
from workbook.report.ats import ATS_SCHEMA, SCHEMA_ID
from workbook.report.naming import report_stem


def _records(cohort: GradedCohort) -> list[dict[str, Any]]:
    lines = (cohort.outdir / "ats.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines]


def test_there_is_one_record_per_candidate_each_valid_against_the_schema(
        rendered: GradedCohort) -> None:
    import jsonschema

    records = _records(rendered)

    assert [r["candidate"] for r in records] == ["ada", "ben", "cleo", "dora"]
    for record in records:
        jsonschema.validate(record, ATS_SCHEMA)


def test_the_schema_file_beside_the_records_is_the_documented_one(
        rendered: GradedCohort) -> None:
    written = json.loads((rendered.outdir / "ats.schema.json").read_text(encoding="utf-8"))

    assert written == ATS_SCHEMA
    assert written["properties"]["schema"] == {"const": SCHEMA_ID}


def test_a_record_carries_totals_competencies_and_each_question(
        rendered: GradedCohort) -> None:
    ben = next(r for r in _records(rendered) if r["candidate"] == "ben")

    assert (ben["rank"], ben["points"], ben["max_points"], ben["percent"]) == (2, 4, 7, 57.14)
    assert ben["report_date"] == REPORT_DATE
    assert ben["questions"]["safe-divide"] == {"title": "Divide without crashing",
                                               "kind": "coding", "points": 1,
                                               "max_points": 3, "passed": False}
    assert ben["questions"]["mutable-default"]["points"] is None
    assert ben["competencies"]["code_quality"] == 33.33
    assert ben["graded_copy"] == f"graded/{report_stem('ben')}.html"


def _cell(value: Any) -> str:
    return "" if value is None else str(value)


def test_the_flat_csv_holds_the_same_values_as_the_records(rendered: GradedCohort) -> None:
    with (rendered.outdir / "ats.csv").open(encoding="utf-8") as handle:
        rows = {row["candidate"]: row for row in csv.DictReader(handle)}

    for record in _records(rendered):
        row = rows[record["candidate"]]
        answer = record["questions"].get("safe-divide", {})
        assert row["percent"] == _cell(record["percent"])
        assert row["rank"] == _cell(record["rank"])
        assert row["question.safe-divide.points"] == _cell(answer.get("points"))
        assert row["question.safe-divide.passed"] == _cell(answer.get("passed"))
        assert row["competency.fundamentals"] == _cell(record["competencies"]["fundamentals"])
