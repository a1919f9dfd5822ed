"""Counterexamples of generated-input checks: a differing input is shrunk in the
candidate's kernel to a minimal one, the same on every run; an input the answer never
returns from is named, not lost; the drawn inputs are pinned by a lock file that `bank
check` refuses once stale."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from grading.config import GradingConfig
from grading.engine import Grader
from grading.judge import counterexample, judge_cases
from grading.tasks import Answer
from workbook.bank import load_bank
from workbook.generated.lock import lock_path, lock_problem, write_lock
from workbook.model import Question
from workbook.tasks import task_for

MERGE = "ds-merge-intervals"
CORRECT = "start <= merged[-1][1]"


@pytest.fixture(scope="module")
def merge() -> Question:
    return load_bank().get(MERGE)


@pytest.fixture(scope="module")
def grader(merge: Question) -> Iterator[Grader]:
    with Grader([task_for(merge)], config=GradingConfig()) as opened:
        yield opened


def failures(grader: Grader, code: str) -> dict[str, str]:
    (result,) = grader.grade([Answer(task_id=MERGE, code=code)])
    return {check.name: check.message for check in result.checks if not check.passed}


def test_a_merge_that_misses_touching_bookings_shrinks_to_two_bookings_on_every_run(
        grader: Grader, merge: Question) -> None:
    touching_missed = merge.reference.replace(CORRECT, "start < merged[-1][1]")
    runs = [failures(grader, touching_missed)["merges-like-reference"] for _ in range(2)]
    assert runs[0] == runs[1]
    call = counterexample(runs[0])
    assert call is not None and "shrunk from a drawn input" in runs[0]
    # the minimal input: two bookings, the second starting where the first ends
    found = re.fullmatch(r"merge_intervals\(\[\((-?\d+), (-?\d+)\), \((-?\d+), (-?\d+)\)\]\)",
                         call)
    assert found, call
    first_end, second_start = int(found.group(2)), int(found.group(3))
    assert first_end == second_start


@settings(max_examples=3, deadline=None)
@given(limit=st.integers(0, 2))
def test_shrinking_names_an_input_the_reference_and_the_answer_disagree_on(
        grader: Grader, merge: Question, limit: int) -> None:
    # a merge that drops every booking after the first `limit`: wrong on any longer input
    wrong = merge.reference.replace("    return merged",
                                    f"    return merged[:{limit}]")
    message = failures(grader, wrong)["merges-like-reference"]
    call = counterexample(message)
    assert call is not None
    bookings = eval(call.removeprefix("merge_intervals"))  # the literal the label wrote
    assert len(bookings) == limit + 1  # minimal: one booking more than it keeps


@pytest.mark.parametrize("condition", [
    "len(pairs) == 2 and pairs[0] == pairs[1]",
    "any(end - start == 5 for start, end in pairs)",
])
def test_an_input_the_answer_never_returns_from_is_named(grader: Grader, merge: Question,
                                                         condition: str) -> None:
    hangs = merge.reference.replace("    pairs.sort()",
                                    f"    while {condition}:\n        pass\n    pairs.sort()")
    message = failures(grader, hangs)["merges-like-reference"]
    # stopped by its own bound (1 s of CPU, or the property's share of the timeout when
    # the machine is loaded), not by the grader's timeout, which would lose the input
    assert re.search(r"the call did not return within [\d.]+ s; the \d+ inputs after", message)
    call = counterexample(message)
    assert call is not None
    pairs = [tuple(pair) for pair in eval(call.removeprefix("merge_intervals"))]
    assert eval(condition, {"pairs": pairs})  # the named input is one that hangs


def test_a_stale_lock_is_refused_by_bank_check_in_one_line(tmp_path: Path) -> None:
    bank = tmp_path / "bank"
    bank.mkdir()
    source = Path(load_bank().get(MERGE).source)
    (bank / source.name).write_text(source.read_text(encoding="utf-8"), encoding="utf-8")
    question = load_bank(bank).get(MERGE)
    assert lock_problem(question) is not None  # no lock yet
    assert write_lock(question)
    assert lock_problem(question) is None and not write_lock(question)
    changed = source.read_text(encoding="utf-8").replace("st.integers(0, 5)",
                                                         "st.integers(0, 4)")
    (bank / source.name).write_text(changed, encoding="utf-8")
    run = subprocess.run([sys.executable, "-m", "workbook", "bank", "check", "--bank",
                          str(bank)], capture_output=True, text=True)
    assert run.returncode == 1
    stale = [line for line in run.stdout.splitlines() if line.startswith("FAIL")]
    assert len(stale) == 1 and str(lock_path(load_bank(bank).get(MERGE))) in stale[0]
    assert "merges-like-reference" in stale[0] and "workbook bank lock" in stale[0]


def test_every_shipped_question_with_properties_has_a_fresh_lock() -> None:
    problems = [problem for question in load_bank().questions
                if (problem := lock_problem(question)) is not None]
    assert problems == []


@pytest.mark.parametrize("forged", [
    "[(0, 0)] * 40",                 # far longer than any drawn input it could start from
    "'the reference: ' + 'x' * 300",  # not even bookings
])
def test_a_forged_shrink_report_cannot_replace_the_drawn_counterexample(
        grader: Grader, merge: Question, forged: str) -> None:
    touching_missed = merge.reference.replace(CORRECT, "start < merged[-1][1]")
    # the answer replaces Hypothesis's search: the shrinker is offered only its input
    forging = touching_missed + f'''
import hypothesis

def _forged_find(strategy, condition, **options):
    condition({{"bookings": {forged}}})
    raise hypothesis.errors.NoSuchExample("forged")

hypothesis.find = _forged_find
'''
    message = failures(grader, forging)["merges-like-reference"]
    assert "shrunk" not in message and "x" * 10 not in message
    drawn = next(check.cases for check in task_for(merge).hidden_checks
                 if check.name == "merges-like-reference")
    assert counterexample(message) in drawn  # the drawn input stays named


@settings(max_examples=30, deadline=None)
@given(st.lists(st.integers(-3, 3), min_size=1, max_size=6), st.data())
def test_a_hang_is_named_before_any_wrong_value_and_the_inputs_after_it_are_not_counted(
        values: list[int], data: st.DataObject) -> None:
    hung = data.draw(st.integers(0, len(values) - 1))
    labels = tuple(f"f({value})" for value in values)
    expected = [("value", value) for value in values]
    actual = [("value", value + 1) for value in values[:hung]] + [("timeout", 1.0)] + [
        ("skipped", None)] * (len(values) - hung - 1)
    message = judge_cases(expected, actual, labels)
    assert message is not None
    assert message.startswith(f"for `f({values[hung]})` the call did not return within 1 s")
    assert counterexample(message) == f"f({values[hung]})"
    # a reference that does not return is the bank's error, never the answer's
    assert "a bank error" in (judge_cases(actual[hung:hung + 1] + expected[hung + 1:],
                                          expected[hung:], labels[hung:]) or "")


def test_a_shrink_cut_short_by_its_step_budget_names_the_smallest_found_and_says_so(
        merge: Question, monkeypatch: pytest.MonkeyPatch) -> None:
    import workbook.generated.checks as checks

    monkeypatch.setattr(checks, "SHRINK_STEPS", 3)  # the drawn input and two smaller tries
    touching_missed = merge.reference.replace(CORRECT, "start < merged[-1][1]")
    with Grader([task_for(merge)], config=GradingConfig()) as cut:
        runs = [failures(cut, touching_missed)["merges-like-reference"] for _ in range(2)]
    assert runs[0] == runs[1]  # a step budget cuts at the same place on every run
    assert "not fully shrunk: the shrinking budget ran out" in runs[0]
    call = counterexample(runs[0])
    assert call is not None and call.startswith("merge_intervals([")
