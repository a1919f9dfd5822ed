"""Built notebooks: valid nbformat 4.5, roles on every cell, nothing hidden for candidates."""

from __future__ import annotations

import json
import re

import nbformat
import pytest

from workbook.model import Bank, Level, Question
from workbook.notebook import (
    CANDIDATE,
    INTERVIEWER,
    BuildOptions,
    build_notebook,
    rubric_markdown,
)


def build(bank: Bank, copy: str, questions: list[Question] | None = None,
          solutions: bool = False) -> nbformat.NotebookNode:
    return build_notebook(bank, questions or list(bank.questions),
                          BuildOptions(level=Level.MIDDLE, copy=copy, seed=5,
                                       solutions=solutions))


@pytest.mark.parametrize("copy", [CANDIDATE, INTERVIEWER])
def test_notebook_is_valid_nbformat_4_5_with_cell_ids(shipped_bank: Bank, copy: str) -> None:
    nb = build(shipped_bank, copy)
    nbformat.validate(nb)
    assert (nb.nbformat, nb.nbformat_minor) == (4, 5)
    ids = [cell.id for cell in nb.cells]
    assert len(ids) == len(set(ids))


def test_every_cell_has_a_role_and_question_cells_name_their_question(shipped_bank: Bank) -> None:
    nb = build(shipped_bank, INTERVIEWER)
    for cell in nb.cells:
        meta = cell.metadata["workbook"]
        if meta["role"] in ("prompt", "answer", "public-check", "rubric", "panel"):
            assert meta["question"] in shipped_bank.ids


def test_each_coding_question_gets_prompt_answer_and_public_check(shipped_bank: Bank) -> None:
    nb = build(shipped_bank, CANDIDATE)
    for question in shipped_bank.questions:
        roles = [c.metadata["workbook"]["role"] for c in nb.cells
                 if c.metadata["workbook"].get("question") == question.id]
        expected = ["prompt", "answer", "public-check"] if question.is_coding else [
            "prompt", "answer"]
        assert roles == expected, question.id


def test_interviewer_copy_adds_rubric_and_panel_per_question(shipped_bank: Bank) -> None:
    nb = build(shipped_bank, INTERVIEWER)
    for question in shipped_bank.questions:
        roles = [c.metadata["workbook"]["role"] for c in nb.cells
                 if c.metadata["workbook"].get("question") == question.id]
        assert roles[-2:] == ["rubric", "panel"]


def test_notebook_records_bank_version_and_seed(shipped_bank: Bank) -> None:
    meta = build(shipped_bank, CANDIDATE).metadata["workbook"]
    assert meta["bank_version"] == shipped_bank.version
    assert meta["seed"] == 5
    assert meta["questions"] == list(shipped_bank.ids)


def test_same_input_gives_byte_identical_notebooks(shipped_bank: Bank) -> None:
    first = nbformat.writes(build(shipped_bank, INTERVIEWER))
    assert nbformat.writes(build(shipped_bank, INTERVIEWER)) == first


def hidden_fragments(question: Question, visible: str) -> list[str]:
    """Distinctive text of everything a candidate must never see."""
    fragments = [line.strip() for check in question.hidden_checks
                 for line in check.code.splitlines() if len(line.strip()) > 12]
    fragments += [check.description for check in question.hidden_checks if check.description]
    fragments += [check.name for check in question.hidden_checks]
    fragments += [decoy.note for decoy in question.decoys]
    fragments += [decoy.name for decoy in question.decoys]
    fragments += [line.strip() for decoy in question.decoys for line in decoy.code.splitlines()
                  if len(line.strip()) > 12]
    fragments += [line.strip() for line in question.check_setup.splitlines()
                  if len(line.strip()) > 12]
    rubric = question.rubric
    fragments += [*rubric.strong_signals, *rubric.red_flags, *rubric.follow_ups,
                  *rubric.scores.values()]
    reference_lines = [line.strip() for line in question.reference.splitlines()
                       if len(line.strip()) > 12]
    # A reference line that also stands in the starter or prompt is not a secret.
    fragments += [line for line in reference_lines if line not in visible]
    return [f for f in fragments if f and f not in visible]


def test_candidate_copy_holds_nothing_hidden(shipped_bank: Bank) -> None:
    text = json.dumps(build(shipped_bank, CANDIDATE))
    # Generic lines (say `except ValueError:`) may be hidden in one question and shown in
    # another; only text no question shows must be absent.
    visible = "\n".join(q.starter + q.public_checks + q.prompt for q in shipped_bank.questions)
    for question in shipped_bank.questions:
        for fragment in hidden_fragments(question, visible):
            # Whole words only: a check named `sliding-window` is no leak inside the id of
            # a question called `gen-sliding-window`.
            escaped = json.dumps(fragment)[1:-1]
            if escaped in text:
                pattern = rf"(?<![\w-]){re.escape(escaped)}(?![\w-])"
                assert not re.search(pattern, text), (question.id, fragment)


def test_interviewer_copy_does_show_the_rubric(shipped_bank: Bank) -> None:
    text = json.dumps(build(shipped_bank, INTERVIEWER))
    question = shipped_bank.questions[0]
    assert json.dumps(rubric_markdown(question))[1:-1] in text


def test_solutions_fill_answers_with_the_reference(shipped_bank: Bank) -> None:
    nb = build(shipped_bank, CANDIDATE, solutions=True)
    coding = next(q for q in shipped_bank.questions if q.is_coding)
    answer = next(c for c in nb.cells if c.metadata["workbook"] == {"role": "answer",
                                                                     "question": coding.id})
    assert answer.source == coding.reference.rstrip("\n")
    assert nb.metadata["workbook"]["solutions"] is True
