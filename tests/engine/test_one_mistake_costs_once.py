"""Judging that charges one mistake once: numbers compared by value unless a check demands
exact types, messages that name the value the candidate produced, and failures that share
one cause recognised as such."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from grading.config import GradingConfig
from grading.engine import Grader
from grading.judge import cause_of, judge_cases, shared_causes
from grading.tasks import Answer, Check, Task

from .conftest import FAST

TOTALS = Task(
    id="totals",
    reference=("def totals(rows):\n    out = {}\n    for key, n in rows:\n"
               "        out[key] = out.get(key, 0) + n\n    return out\n"),
    hidden_checks=(
        Check(name="sums", code="totals([('a', 1), ('b', 2), ('a', 3)])", points=2,
              exact_types=False),
        Check(name="nested", code="(totals([('x', 5)]), [totals([])])", points=1,
              exact_types=False),
        Check(name="ints-stay-ints", code="totals([('a', 1)])", points=1, exact_types=True),
    ),
    timeout=FAST,
)


@pytest.fixture(scope="module")
def grader() -> Iterator[Grader]:
    with Grader([TOTALS], config=GradingConfig(timeout=FAST, interrupt_grace=0.5)) as opened:
        yield opened


def failed(grader: Grader, code: str) -> dict[str, str]:
    (result,) = grader.grade([Answer(task_id="totals", code=code)])
    return {c.name: c.message for c in result.checks if not c.passed}


@pytest.mark.parametrize("conversion", ["float(n)", "n * 1.0", "n / 1"])
def test_a_float_of_the_right_value_fails_only_the_check_about_types(
        grader: Grader, conversion: str) -> None:
    code = ("def totals(rows):\n    out = {}\n    for key, n in rows:\n"
            f"        out[key] = out.get(key, 0) + {conversion}\n    return out\n")
    messages = failed(grader, code)
    assert list(messages) == ["ints-stay-ints"]
    assert messages["ints-stay-ints"].endswith(
        "the right value, but this check demands an exact int")


def test_a_float_of_another_value_still_fails_every_check_that_sees_it(grader: Grader) -> None:
    code = ("def totals(rows):\n    out = {}\n    for key, n in rows:\n"
            "        out[key] = out.get(key, 0) + n + 0.5\n    return out\n")
    assert list(failed(grader, code)) == ["sums", "nested", "ints-stay-ints"]


@pytest.mark.parametrize(("wrapper", "kind", "base"), [
    ("collections.Counter", "Counter", "dict"),
    ("collections.OrderedDict", "OrderedDict", "dict"),
    ("types.MappingProxyType", "mappingproxy", ""),
])
def test_a_container_of_another_type_is_named_with_where_it_sits(
        grader: Grader, wrapper: str, kind: str, base: str) -> None:
    code = ("import collections, types\n"
            "def totals(rows):\n    out = {}\n    for key, n in rows:\n"
            f"        out[key] = out.get(key, 0) + n\n    return {wrapper}(out)\n")
    messages = failed(grader, code)
    assert f"holds a {kind} at [0]" in messages["nested"]
    if base:
        assert f"where a plain {base} is expected" in messages["nested"]
    else:
        assert "not plain data" in messages["nested"]
    assert "a tuple" not in messages["nested"]  # the container holding it is not the culprit


def test_one_exception_failing_every_check_is_one_shared_cause(grader: Grader) -> None:
    messages = failed(grader, "def totals(rows):\n    return {k: n for k, n in rows}['zz']\n")
    assert shared_causes(list(messages.items())) == [
        ("raises KeyError: 'zz'", ["sums", "nested", "ints-stay-ints"])]


def test_wrong_values_are_not_grouped_as_one_cause() -> None:
    assert cause_of("Expected 4, got 5") is None
    assert shared_causes([("a", "expected 4, got 5"), ("b", "expected 4, got 5")]) == []
    assert shared_causes([("a", "... raised KeyError: 1"), ("b", "... raised KeyError: 2")]) == []


LABELS = ("f([1, 2, 3])", "f([])", "f([7])")


def test_the_smallest_differing_case_is_named_with_its_call() -> None:
    expected = [("value", 6), ("value", 0), ("value", 7)]
    actual = [("value", 5), ("value", 0), ("value", 8)]
    assert judge_cases(expected, actual, LABELS) == (
        "for `f([7])` expected `7`, got `8` (2 of 3 generated inputs differ)")


def test_an_exception_where_a_value_was_expected_is_a_differing_case() -> None:
    expected = [("value", 6), ("raised", "ValueError"), ("value", 7)]
    actual = [("value", 6), ("raised", "TypeError"), ("value", 7)]
    assert judge_cases(expected, actual, LABELS) == (
        "for `f([])` expected ValueError to be raised, got TypeError "
        "(1 of 3 generated inputs differs)")
    assert judge_cases(expected, expected, LABELS) is None


@pytest.mark.parametrize("forged", [None, [], [("value", 6)] * 2, [("won", 1)] * 3, "ok"])
def test_outcomes_of_the_wrong_shape_fail_the_check(forged: object) -> None:
    expected = [("value", 6), ("value", 0), ("value", 7)]
    message = judge_cases(expected, forged, LABELS)
    assert message is not None and "did not all run" in message


def test_cases_compare_numbers_by_value_unless_exact_types_are_demanded() -> None:
    expected = [("value", [1, 2]), ("value", 0), ("value", 7)]
    actual = [("value", [1.0, 2]), ("value", 0), ("value", 7)]
    assert judge_cases(expected, actual, LABELS, exact_types=False) is None
    assert judge_cases(expected, actual, LABELS, exact_types=True) is not None
