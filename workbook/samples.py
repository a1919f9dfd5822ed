"""Sample returned notebooks in `notebooks/submissions/`, made from the shipped bank.

One junior candidate workbook, issued to each of eleven made-up candidates and returned:
correct, partial and wrong answers, a deleted answer cell, a tampered notebook (reordered,
duplicated and re-identified answer cells, an extra cell, an edited public check), an
nbformat 3 copy, a forged answer, a notebook that removed a question it was assigned
(graded against the issued assignment: that question scores 0 and every report says the
assignment was edited), a notebook whose notebook-level metadata a tool stripped (graded
from its cells' tags, assignment not verified); and, in `notebooks/broken-submissions/`
so that grading the main folder succeeds, a truncated file and a notebook that workbook
did not build. They show what `workbook grade` does with each, and the tests hold them to it.

Their assignments are the grading side's record, kept apart from the submissions in the
ledger `notebooks/issued-assignments.jsonl` (`workbook grade --issued`, `workbook.issue`).

`python -m workbook.samples [DIR]` regenerates them; a test fails when they are stale.
"""

from __future__ import annotations

import ast
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from grading.assignment import Assignment
from workbook.bank import SHIPPED_BANK, load_bank
from workbook.issue import ledger_line
from workbook.model import SECTIONS, Bank, Level, Question
from workbook.notebook import (
    ROLE_ANSWER,
    ROLE_PUBLIC_CHECK,
    BuildOptions,
    build_notebook,
)

SUBMISSIONS_DIR = Path(__file__).resolve().parent.parent / "notebooks" / "submissions"
BROKEN_DIR = SUBMISSIONS_DIR.parent / "broken-submissions"
#: samples that cannot be graded at all; kept apart so the main folder grades cleanly
BROKEN = ("hana-truncated.ipynb", "ivan-foreign.ipynb")
CODING_QUESTIONS = 3
#: the grading side's record of the samples' assignments, beside (not in) the submissions
LEDGER = "issued-assignments.jsonl"
#: the sample whose notebook-level metadata was stripped: it names no assignment
STRIPPED = "kai-stripped-metadata.ipynb"
#: every sample that went out as an issued workbook, and those issued to a named candidate
ISSUED = ("ada-correct.ipynb", "ben-partial.ipynb", "cleo-wrong.ipynb",
          "dan-deleted-cell.ipynb", "eve-tampered.ipynb", "finn-nbformat3.ipynb",
          "gus-forged.ipynb", "hana-truncated.ipynb", "jo-removed-question.ipynb", STRIPPED)
NAMED = {"ada-correct.ipynb": "ada@example.com"}

Notebook = dict[str, Any]


def sample_questions(bank: Bank) -> list[Question]:
    """The first junior coding questions and the first junior discussion question, in the
    order a workbook shows them (by section)."""
    junior = sorted((q for q in bank.questions if q.level is Level.JUNIOR),
                    key=lambda q: (list(SECTIONS).index(q.section), q.id))
    coding = [q for q in junior if q.is_coding][:CODING_QUESTIONS]
    discussion = [q for q in junior if not q.is_coding][:1]
    chosen = {q.id for q in coding + discussion}
    return [q for q in junior if q.id in chosen]


def sample_assignment(bank: Bank, name: str, candidate: str | None = None) -> Assignment:
    """The assignment the sample `name` was issued under (a fixed id, so the samples are
    the same on every run; a real one is random: `grading.assignment.new_assignment_id`)."""
    questions = sample_questions(bank)
    return Assignment(id=f"wb-sample-{Path(name).stem}", tasks=tuple(q.id for q in questions),
                      candidate=candidate,
                      details={"bank": bank.name, "bank_version": bank.version,
                               "level": Level.JUNIOR.value, "seed": 0})


def _blank(bank: Bank, questions: list[Question], assignment: str | None = None) -> Notebook:
    import nbformat

    nb = build_notebook(bank, questions, BuildOptions(level=Level.JUNIOR,
                                                      assignment=assignment))
    data: Notebook = json.loads(nbformat.writes(nb))
    for cell in data["cells"]:
        cell["source"] = "".join(cell["source"])
    return data


def _find(data: Notebook, question_id: str, role: str) -> dict[str, Any]:
    wanted = {"question": question_id, "role": role}
    return next(c for c in data["cells"] if c["metadata"].get("workbook") == wanted)


def _answer(data: Notebook, question: Question, code: str) -> None:
    _find(data, question.id, ROLE_ANSWER)["source"] = code.rstrip("\n")


def _forged(question: Question) -> str:
    """Every function of the starter returns an object that claims to equal anything, and
    the cell prints the success line the public checks would."""
    tree = ast.parse(question.starter)
    lines = ["class Anything:", "    def __eq__(self, other):", "        return True",
             "    __hash__ = object.__hash__", "",
             "import builtins", "builtins.all = lambda iterable: True", ""]
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            prefix = "async def" if isinstance(node, ast.AsyncFunctionDef) else "def"
            lines += [f"{prefix} {node.name}(*args, **kwargs):", "    return Anything()", ""]
        else:
            lines += [ast.unparse(node), ""]
    lines.append(f"print(\"All public checks passed for '{question.title}'.\")")
    return "\n".join(lines)


def _code_cell(cell_id_: str, source: str) -> dict[str, Any]:
    return {"cell_type": "code", "id": cell_id_, "metadata": {}, "source": source,
            "outputs": [], "execution_count": None}


def _tamper(data: Notebook, questions: list[Question]) -> None:
    """Reorder, duplicate and re-identify answer cells; add a cell; edit a public check."""
    first, second, third = questions[:3]
    cells = data["cells"]
    duplicated = _find(data, first.id, ROLE_ANSWER)
    early = {**duplicated, "id": "scratch-first-try",
             "metadata": json.loads(json.dumps(duplicated["metadata"])),
             "source": first.starter.rstrip("\n")}
    cells.insert(cells.index(duplicated), early)
    moved = _find(data, second.id, ROLE_ANSWER)
    cells.remove(moved)
    cells.append(moved)
    renamed = _find(data, third.id, ROLE_ANSWER)
    renamed["id"], renamed["metadata"] = "my-solution", {}
    cells.append(_code_cell("helpers", "def debug(*values):\n    print(*values)"))
    _find(data, first.id, ROLE_PUBLIC_CHECK)["source"] = (
        f"print(\"All public checks passed for '{first.title}'.\")")


def _remove_question(data: Notebook, question: Question) -> None:
    """What a candidate does to drop a question: its cells and its id in the metadata."""
    data["cells"] = [c for c in data["cells"]
                     if c["metadata"].get("workbook", {}).get("question") != question.id]
    data["metadata"]["workbook"]["questions"].remove(question.id)


def _truncated(data: Notebook) -> str:
    text = json.dumps(data, indent=1)
    return text[: len(text) // 2]


def _foreign() -> Notebook:
    return {"nbformat": 4, "nbformat_minor": 5,
            "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3",
                                        "language": "python"}},
            "cells": [_code_cell("solution", "def top_k(events, k):\n"
                                             "    return sorted(set(events))[:k]")]}


def _v4(data: Notebook) -> str:
    import nbformat

    node = nbformat.from_dict(data)
    nbformat.validate(node)
    return str(nbformat.writes(node)) + "\n"


def _v3(data: Notebook) -> str:
    import nbformat

    return str(nbformat.writes(nbformat.convert(nbformat.from_dict(data), 3))) + "\n"


def sample_files(bank: Bank) -> dict[str, str]:
    """File name -> content of every sample submission."""
    questions = sample_questions(bank)
    coding = [q for q in questions if q.is_coding]
    if len(coding) < CODING_QUESTIONS:
        raise ValueError(f"the bank has {len(coding)} junior coding questions; samples need "
                         f"{CODING_QUESTIONS}")

    def returned(answers: Callable[[Question], str | None], name: str,
                 candidate: str | None = None) -> Notebook:
        data = _blank(bank, questions, sample_assignment(bank, name).id)
        for question in coding:
            code = answers(question)
            if code is not None:
                _answer(data, question, code)
        if candidate:
            data["metadata"]["workbook"]["candidate"] = candidate
        return data

    def reference(q: Question) -> str:
        return q.reference

    partial = {coding[0].id: coding[0].reference, coding[1].id: coding[1].decoys[0].code}
    correct = returned(reference, "ada-correct", candidate=NAMED["ada-correct.ipynb"])
    deleted = returned(reference, "dan-deleted-cell")
    deleted["cells"].remove(_find(deleted, coding[0].id, ROLE_ANSWER))
    tampered = returned(reference, "eve-tampered")
    _tamper(tampered, coding)
    removed = returned(reference, "jo-removed-question")
    _remove_question(removed, coding[-1])
    stripped = returned(reference, STRIPPED)
    stripped["metadata"].pop("workbook")
    return {
        "ada-correct.ipynb": _v4(correct),
        "ben-partial.ipynb": _v4(returned(lambda q: partial.get(q.id), "ben-partial")),
        "cleo-wrong.ipynb": _v4(returned(lambda q: q.decoys[-1].code, "cleo-wrong")),
        "dan-deleted-cell.ipynb": _v4(deleted),
        "eve-tampered.ipynb": _v4(tampered),
        "finn-nbformat3.ipynb": _v3(returned(reference, "finn-nbformat3")),
        "gus-forged.ipynb": _v4(returned(_forged, "gus-forged")),
        "hana-truncated.ipynb": _truncated(returned(reference, "hana-truncated")),
        "ivan-foreign.ipynb": _v4(_foreign()),
        "jo-removed-question.ipynb": _v4(removed),
        STRIPPED: _v4(stripped),
    }


def sample_ledger(bank: Bank) -> str:
    """The ledger of the samples' assignments, as `workbook build` would have issued them
    (the foreign notebook was never issued; the stripped one lost its id on the way)."""
    issued = [sample_assignment(bank, name, NAMED.get(name)) for name in ISSUED]
    return "".join(ledger_line(assignment) for assignment in issued)


def sample_path(name: str, folder: Path = SUBMISSIONS_DIR) -> Path:
    """Where the sample `name` lives when the samples are written into `folder`."""
    return (folder.parent / BROKEN_DIR.name if name in BROKEN else folder) / name


def write_samples(folder: Path, bank: Bank | None = None) -> list[Path]:
    """Write the sample submissions into `folder`, the broken ones beside it in
    `broken-submissions/` (replacing older ones); return their paths."""
    bank = bank or load_bank(SHIPPED_BANK)
    files = sample_files(bank)
    written = []
    for name, text in files.items():
        path = sample_path(name, folder)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    for target in {path.parent for path in written}:
        for stale in target.glob("*.ipynb"):
            if stale not in written:
                stale.unlink()
    ledger = folder.parent / LEDGER
    ledger.write_text(sample_ledger(bank), encoding="utf-8")
    written.append(ledger)
    return written


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else SUBMISSIONS_DIR
    for written_path in write_samples(target):
        print(f"wrote {written_path}")
