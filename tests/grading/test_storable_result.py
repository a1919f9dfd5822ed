"""Every text of a result is made storable before it is recorded (grading.batch.
storable_result): lone surrogates and NUL, from file names, notebook JSON or kernel
messages, become escapes wherever they are; a result with nothing to change is passed on
as it is, and nothing but text changes. Generated results (Hypothesis)."""

from __future__ import annotations

import re
from dataclasses import fields
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from grading.batch import storable_result
from grading.results import (
    CheckResult,
    Event,
    EventKind,
    SubmissionResult,
    SubmissionStatus,
    TaskResult,
)

UNSTORABLE = re.compile("[\x00\ud800-\udfff]")

#: text as it can reach the grader: mostly plain, sometimes with NUL or lone surrogates
texts = st.one_of(st.text(max_size=30),
                  st.text(alphabet=st.sampled_from(["a", "\x00", "\ud800", "\udfff", "é"]),
                          max_size=8))
events = st.builds(Event, kind=st.sampled_from(list(EventKind)), detail=texts,
                   task_id=st.none() | texts)
checks = st.builds(CheckResult, name=texts, passed=st.booleans(),
                   points=st.integers(0, 5), max_points=st.integers(0, 5), message=texts,
                   hidden=st.booleans())
tasks = st.builds(TaskResult, task_id=texts, points=st.integers(0, 9),
                  max_points=st.integers(0, 9), checks=st.tuples(*[checks] * 2) | st.just(()),
                  public_checks=st.lists(checks, max_size=2).map(tuple),
                  events=st.lists(events, max_size=2).map(tuple), answer=texts)
results = st.builds(SubmissionResult, candidate=texts, source=texts,
                    content_hash=st.just("0" * 64),
                    status=st.sampled_from(list(SubmissionStatus)),
                    tasks=st.lists(tasks, max_size=3).map(tuple),
                    events=st.lists(events, max_size=3).map(tuple))


def _texts_and_rest(value: Any) -> tuple[list[str], list[Any]]:
    """Every string inside a result, and everything else, in a fixed order."""
    found: list[str] = []
    rest: list[Any] = []

    def walk(item: Any) -> None:
        if isinstance(item, str):
            found.append(item)
        elif isinstance(item, tuple):
            rest.append(len(item))
            for part in item:
                walk(part)
        elif hasattr(item, "__dataclass_fields__"):
            rest.append(type(item))
            for spec in fields(item):
                walk(getattr(item, spec.name))
        else:
            rest.append(item)

    walk(value)
    return found, rest


@given(results)
def test_every_text_of_a_result_is_storable_and_nothing_else_changes(
        result: SubmissionResult) -> None:
    stored = storable_result(result)
    before, rest_before = _texts_and_rest(result)
    after, rest_after = _texts_and_rest(stored)
    assert rest_after == rest_before
    assert len(after) == len(before)
    assert not [text for text in after if UNSTORABLE.search(text)]
    for old, new in zip(before, after, strict=True):
        if not UNSTORABLE.search(old) and len(old) <= 200:
            assert new == old
    assert storable_result(stored) == stored


@given(results)
def test_a_result_with_nothing_to_change_is_passed_on_as_it_is(
        result: SubmissionResult) -> None:
    texts_in, _rest = _texts_and_rest(result)
    if any(UNSTORABLE.search(text) for text in texts_in) or len(result.candidate) > 200:
        return
    assert storable_result(result) is result
