"""Report files are named from a slug and a hash of the exact id: one file per candidate,
never the id itself, and two files claiming one candidate are both kept as a conflict."""

from __future__ import annotations

import csv
import json
import os
import re
import unicodedata
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.grading.conftest import GRADING_BANK
from tests.grading.notebooks import workbook_json, write
from workbook.bank import load_bank
from workbook.cli import main
from workbook.model import Bank
from workbook.report.graded_copy import copy_paths
from workbook.report.naming import SLUG_LENGTH, SUFFIX_LENGTH, report_stem

CLAMP = "def clamp(value, low, high):\n    if low > high:\n        raise ValueError(low)\n" \
        "    return max(low, min(value, high))\n"
SAFE_STEM = re.compile(rf"[a-z0-9][a-z0-9._-]{{0,{SLUG_LENGTH - 1}}}-[0-9a-f]{{{SUFFIX_LENGTH}}}"
                       rf"|candidate-[0-9a-f]{{{SUFFIX_LENGTH}}}")

#: ids as they reach the report: any text, and file names that were not UTF-8
ids = st.one_of(st.text(), st.binary().map(lambda b: b.decode("utf-8", "surrogateescape")),
                st.text(alphabet="./\\:-_ aA", min_size=1))


@given(ids)
def test_a_stem_is_a_safe_file_name_whatever_the_id(candidate: str) -> None:
    stem = report_stem(candidate)

    assert SAFE_STEM.fullmatch(stem), stem


@given(st.lists(ids, min_size=2, max_size=6, unique=True))
def test_distinct_ids_never_share_a_name_even_case_folded(candidates: list[str]) -> None:
    stems = [report_stem(c).casefold() for c in candidates]

    assert len(set(stems)) == len(stems)


def test_hostile_ids_each_get_their_own_file_inside_the_graded_folder(tmp_path: Path) -> None:
    victim = "ada"
    hostile = ["../../etc/passwd", "a/b", "a_b", "..", ".", "", "Ada", "ADA",
               unicodedata.normalize("NFC", "Zoë"), unicodedata.normalize("NFD", "Zoë"),
               "x" * 5000, "bad\udcff-bytes", "CON", "nul.txt",
               report_stem(victim),  # an id equal to another candidate's file stem
               report_stem(victim) + ".ipynb"]

    paths = [copy_paths(tmp_path, c)[0] for c in [victim, *hostile]]

    assert all(p.parent == tmp_path / "graded" for p in paths)
    assert len({p.name.casefold() for p in paths}) == len(paths)
    assert all(len(p.name) < 100 for p in paths)


@pytest.fixture(scope="module")
def conflicted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Graded for real: two files claim `ada`, and `zed` claims ada's file stem as an id."""
    return _graded(tmp_path_factory.mktemp("conflict"), load_bank(GRADING_BANK),
                   {"ada-good": "ada", "ada-other": "ada", "zed": report_stem("ada"),
                    "up": "../../graded/ada", "case": "Ada", "sep": "a/b\\c",
                    "nfc": unicodedata.normalize("NFC", "Zoë"),
                    "nfd": unicodedata.normalize("NFD", "Zoë"), "long": "L" * 3000,
                    os.fsdecode(b"bytes-\xff\xfe"): None})


def _graded(tmp_path: Path, bank: Bank, claims: dict[str, str | None]) -> Path:
    folder = tmp_path / "returned"
    folder.mkdir()
    for file_stem, candidate in claims.items():
        write(folder / f"{file_stem}.ipynb",
              workbook_json(bank, list(bank.questions), candidate=candidate,
                            answers={"clamp-value": CLAMP} if "good" in file_stem else {}))
    out = tmp_path / "out"
    main(["grade", str(folder), "-o", str(out), "--bank", str(GRADING_BANK), "--jobs", "1"])
    return out


def _csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_two_files_claiming_one_candidate_are_both_kept_as_a_conflict(conflicted: Path
                                                                        ) -> None:
    out = conflicted

    results: list[dict[str, Any]] = json.loads((out / "results.json").read_text())
    ada = [r for r in results if r["candidate"] == "ada"]
    assert len(ada) == 2 and all(r["conflict"] for r in ada)
    for name in ("cohort.csv", "ats.csv"):
        rows = [r for r in _csv(out / name) if r["candidate"] == "ada"]
        assert len(rows) == 2, name
        assert all(r["conflict"].startswith("CONFLICT") for r in rows), name
    ats = [json.loads(line) for line in (out / "ats.jsonl").read_text().splitlines()]
    links = {r["content_hash"]: r["graded_copy"] for r in ats}
    assert len(set(links.values())) == len(ats) == len(results) == 10


def test_every_cohort_link_opens_its_own_candidates_copy(conflicted: Path) -> None:
    out = conflicted

    page = (out / "cohort.html").read_text(encoding="utf-8")
    ats = [json.loads(line) for line in (out / "ats.jsonl").read_text().splitlines()]
    for record in ats:
        link = record["graded_copy"]
        assert f'href="{link}"' in page
        copy = json.loads((out / link).with_suffix(".ipynb").read_text(encoding="utf-8"))
        assert copy["metadata"]["workbook"]["content_hash"] == record["content_hash"]
        assert copy["metadata"]["workbook"]["candidate"] == record["candidate"]
