"""Mutation proof: every standard operator makes its mutants, ids stay stable while
unrelated code changes, and mutants graded in the confined kernel sort into killed,
recorded as equivalent, surviving and stale."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.workbook.question_text import VALID_CODING, replace
from workbook.bank import load_bank
from workbook.mutation.operators import OPERATORS, mutants
from workbook.mutation.proof import describe, prove_mutants
from workbook.questionfile import parse_question

CODE = '''\
def clamp_sum(values, low=0, high=10):
    """Sum of values, clamped into [low, high]."""
    total = 0
    for value in values:
        if value is None:
            continue
        if value < 0 and not allow_negative():
            break
        total += value * 1
    result = max(low, min(total, high))
    return result


def allow_negative():
    return False
'''


def diffs(code: str, operator: str) -> list[str]:
    return [m.diff for m in mutants(code) if m.operator == operator]


def test_every_operator_finds_its_sites() -> None:
    found = {m.operator for m in mutants(CODE)}
    assert found == set(OPERATORS)


@pytest.mark.parametrize(("operator", "before", "after"), [
    ("compare", "if value < 0 and", "if value <= 0 and"),
    ("compare", "if value is None:", "if value is not None:"),
    ("arithmetic", "total += value * 1", "total -= value * 1"),
    ("arithmetic", "total += value * 1", "total += value / 1"),
    ("constant", "high=10", "high=11"),
    ("constant", "total = 0", "total = -1"),
    ("boolean", "return False", "return True"),
    ("boolean", "value < 0 and (not", "value < 0 or not"),
    ("boolean", "and (not allow_negative())", "and allow_negative()"),
    ("boolean", "if value is None:", "if not value is None:"),
    ("remove", "total += value * 1", "pass"),
    ("arguments", "min(total, high)", "min(high, total)"),
    ("return", "return result", "return"),
    ("loop", "continue", "break"),
    ("loop", "break", "continue"),
])
def test_each_operator_makes_the_expected_change(operator: str, before: str,
                                                 after: str) -> None:
    assert any(before in d.split("\n")[0] and after in d.split("\n")[1]
               for d in diffs(CODE, operator)), diffs(CODE, operator)


def test_docstrings_and_no_op_changes_make_no_mutants() -> None:
    texts = [m.code for m in mutants(CODE)]
    assert all('"""Sum of values' in text for text in texts)
    assert len(texts) == len(set(texts))
    assert not any(m.diff == "" for m in mutants(CODE))
    swap_same = mutants("def f(x):\n    return pow(x, x)\n")
    assert not [m for m in swap_same if m.operator == "arguments"]


def test_ids_survive_unrelated_edits_and_change_with_the_change() -> None:
    before = {m.diff: m.id for m in mutants(CODE)}
    edited = "import math\n\n" + CODE.replace("    total = 0\n", "    # start\n    total = 0\n")
    after = {m.diff: m.id for m in mutants(edited)}
    shared = before.keys() & after.keys()
    assert len(shared) == len(before)
    assert all(before[d] == after[d] for d in shared)
    assert len(set(before.values())) == len(before)  # every mutant its own id


def test_the_same_change_in_two_places_gets_two_ids() -> None:
    twice = "def f(a, b):\n    x = a + 1\n    y = b + 1\n    return x, y\n"
    ids = [m.id for m in mutants(twice) if m.diff.endswith("+ 2")]
    assert len(ids) == 2 == len(set(ids))


def write(tmp_path: Path, text: str) -> Path:
    (tmp_path / "add-two.md").write_text(text)
    return tmp_path


def test_mutants_are_graded_in_the_kernel_and_survivors_printed_as_diffs(
        tmp_path: Path) -> None:
    # add(a, b) = a + b: checks on negatives and strings kill "-" and removed returns,
    # but nothing tells a + b from a + b where ... every mutant here is killable
    question = load_bank(write(tmp_path, VALID_CODING)).get("add-two")
    report = prove_mutants(question, jobs=2)
    assert report.mutants == len(mutants(question.reference)) >= 2
    assert report.killed == report.mutants and report.ok
    assert report.score == 1.0


def test_an_unchecked_rule_leaves_a_survivor_shown_as_a_diff(tmp_path: Path) -> None:
    weak = replace("def add(a, b):\n    return a + b\n",
                   "def add(a, b):\n    if a is None:\n        return 0\n    return a + b\n")
    question = load_bank(write(tmp_path, weak)).get("add-two")
    report = prove_mutants(question, jobs=2)
    survivor_diffs = [m.diff for m in report.survivors]
    assert not any("is not None" in d for d in survivor_diffs)  # changes every call: killed
    assert any(d.startswith("-        return 0") for d in survivor_diffs)  # None never passed
    lines = describe(report)
    assert lines[0].startswith("FAIL")
    assert any(line.strip().startswith("survivor ") for line in lines)
    assert any(line.strip() == "-        return 0" for line in lines)


def test_a_recorded_equivalent_explains_its_survivor_and_a_stale_record_fails(
        tmp_path: Path) -> None:
    weak = replace("def add(a, b):\n    return a + b\n",
                   "def add(a, b):\n    if a is None:\n        return 0\n    return a + b\n")
    question = load_bank(write(tmp_path, weak)).get("add-two")
    first = prove_mutants(question, jobs=2)
    recorded = weak.replace("## Rubric\n", "".join(
        f"### {m.id}\nOnly None reaches this line, and the prompt never passes None.\n\n"
        for m in first.survivors).join(["## Equivalent mutants\n\n", "## Rubric\n"]))
    explained = prove_mutants(load_bank(write(tmp_path, recorded)).get("add-two"), jobs=2)
    assert explained.ok and not explained.survivors
    assert {m.id for m in explained.equivalent} == {m.id for m in first.survivors}
    stale = recorded.replace("## Rubric\n", "### compare-0badf00d\nNo such mutant.\n\n"
                             "## Rubric\n", 1)
    # the stale record goes under the same heading: insert it before the rubric
    report = prove_mutants(parse_question(stale, tmp_path / "add-two.md"), jobs=2)
    assert report.stale == ("compare-0badf00d",) and not report.ok
