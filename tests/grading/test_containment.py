"""A hostile file among honest ones: every submission is accounted for, the honest ones keep
their exact scores, the results files and reports are written, the exit code counts what
was not graded, and a rerun retries only the submissions that ended in error.

Generated batches (Hypothesis) cover the shapes nobody listed: JSON of any shape, sizes and
nesting, bytes that are not text, file names that are not UTF-8 or are long, candidate ids
of any type and content; each example is one real `workbook grade` run with real kernels.
"""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from grading.batch import Prepared, grade_batch
from grading.config import GradingConfig
from grading.gradebook import Gradebook
from grading.results import SubmissionStatus
from grading.submission import NotebookFile, Refusal
from tests.grading.conftest import GRADING_BANK
from tests.grading.notebooks import Kept, workbook_json, write
from workbook.bank import load_bank
from workbook.cli import main
from workbook.grade import preparer
from workbook.model import Bank

CLAMP = "def clamp(value, low, high):\n    if low > high:\n        raise ValueError(low)\n" \
        "    return max(low, min(value, high))\n"
CLAMP_NO_CHECK = "def clamp(value, low, high):\n    return max(low, min(value, high))\n"
DEDUPE = "def dedupe(items):\n    return list(dict.fromkeys(items))\n"
#: honest candidates and the totals they score on their own
HONEST = {"ada": ({"clamp-value": CLAMP, "dedupe-keep-order": DEDUPE}, 8),
          "ben": ({"clamp-value": CLAMP_NO_CHECK, "dedupe-keep-order": DEDUPE}, 6)}


def honest_batch(bank: Bank, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, (answers, _total) in HONEST.items():
        write(folder / f"{name}.ipynb", workbook_json(bank, list(bank.questions),
                                                      answers=answers, candidate=name))


def grade(folder: Path, outdir: Path, *extra: str) -> int:
    return main(["grade", str(folder), "-o", str(outdir), "--bank", str(GRADING_BANK),
                 "--jobs", "2", *extra])


def records(outdir: Path) -> list[dict[str, Any]]:
    loaded: list[dict[str, Any]] = json.loads((outdir / "results.json").read_text())
    return loaded


def assert_accounted_for(outdir: Path, files: int, code: int) -> list[dict[str, Any]]:
    """Every file has one record, the honest ones their exact totals, every other one a
    one-line reason; results.csv has a row each; the exit code counts what was not graded."""
    found = records(outdir)
    assert len(found) == files
    by_source = {Path(record["source"]).name: record for record in found}
    for name, (_answers, total) in HONEST.items():
        record = by_source[f"{name}.ipynb"]
        assert (record["status"], record["total"]) == ("graded", total), record
    not_graded = [r for r in found if r["status"] != "graded"]
    for record in not_graded:
        assert record["status"] in ("refused", "error"), record
        assert record["reason"] and "\n" not in record["reason"], record
    rows = list(csv.reader(io.StringIO((outdir / "results.csv").read_text())))
    assert len(rows) == files + 1
    assert code == len(not_graded)
    return found


# -- generated hostile files -------------------------------------------------------------------
json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False),
              st.text(max_size=12)),
    lambda inner: st.one_of(st.lists(inner, max_size=4),
                            st.dictionaries(st.text(max_size=6), inner, max_size=4)),
    max_leaves=15)
odd_text = st.one_of(
    st.text(max_size=30),
    st.lists(st.one_of(st.text(max_size=4), st.integers(0xD800, 0xDFFF).map(chr),
                       st.sampled_from(["\x00", "\n", "=cmd()", "../", "\u202e"])),
             max_size=8).map("".join),
    st.integers(1_000, 300_000).map(lambda n: "c" * n))


def _nested(depth: int) -> Any:
    return json.loads("[" * depth + "]" * depth) if depth < 900 else None


@st.composite
def workbook_edits(draw: st.DrawFn, base: dict[str, Any]) -> bytes:
    """A real workbook with a few of its fields replaced by drawn values."""
    data = json.loads(json.dumps(base))
    meta = data["metadata"]["workbook"]
    for _ in range(draw(st.integers(1, 3))):
        where = draw(st.sampled_from(["candidate", "questions", "cell source", "cell metadata",
                                      "cell id", "nbformat", "cells", "workbook"]))
        value = draw(st.one_of(json_values, odd_text, st.integers(2, 800).map(_nested)))
        if where in ("candidate", "questions"):
            meta[where] = value
        elif where == "workbook":
            data["metadata"]["workbook"] = value
            meta = {}
        elif where in ("nbformat", "cells"):
            data[where] = value
        elif isinstance(data.get("cells"), list) and data["cells"]:
            cell = data["cells"][draw(st.integers(0, len(data["cells"]) - 1))]
            key = {"cell source": "source", "cell metadata": "metadata", "cell id": "id"}[where]
            cell[key] = value
    text = json.dumps(data)
    if draw(st.booleans()):  # deep nesting where a parser meets it last
        depth = draw(st.integers(1_000, 200_000))
        text = text[:-1] + f', "deep": {"[" * depth}{"]" * depth}}}'
    return text.encode("utf-8", "surrogatepass")


@st.composite
def hostile_files(draw: st.DrawFn, base: dict[str, Any]) -> tuple[bytes, bytes]:
    """(file name, content) of one hostile notebook file."""
    stem = draw(st.one_of(
        st.text(st.characters(exclude_characters="/\x00", exclude_categories=("Cs",)),
                min_size=1, max_size=40).map(lambda s: s.encode("utf-8")),
        st.binary(min_size=1, max_size=40).map(lambda b: b.replace(b"/", b"_")
                                               .replace(b"\x00", b"_")),
        st.integers(100, 240).map(lambda n: b"n" * n)))
    if stem in (b".", b".."):
        stem = b"dots"
    content = draw(st.one_of(
        workbook_edits(base),
        json_values.map(lambda v: json.dumps(v).encode()),
        st.binary(max_size=200),
        st.integers(1_000, 300_000).map(lambda n: b"[" * n + b"]" * n),
        st.integers(1_000, 100_000).map(lambda n: b'{"nbformat": 4, "cells": '
                                        + b"[" * n + b"]" * n + b"}")))
    return stem[:249] + b".ipynb", content


FUZZ = settings(max_examples=8, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.large_base_example])
_BANK = load_bank(GRADING_BANK)
_BASE = workbook_json(_BANK, list(_BANK.questions), answers=HONEST["ada"][0], candidate="zoe")


@FUZZ
@given(hostile=hostile_files(_BASE))
def test_a_generated_hostile_file_costs_only_itself(
        hostile: tuple[bytes, bytes], tmp_path_factory: pytest.TempPathFactory) -> None:
    root = tmp_path_factory.mktemp("batch")
    honest_batch(_BANK, root / "in")
    name, content = hostile
    if name in (b"ada.ipynb", b"ben.ipynb"):
        name = b"x" + name
    path = os.path.join(os.fsencode(root / "in"), name)
    with open(path, "wb") as handle:
        handle.write(content)

    code = grade(root / "in", root / "out", "--no-report")

    assert_accounted_for(root / "out", 3, code)


# -- each class, several payloads, with the reports ------------------------------------------
def _hostile_batch(bank: Bank, folder: Path) -> int:
    """Write one file of each hostile class next to the honest ones; how many files."""
    honest_batch(bank, folder)
    base = workbook_json(bank, list(bank.questions), answers=HONEST["ada"][0])
    files: dict[bytes, bytes] = {
        b"deep-array.ipynb": b"[" * 100_000 + b"]" * 100_000,
        b"deep-cells.ipynb": b'{"nbformat": 4, "cells": ' + b"[" * 50_000 + b"]" * 50_000 + b"}",
        b"not-utf8-\xff\xfe.ipynb": json.dumps(dict(base, metadata={
            "workbook": dict(base["metadata"]["workbook"], candidate="eve\udcff")})).encode(
                "utf-8", "surrogatepass"),
        b"nul-id.ipynb": json.dumps(dict(base, metadata={
            "workbook": dict(base["metadata"]["workbook"], candidate="nul\x00id")})).encode(),
        b"huge-id.ipynb": json.dumps(dict(base, metadata={
            "workbook": dict(base["metadata"]["workbook"], candidate="h" * 1_000_000)})).encode(),
        b"l" * 240 + b".ipynb": json.dumps(base).encode(),
        b"list-metadata.ipynb": json.dumps(dict(base, cells=[
            dict(cell, metadata=["not", "a", "dict"]) for cell in base["cells"]])).encode(),
        b"bomb-cell.ipynb": json.dumps(dict(base, cells=[
            dict(cell, id="renamed", metadata={}, source="-" * 100_000 + "1")
            if cell.get("id", "").endswith("answer") else cell
            for cell in base["cells"]])).encode(),
    }
    for name, content in files.items():
        with open(os.path.join(os.fsencode(folder), name), "wb") as handle:
            handle.write(content)
    return len(HONEST) + len(files)


def test_a_batch_with_a_file_of_each_hostile_class_ends_with_results_and_reports(
        grading_bank: Bank, tmp_path: Path) -> None:
    files = _hostile_batch(grading_bank, tmp_path / "in")

    code = grade(tmp_path / "in", tmp_path / "out")

    found = assert_accounted_for(tmp_path / "out", files, code)
    cohort = (tmp_path / "out" / "cohort.html").read_text(encoding="utf-8")
    for record in found:
        if record["status"] != "graded" and len(record["candidate"]) < 100:
            assert f"{record['candidate']}</span>: {record['status']}" in cohort
    assert all(len(record["candidate"]) <= 200 for record in found)
    assert (tmp_path / "out" / "graded").is_dir()


def test_a_submission_that_errors_is_the_only_one_a_rerun_grades_again(
        grading_bank: Bank, tmp_path: Path) -> None:
    honest_batch(grading_bank, tmp_path / "in")
    prepare = preparer(grading_bank)

    def breaks_on_ben(notebook: NotebookFile) -> Prepared | Refusal:
        if notebook.candidate == "ben":
            raise KeyError("a matcher bug nobody foresaw")
        return prepare(notebook)

    paths = sorted((tmp_path / "in").glob("*.ipynb"))
    config = GradingConfig(timeout=10)
    with Gradebook.open(tmp_path / "gb.sqlite") as gradebook:
        first = grade_batch(paths, prepare=breaks_on_ben, gradebook=gradebook, config=config,
                            jobs=2, progress=False, on_result=(kept_first := Kept()))
        second = grade_batch(paths, prepare=prepare, gradebook=gradebook, config=config,
                             jobs=2, progress=False, on_result=(kept_second := Kept()))

    assert [(r.candidate, r.status) for r in kept_first.results] == [
        ("ada", SubmissionStatus.GRADED), ("ben", SubmissionStatus.ERROR)]
    assert "KeyError: 'a matcher bug nobody foresaw'" in kept_first.results[1].reason
    assert first.not_graded == ((SubmissionStatus.ERROR, kept_first.results[1].reason),)
    assert (second.skipped, second.graded) == (1, 1)
    assert [r.points for r in kept_second.results] == [8, 6]


def test_text_no_database_accepts_is_recorded_escaped_on_sqlite_and_postgresql(
        grading_bank: Bank, gradebook_url: str, tmp_path: Path) -> None:
    # NUL (refused by PostgreSQL) and lone surrogates (refused by every UTF-8 encoder) in
    # the candidate id, the file name and the answer's own exception message
    folder = tmp_path / "in"
    honest_batch(grading_bank, folder)
    answers = {"clamp-value": "raise ValueError('bad\\x00\\ud800 value')",
               "dedupe-keep-order": DEDUPE}
    data = workbook_json(grading_bank, list(grading_bank.questions), answers=answers,
                         candidate="eve\x00\udcff")
    name = os.path.join(os.fsencode(folder), b"eve-\xff.ipynb")
    with open(name, "wb") as handle:
        handle.write(json.dumps(data).encode())
    paths = sorted(folder.iterdir())

    with Gradebook.open(gradebook_url) as gradebook:
        report = grade_batch(paths, prepare=preparer(grading_bank), gradebook=gradebook,
                             config=GradingConfig(timeout=10), jobs=2, progress=False)
        stored = {result.candidate: result for result in gradebook.results()}

    assert report.all_graded
    eve = stored["eve\\x00\\udcff"]
    assert eve.source.endswith("eve-\\udcff.ipynb")
    assert eve.points == 4
    assert "bad\\x00\\ud800 value" in eve.tasks[0].events[0].detail
    assert [stored[name].points for name in HONEST] == [8, 6]
