"""A graded copy and its HTML stay bounded whatever the notebook's outputs and answers hold,
and the copy says what was cut."""

from __future__ import annotations

import json
from pathlib import Path

from tests.grading.conftest import GRADING_BANK
from tests.grading.notebooks import answer_cell, workbook_json, write
from workbook.bank import load_bank
from workbook.cli import main
from workbook.report.copy_parts import MAX_ANSWER
from workbook.report.graded_copy import copy_paths
from workbook.report.submitted import MAX_IMAGE, MAX_NOTEBOOK_OUTPUTS

CLAMP = "def clamp(value, low, high):\n    if low > high:\n        raise ValueError(low)\n" \
        "    return max(low, min(value, high))\n"
#: what the copy may weigh at most here: the caps, plus the template and charts
LIMIT = 2 * MAX_NOTEBOOK_OUTPUTS + 20 * MAX_ANSWER + 2_000_000


def _stream(text: str) -> dict[str, object]:
    return {"output_type": "stream", "name": "stdout", "text": text}


def _png(size: int) -> dict[str, object]:
    return {"output_type": "display_data", "metadata": {},
            "data": {"image/png": "A" * size, "text/plain": "<Figure>"}}


def test_huge_outputs_and_answers_are_cut_and_the_copy_says_so(tmp_path: Path) -> None:
    bank = load_bank(GRADING_BANK)
    data = workbook_json(bank, list(bank.questions), candidate="flood",
                         answers={"clamp-value": CLAMP + "# " + "z" * 200_000 + "\n"})
    answer_cell(data, "clamp-value")["outputs"] = [
        _stream("x" * 30_000_000), _png(MAX_IMAGE * 10),
        *(_png(MAX_IMAGE - 8) for _ in range(6)), *(_stream("line\n") for _ in range(500))]
    answer_cell(data, "dedupe-keep-order")["outputs"] = [_png(MAX_IMAGE - 8) for _ in range(3)]
    folder = tmp_path / "in"
    folder.mkdir()
    write(folder / "flood.ipynb", data)

    main(["grade", str(folder), "-o", str(tmp_path / "out"), "--bank", str(GRADING_BANK),
          "--jobs", "1"])

    notebook, page = copy_paths(tmp_path / "out", "flood")
    assert notebook.stat().st_size < LIMIT
    assert page.stat().st_size < LIMIT
    text = json.dumps(json.loads(notebook.read_text(encoding="utf-8")))
    for said in ("output cut", "image not shown", "more outputs not shown",
                 "reached the copy's cap", "more characters not shown"):
        assert said in text, said
