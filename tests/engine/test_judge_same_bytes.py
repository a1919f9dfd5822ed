"""An observation reported in exactly the bytes of the answer key's is judged without being
read or walked again (grading/judge.py): a shortcut that must never change a verdict.
Generated values and per-case outcomes, judged both ways."""

from __future__ import annotations

import marshal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from grading.judge import Observation, decode, judge
from grading.kernel.inside.protocol import Report

SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-3, 3),
                    st.floats(allow_nan=True, width=16), st.text(max_size=3),
                    st.binary(max_size=2))
HASHABLE = st.recursive(SCALARS, lambda inner: st.tuples(inner, inner)
                        | st.frozensets(inner, max_size=3), max_leaves=5)
VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4)
                      | st.tuples(inner, inner) | st.dictionaries(HASHABLE, inner, max_size=3)
                      | st.sets(HASHABLE, max_size=3), max_leaves=12)
OUTCOMES = st.one_of(st.tuples(st.just("value"), VALUES),
                     st.tuples(st.just("raised"), st.sampled_from(["ValueError", "KeyError"])),
                     st.tuples(st.just("unplain"), st.text(max_size=3)),
                     st.tuples(st.just("timeout"), st.sampled_from([1.0, 2])),
                     st.tuples(st.just("skipped"), st.none()))


def _both_ways(value: Any, *, exact: bool, cases: tuple[str, ...] = ()) -> tuple[Any, Any]:
    data = marshal.dumps(value, 2)
    key = decode(Report(0, "value", data=data))
    same_bytes = decode(Report(0, "value", data=data), key)
    read_again = Observation(value=marshal.loads(data))
    return (judge(key, same_bytes, exact_types=exact, cases=cases),
            judge(Observation(value=key.value), read_again, exact_types=exact, cases=cases))


@settings(max_examples=120, deadline=None)
@given(VALUES, st.booleans())
def test_a_value_in_the_keys_own_bytes_gets_the_verdict_of_the_value(value: Any,
                                                                     exact: bool) -> None:
    shortcut, walked = _both_ways(value, exact=exact)
    assert shortcut == walked


@settings(max_examples=120, deadline=None)
@given(st.lists(st.tuples(OUTCOMES, st.text(min_size=1, max_size=3)), min_size=1, max_size=5),
       st.booleans(), st.booleans())
def test_cases_in_the_keys_own_bytes_get_the_verdict_of_the_cases(
        rows: list[tuple[Any, str]], exact: bool, one_label_too_many: bool) -> None:
    labels = tuple(label for _, label in rows) + (("x",) if one_label_too_many else ())
    shortcut, walked = _both_ways([outcome for outcome, _ in rows], exact=exact, cases=labels)
    assert shortcut == walked
