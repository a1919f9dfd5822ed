"""Judging observations in the grader process: decode what a kernel reported, insist it is
plain data of exact built-in types, and compare it strictly with the answer key.

Strict means: the same exact types all the way down (True is not 1, 1 is not 1.0, a list
is not a tuple), dicts and sets compared as such (by typed keys), floats equal within a
relative tolerance of 1e-9 (NaN equals NaN). Nothing from the kernel is called: values are
rebuilt here by `marshal.loads` from bytes, then walked by type, so an object that claims
to equal everything cannot even arrive.
"""

from __future__ import annotations

import base64
import binascii
import marshal
import math
import reprlib
from dataclasses import dataclass
from typing import Any

REL_TOLERANCE = 1e-9
_SCALARS = (type(None), bool, int, float, complex, str, bytes)
_CONTAINERS = (tuple, list, set, frozenset, dict)
_MAX_DEPTH = 200
_repr = reprlib.Repr()
_repr.maxstring = 80
_repr.maxother = 80
_repr.maxlist = _repr.maxtuple = _repr.maxset = _repr.maxfrozenset = _repr.maxdict = 8
_repr.maxlevel = 4


def short_repr(value: Any) -> str:
    """A repr short enough for a results table."""
    return _repr.repr(value)


@dataclass(frozen=True)
class Observation:
    """What one check saw: a value, or the exception its code raised."""

    value: Any = None
    raised: str | None = None  # exception type name when the check raised
    message: str = ""

    def describe(self) -> str:
        if self.raised is not None:
            return f"{self.raised}: {self.message}" if self.message else self.raised
        return f"{type(self.value).__name__} {short_repr(self.value)}"


class BadObservation(ValueError):
    """A report that is not plain data (or not a well-formed report at all)."""


def plain_data_problem(value: Any) -> str | None:
    """Why `value` is not plain data of exact built-in types, or None if it is."""
    on_path: set[int] = set()

    def walk(item: Any, depth: int) -> str | None:
        kind = type(item)
        if kind in _SCALARS:
            return None
        if kind not in _CONTAINERS:
            return f"{kind.__name__} is not a plain built-in type"
        if depth > _MAX_DEPTH:
            return "nested too deeply"
        if id(item) in on_path:
            return "contains itself"
        on_path.add(id(item))
        children = [*item.keys(), *item.values()] if kind is dict else list(item)
        for child in children:
            problem = walk(child, depth + 1)
            if problem:
                return problem
        on_path.discard(id(item))
        return None

    return walk(value, 0)


def decode(payload: dict[str, Any]) -> Observation:
    """Turn a harness report into an Observation; BadObservation if it is not plain data."""
    status = payload.get("status")
    if status in ("raised", "setup-raised"):
        return Observation(raised=str(payload.get("type", "Exception"))[:200],
                           message=str(payload.get("message", ""))[:2000])
    if status == "unplain":
        raise BadObservation(f"the check's value is a {str(payload.get('type'))[:100]}, "
                             f"not plain data")
    if status != "value" or not isinstance(payload.get("data"), str):
        raise BadObservation("malformed report from the kernel")
    try:
        value = marshal.loads(base64.b64decode(payload["data"], validate=True))
    except (binascii.Error, ValueError, EOFError, TypeError) as error:
        raise BadObservation(f"undecodable value ({error})") from None
    problem = plain_data_problem(value)
    if problem:
        raise BadObservation(f"the check's value is not plain data: {problem}")
    return Observation(value=value)


def _typed_key(value: Any) -> Any:
    """A hashable key that keeps exact types apart (so {1} and {True} differ)."""
    kind = type(value)
    if kind in (tuple, list):
        return (kind.__name__, tuple(_typed_key(item) for item in value))
    if kind in (set, frozenset):
        return (kind.__name__, frozenset(_typed_key(item) for item in value))
    if kind is dict:
        return ("dict", frozenset((_typed_key(k), _typed_key(v)) for k, v in value.items()))
    if kind is float and math.isnan(value):
        return ("float", "nan")
    return (kind.__name__, value)


def _close(expected: float, actual: float) -> bool:
    if math.isnan(expected) or math.isnan(actual):
        return math.isnan(expected) and math.isnan(actual)
    return math.isclose(expected, actual, rel_tol=REL_TOLERANCE, abs_tol=0.0)


def difference(expected: Any, actual: Any, path: str = "") -> str | None:
    """Where and how `actual` differs from `expected` (both plain data), or None."""
    where = f" at {path}" if path else ""
    if type(expected) is not type(actual):
        return (f"expected {type(expected).__name__} {short_repr(expected)}, got "
                f"{type(actual).__name__} {short_repr(actual)}{where}")
    kind = type(expected)
    if kind is float:
        same = _close(expected, actual)
    elif kind is complex:
        same = _close(expected.real, actual.real) and _close(expected.imag, actual.imag)
    elif kind in (list, tuple):
        if len(expected) != len(actual):
            return (f"expected {short_repr(expected)} ({len(expected)} items), got "
                    f"{short_repr(actual)} ({len(actual)} items){where}")
        for index, (e, a) in enumerate(zip(expected, actual, strict=True)):
            found = difference(e, a, f"{path}[{index}]")
            if found:
                return found
        return None
    elif kind is dict:
        expected_keys = {_typed_key(k): k for k in expected}
        actual_keys = {_typed_key(k): k for k in actual}
        if expected_keys.keys() != actual_keys.keys():
            missing = [expected_keys[k] for k in expected_keys.keys() - actual_keys.keys()]
            extra = [actual_keys[k] for k in actual_keys.keys() - expected_keys.keys()]
            return (f"expected keys {short_repr(sorted(map(repr, expected)))}, got "
                    f"{short_repr(sorted(map(repr, actual)))} (missing "
                    f"{short_repr(missing)}, unexpected {short_repr(extra)}){where}")
        for key, original in expected_keys.items():
            found = difference(expected[original], actual[actual_keys[key]],
                               f"{path}[{original!r}]")
            if found:
                return found
        return None
    elif kind in (set, frozenset):
        same = {_typed_key(v) for v in expected} == {_typed_key(v) for v in actual}
    else:
        same = expected == actual
    if same:
        return None
    return f"expected {short_repr(expected)}, got {short_repr(actual)}{where}"


def judge(expected: Observation, actual: Observation) -> str | None:
    """None when `actual` matches the answer key, else what a reviewer should read."""
    if expected.raised is not None:
        if actual.raised == expected.raised:
            return None
        return f"expected {expected.raised} to be raised, got {actual.describe()}"
    if actual.raised is not None:
        return (f"expected {type(expected.value).__name__} {short_repr(expected.value)}, "
                f"but it raised {actual.describe()}")
    return difference(expected.value, actual.value)
