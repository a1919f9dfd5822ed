"""PRODUCT decision 7: a workbook is graded against what was issued, not what it claims."""

from __future__ import annotations

import csv
import json
import stat
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine, text

from grading.assignment import AssignmentState
from grading.gradebook import Gradebook, database_url
from grading.submission import NotebookFile, read_notebook
from tests.grading.conftest import GRADING_BANK
from tests.grading.notebooks import answer_cell, write
from tests.grading.postgres import Server
from workbook.cli import main
from workbook.issue import resolve
from workbook.model import Bank

CLAMP = "def clamp(value, low, high):\n    if low > high:\n        raise ValueError(low)\n" \
        "    return max(low, min(value, high))\n"
DEDUPE = "def dedupe(items):\n    return list(dict.fromkeys(items))\n"
QUESTIONS = "clamp-value,dedupe-keep-order,logging-levels"


def issue(tmp_path: Path, name: str, *extra: str) -> tuple[dict[str, Any], Path]:
    """`workbook build --for candidate` into the gradebook of `tmp_path/out`, answered."""
    notebook = tmp_path / "issued" / f"{name}.ipynb"
    code = main(["build", "--level", "middle", "--questions", QUESTIONS, "-o", str(notebook),
                 "--gradebook", str(tmp_path / "out" / "gradebook.sqlite"),
                 "--bank", str(GRADING_BANK), *extra])
    assert code == 0
    data: dict[str, Any] = json.loads(notebook.read_text(encoding="utf-8"))
    for cell in data["cells"]:
        cell["source"] = "".join(cell["source"])
    answer_cell(data, "clamp-value")["source"] = CLAMP
    answer_cell(data, "dedupe-keep-order")["source"] = DEDUPE
    return data, notebook


def remove_question(data: dict[str, Any], question_id: str) -> None:
    data["cells"] = [c for c in data["cells"]
                     if c["metadata"].get("workbook", {}).get("question") != question_id]
    data["metadata"]["workbook"]["questions"].remove(question_id)


def grade(tmp_path: Path, *paths: Path) -> dict[str, dict[str, Any]]:
    main(["grade", *map(str, paths), "-o", str(tmp_path / "out"), "--bank",
          str(GRADING_BANK), "--jobs", "1"])
    records = json.loads((tmp_path / "out" / "results.json").read_text(encoding="utf-8"))
    return {Path(r["source"]).name: r for r in records}


def _csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_an_issued_notebook_carries_only_the_assignment_id(tmp_path: Path) -> None:
    data, _ = issue(tmp_path, "ada", "--candidate", "Ada")

    ident = data["metadata"]["workbook"]["assignment"]
    with Gradebook.open(tmp_path / "out" / "gradebook.sqlite") as gradebook:
        found = gradebook.assignment(ident)
    assert found is not None
    assignment, authentic = found
    assert authentic
    assert assignment.tasks == tuple(QUESTIONS.split(","))
    assert assignment.candidate == "Ada"
    assert assignment.details["level"] == "middle"
    assert "signature" not in json.dumps(data)


def test_the_signing_key_sits_beside_the_sqlite_file_readable_by_its_owner_only(
        tmp_path: Path) -> None:
    issue(tmp_path, "ada")

    key = tmp_path / "out" / "gradebook.sqlite.key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert key.read_text().strip() not in (tmp_path / "issued" / "ada.ipynb").read_text()


def test_removing_an_assigned_question_scores_it_zero_and_flags_every_report(
        tmp_path: Path) -> None:
    honest, honest_path = issue(tmp_path, "ben")
    write(honest_path, honest)
    dropped, dropped_path = issue(tmp_path, "cleo")
    remove_question(dropped, "dedupe-keep-order")
    write(dropped_path, dropped)

    records = grade(tmp_path, honest_path, dropped_path)

    ben, cleo = records["ben.ipynb"], records["cleo.ipynb"]
    assert (ben["assignment"], cleo["assignment"]) == ("verified", "edited")
    assert [q["points"] for q in cleo["questions"]] == [ben["questions"][0]["points"], 0]
    assert cleo["total"] < ben["total"] == ben["max"] == cleo["max"]
    assert any("assignment edited" in e["detail"] for e in cleo["events"])
    out = tmp_path / "out"
    flags = {row["candidate"]: row["assignment"] for row in _csv(out / "results.csv")}
    assert flags == {"ben": "verified", "cleo": "edited"}
    assert {r["candidate"]: r["assignment"] for r in _csv(out / "cohort.csv")} == flags
    assert {r["candidate"]: r["assignment"] for r in _csv(out / "ats.csv")} == flags
    copy = next((out / "graded").glob("cleo*.html")).read_text(encoding="utf-8")
    assert "EDITED" in copy
    assert "edited" in (out / "cohort.html").read_text(encoding="utf-8")


def test_a_question_renamed_to_another_scores_the_assigned_one_zero(tmp_path: Path,
                                                                     grading_bank: Bank
                                                                     ) -> None:
    data, path = issue(tmp_path, "dora")
    # the candidate relabels the clamp question's cells and metadata as a copy of dedupe
    for cell in data["cells"]:
        tag = cell["metadata"].get("workbook", {})
        if tag.get("question") == "clamp-value":
            tag["question"] = "dedupe-keep-order"
            cell["id"] = "renamed-" + tag["role"]
    data["metadata"]["workbook"]["questions"] = ["dedupe-keep-order", "logging-levels"]
    write(path, data)

    dora = grade(tmp_path, path)["dora.ipynb"]

    points = {q["id"]: q["points"] for q in dora["questions"]}
    assert points["clamp-value"] == 0
    assert dora["assignment"] == "edited"


def test_a_notebook_no_gradebook_issued_is_graded_from_its_cells_and_marked(
        tmp_path: Path) -> None:
    data, path = issue(tmp_path, "eve")
    data["metadata"]["workbook"]["assignment"] = "wb-" + "0" * 32  # never issued
    write(path, data)

    eve = grade(tmp_path, path)["eve.ipynb"]

    assert eve["assignment"] == "not verified"
    assert eve["total"] == eve["max"] > 0
    assert any("assignment not verified" in e["detail"] for e in eve["events"])


def test_an_assignment_record_changed_after_issue_is_not_trusted(tmp_path: Path) -> None:
    data, path = issue(tmp_path, "finn")
    write(path, data)
    remove_question(data, "dedupe-keep-order")
    write(path, data)
    engine = create_engine(database_url(tmp_path / "out" / "gradebook.sqlite"))
    with engine.begin() as connection:  # someone edits the record to match the notebook
        connection.execute(text("UPDATE assignments SET tasks = :tasks"),
                           {"tasks": json.dumps(["clamp-value", "logging-levels"])})
    engine.dispose()

    finn = grade(tmp_path, path)["finn.ipynb"]

    assert finn["assignment"] == "not verified"
    assert any("fails its signature" in e["detail"] for e in finn["events"])


def test_the_assignment_names_the_candidate_whatever_the_notebook_says(tmp_path: Path
                                                                        ) -> None:
    data, path = issue(tmp_path, "gus", "--candidate", "Gus")
    data["metadata"]["workbook"]["candidate"] = "Somebody Else"
    write(path, data)

    gus = grade(tmp_path, path)["gus.ipynb"]

    assert (gus["candidate"], gus["assignment"]) == ("Gus", "edited")


def test_a_notebook_with_its_own_metadata_stripped_is_graded_with_a_note(tmp_path: Path
                                                                          ) -> None:
    data, path = issue(tmp_path, "hana")
    data["metadata"] = {}
    write(path, data)

    hana = grade(tmp_path, path)["hana.ipynb"]

    assert hana["status"] == "graded"
    assert hana["total"] == hana["max"] > 0
    assert hana["assignment"] == "not verified"
    assert any("was stripped" in e["detail"] for e in hana["events"])


def _notebook(tmp_path: Path, meta: dict[str, Any]) -> NotebookFile:
    data, path = issue(tmp_path, "x")
    data["metadata"]["workbook"] = meta
    notebook = read_notebook(write(path, data))
    assert isinstance(notebook, NotebookFile)
    return notebook


json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.text(),
                           lambda inner: st.lists(inner, max_size=3)
                           | st.dictionaries(st.text(max_size=5), inner, max_size=3),
                           max_leaves=8)


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ident=json_values, questions=json_values, candidate=json_values)
def test_no_claim_a_notebook_makes_is_taken_as_an_issued_assignment(
        tmp_path: Path, ident: Any, questions: Any, candidate: Any) -> None:
    meta = {"assignment": ident, "questions": questions, "candidate": candidate}
    data_path = tmp_path / "issued" / "x.ipynb"
    if not data_path.exists():
        _notebook(tmp_path, {})
    data = json.loads(data_path.read_text(encoding="utf-8"))
    data["metadata"]["workbook"] = meta
    notebook = read_notebook(write(data_path, data))
    assert isinstance(notebook, NotebookFile)
    with Gradebook.open(tmp_path / "out" / "gradebook.sqlite") as gradebook:
        resolved = resolve(notebook, gradebook)

    if not isinstance(resolved, str):
        assert resolved.state is AssignmentState.NOT_VERIFIED


@pytest.mark.postgres
def test_a_server_gradebook_keeps_its_key_in_a_row_and_verifies(postgres_server: Server,
                                                                 tmp_path: Path) -> None:
    url = postgres_server.new_database()
    notebook = tmp_path / "ivan.ipynb"
    assert main(["build", "--level", "middle", "--questions", QUESTIONS, "-o", str(notebook),
                 "--gradebook", url, "--bank", str(GRADING_BANK)]) == 0
    ident = json.loads(notebook.read_text())["metadata"]["workbook"]["assignment"]

    with Gradebook.open(url) as first, Gradebook.open(url) as second:
        found = second.assignment(ident)
        assert found is not None and found[1]
        assert first.assignment(ident) == found


def test_a_ledger_from_one_gradebook_lets_another_verify(tmp_path: Path) -> None:
    ledger = tmp_path / "issued.jsonl"
    data, path = issue(tmp_path / "laptop", "kim", "--ledger", str(ledger))
    write(path, data)

    main(["grade", str(path), "-o", str(tmp_path / "server"), "--bank", str(GRADING_BANK),
          "--jobs", "1", "--issued", str(ledger)])
    (kim,) = json.loads((tmp_path / "server" / "results.json").read_text(encoding="utf-8"))

    assert kim["assignment"] == "verified"


def test_a_damaged_signing_key_is_one_line_naming_its_file(tmp_path: Path) -> None:
    from grading.assignment import Assignment
    from grading.errors import GradebookError

    (tmp_path / "gradebook.sqlite.key").write_text("not hex\n")
    with Gradebook.open(tmp_path / "gradebook.sqlite") as gradebook, \
            pytest.raises(GradebookError, match=r"gradebook\.sqlite\.key: .*damaged"):
        gradebook.issue(Assignment(id="wb-1", tasks=("clamp-value",)))


def test_a_signing_key_path_that_is_a_link_is_not_followed(tmp_path: Path) -> None:
    from grading.assignment import Assignment
    from grading.errors import GradebookError

    elsewhere = tmp_path / "elsewhere.key"
    elsewhere.write_text("ab" * 32 + "\n")
    (tmp_path / "gradebook.sqlite.key").symlink_to(elsewhere)
    with Gradebook.open(tmp_path / "gradebook.sqlite") as gradebook, \
            pytest.raises(GradebookError, match="signing key"):
        gradebook.issue(Assignment(id="wb-1", tasks=("clamp-value",)))


def test_an_edited_notebook_cannot_relabel_its_report(tmp_path: Path) -> None:
    data, path = issue(tmp_path, "lena")
    data["metadata"]["workbook"]["level"] = "senior"
    write(path, data)

    lena = grade(tmp_path, path)["lena.ipynb"]

    assert lena["assignment"] == "edited"
    assert any('level "senior" instead of "middle"' in e["detail"] for e in lena["events"])
    (ats,) = [json.loads(line) for line in
              (tmp_path / "out" / "ats.jsonl").read_text(encoding="utf-8").splitlines()]
    assert ats["workbook"].startswith("middle level")


@pytest.mark.postgres
def test_hostile_claimed_ids_never_reach_a_server_query(postgres_server: Server,
                                                        tmp_path: Path) -> None:
    url = postgres_server.new_database()
    notebook = tmp_path / "mo.ipynb"
    assert main(["build", "--level", "middle", "--questions", QUESTIONS, "-o", str(notebook),
                 "--gradebook", url, "--bank", str(GRADING_BANK)]) == 0
    data = json.loads(notebook.read_text(encoding="utf-8"))
    hostile = ["wb-\x00", "\ud800", "x" * 10_000, "' OR 1=1 --", "wb-\u0664\u0662",
               "wb-" + "0" * 32 + "\n"]
    with Gradebook.open(url) as gradebook:
        for ident in hostile:
            data["metadata"]["workbook"]["assignment"] = ident
            path = tmp_path / "mo-hostile.ipynb"
            path.write_text(json.dumps(data), encoding="utf-8", errors="surrogatepass")
            read = read_notebook(path)
            assert isinstance(read, NotebookFile)
            resolved = resolve(read, gradebook)
            assert not isinstance(resolved, str)
            assert resolved.state is AssignmentState.NOT_VERIFIED, ident


def test_a_ledger_recorded_again_adds_nothing_and_one_changed_since_is_refused(
        tmp_path: Path) -> None:
    from dataclasses import replace

    from grading.assignment import Assignment
    from workbook.errors import NotebookError
    from workbook.issue import record_ledger

    ledger = [Assignment(id=f"wb-{n}", tasks=("clamp-value",), candidate=f"c{n}",
                         details={"level": "middle"}) for n in range(5)]
    with Gradebook.open(tmp_path / "gradebook.sqlite") as gradebook:
        assert record_ledger(gradebook, ledger[:3]) == 3
        assert record_ledger(gradebook, ledger) == 2
        assert record_ledger(gradebook, list(reversed(ledger))) == 0
        assert gradebook.assignments(["wb-4", "wb-9", "wb-0"]) == {
            "wb-4": ledger[4], "wb-0": ledger[0]}
        changed = Assignment(id="wb-2", tasks=("dedupe-keep-order",), candidate="c2",
                             details={"level": "middle"})
        with pytest.raises(NotebookError, match="assignment wb-2: the ledger differs"):
            record_ledger(gradebook, [ledger[0], changed])
        twice = Assignment(id="wb-7", tasks=("clamp-value",))
        with pytest.raises(NotebookError, match="assignment wb-7: the ledger differs"):
            record_ledger(gradebook, [twice, replace(twice, tasks=("dedupe-keep-order",))])
