"""Judging observations in the grader process: decode what a kernel reported, insist it is
plain data of exact built-in types, and compare it strictly with the answer key.

Strict means: the same exact types all the way down (True is not 1, a list is not a
tuple), dicts and sets compared as such (by typed keys), floats equal within a relative
tolerance of 1e-9 (NaN equals NaN). Numbers are the one exception: unless a check demands
exact types, an int and a float of the same value are equal (1 == 1.0), so an answer of
the right magnitude but another numeric type loses only the check about types. Nothing
from the kernel is called: values are rebuilt here from marshal bytes that
`plain_marshal` checked first (no references, no code, bounded depth), then walked by
type, so an object that claims to equal everything cannot even arrive, and no value,
however odd (NaN, -0.0, ints of a million digits, text with lone surrogates, sets of mixed
types), can make judging or describing it fail.

A check may observe many cases at once (generated inputs): its observation is then a list
of per-case outcomes, ("value", v), ("raised", type name), ("unplain", what), ("timeout",
seconds) or ("skipped", None) (not run after a timeout), and `judge` names the case that
did not return, else the smallest case that differs, by the label the task gave it, or
the smaller case the shrinker found from it (`Shrunk`).
"""

from __future__ import annotations

import ast
import math
import re
import reprlib
from dataclasses import dataclass, field
from typing import Any

from grading.kernel.inside.protocol import Report
from grading.plain_marshal import NotPlain, loads_plain
from grading.text import one_line

REL_TOLERANCE = 1e-9
#: ints with more bits than this are described by their size, not their digits (Python
#: refuses to print ints of more than 4300 digits, and a reviewer cannot read them anyway)
_LONGEST_INT_BITS = 3000


class _SafeRepr(reprlib.Repr):
    def repr_int(self, x: int, level: int) -> str:
        if x.bit_length() > _LONGEST_INT_BITS:
            return f"<int of about {int(x.bit_length() * 0.30103) + 1} digits>"
        return super().repr_int(x, level)

    def repr_str(self, x: str, level: int) -> str:
        return one_line(super().repr_str(x, level), 200)


_repr = _SafeRepr()
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
    #: the marshal bytes `value` was read from (checked plain data), when it came from a
    #: kernel: equal bytes are an equal value, judged without walking it
    data: bytes = field(default=b"", compare=False, repr=False)

    def describe(self) -> str:
        if self.raised is not None:
            return f"{self.raised}: {self.message}" if self.message else self.raised
        return f"{type(self.value).__name__} {short_repr(self.value)}"


class BadObservation(ValueError):
    """A report that is not plain data (or not a well-formed report at all)."""


_SCALARS = (type(None), bool, int, float, complex, str, bytes)
_CONTAINERS = (tuple, list, set, frozenset, dict)
_MAX_DEPTH = 200


def plain_data_problem(value: Any) -> str | None:
    """Why `value` (built in this process) is not plain data of exact built-in types, or
    None if it is. Observations from a kernel are checked on their bytes instead
    (`plain_marshal`), before they become values."""
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


def unplain_message(kind: str, plain_base: str = "", where: str = "", *,
                    lead: str = "the value holds ") -> str:
    """Why a value that is not plain data cannot be judged, in the candidate's terms."""
    at = f" at {where}" if where else ""
    if plain_base and plain_base != kind:
        return (f"{lead}a {kind}{at}, where a plain {plain_base} is expected ({kind} is a "
                f"{plain_base} subclass)")
    return (f"{lead}a {kind}{at}, which is not plain data (numbers, strings, lists, tuples, "
            "sets, dicts)")


def decode(report: Report, known: Observation | None = None) -> Observation:
    """Turn a check's report into an Observation; BadObservation if it is not plain data.
    A report of exactly the bytes `known` (the answer key's observation) was read from is
    that observation: those bytes were checked when the key was made."""
    if report.status in ("raised", "setup-raised"):
        return Observation(raised=one_line(report.type, 200),
                           message=one_line(report.message, 2000))
    if report.status == "unplain":
        # the harness names the first item that is not plain data and where it sits
        kind = one_line(report.inner or report.type, 100)
        raise BadObservation(unplain_message(kind, one_line(report.base, 20),
                                             one_line(report.path, 200)))
    if report.status != "value":
        raise BadObservation("malformed report from the kernel")
    if known is not None and known.data and known.data == report.data:
        return known
    try:
        value = loads_plain(report.data)
    except NotPlain as error:
        raise BadObservation(f"the check's value is not plain data: {error}") from None
    return Observation(value=value, data=report.data)


def _typed_key(value: Any, exact: bool = True) -> Any:
    """A hashable key that keeps exact types apart (so {1} and {True} differ); unless
    `exact`, an int and a float of the same value share a key."""
    kind = type(value)
    if kind in (tuple, list):
        return (kind.__name__, tuple(_typed_key(item, exact) for item in value))
    if kind in (set, frozenset):
        return (kind.__name__, frozenset(_typed_key(item, exact) for item in value))
    if kind is dict:
        return ("dict", frozenset((_typed_key(k, exact), _typed_key(v, exact))
                                  for k, v in value.items()))
    if kind is float and math.isnan(value):
        return ("float", "nan")
    if not exact and kind is float and value.is_integer():
        return ("number", int(value))
    if not exact and kind in (int, float):
        return ("number", value)
    return (kind.__name__, value)


def _numbers_equal(expected: Any, actual: Any) -> bool:
    """An int and a float, equal in value (within the float tolerance)."""
    try:
        return _close(float(expected), float(actual))
    except OverflowError:  # an int too large for a float: only an exact match will do
        return bool(expected == actual)


def _close(expected: float, actual: float) -> bool:
    if math.isnan(expected) or math.isnan(actual):
        return math.isnan(expected) and math.isnan(actual)
    return math.isclose(expected, actual, rel_tol=REL_TOLERANCE, abs_tol=0.0)


def difference(expected: Any, actual: Any, path: str = "", *,
               exact_types: bool = True) -> str | None:
    """Where and how `actual` differs from `expected` (both plain data), or None. Unless
    `exact_types`, an int and a float of the same value do not differ."""
    found = _difference(expected, actual, exact_types)
    if found is None:
        return None
    head, steps, tail = found
    where = path + "".join(reversed(steps))
    return f"{head} at {where}{tail}" if where else f"{head}{tail}"


#: how two values differ: the message before and after the place (" at [1]['k']"), and the
#: steps to that place, innermost first; text is made only once a difference is found, so
#: comparing equal values (the common case) costs no repr
_Found = tuple[str, list[str], str]


def _difference(expected: Any, actual: Any, exact_types: bool) -> _Found | None:
    numeric = (int, float)
    if (not exact_types and type(expected) is not type(actual)
            and type(expected) in numeric and type(actual) in numeric):
        if _numbers_equal(expected, actual):
            return None
        return f"expected {short_repr(expected)}, got {short_repr(actual)}", [], ""
    if type(expected) is not type(actual):
        right_value = (type(expected) in numeric and type(actual) in numeric
                       and _numbers_equal(expected, actual))
        return (f"expected {type(expected).__name__} {short_repr(expected)}, got "
                f"{type(actual).__name__} {short_repr(actual)}", [],
                (f": the right value, but this check demands an exact "
                 f"{type(expected).__name__}" if right_value else ""))
    kind = type(expected)
    if kind is float:
        same = _close(expected, actual)
    elif kind is complex:
        same = _close(expected.real, actual.real) and _close(expected.imag, actual.imag)
    elif kind in (list, tuple):
        if len(expected) != len(actual):
            return (f"expected {short_repr(expected)} ({len(expected)} items), got "
                    f"{short_repr(actual)} ({len(actual)} items)", [], "")
        for index, (e, a) in enumerate(zip(expected, actual, strict=True)):
            found = _difference(e, a, exact_types)
            if found:
                found[1].append(f"[{index}]")
                return found
        return None
    elif kind is dict:
        expected_keys = {_typed_key(k, exact_types): k for k in expected}
        actual_keys = {_typed_key(k, exact_types): k for k in actual}
        if expected_keys.keys() != actual_keys.keys():
            missing = [expected_keys[k] for k in expected_keys.keys() - actual_keys.keys()]
            extra = [actual_keys[k] for k in actual_keys.keys() - expected_keys.keys()]
            return (f"expected keys {short_repr(sorted(map(short_repr, expected)))}, got "
                    f"{short_repr(sorted(map(short_repr, actual)))} (missing "
                    f"{short_repr(missing)}, unexpected {short_repr(extra)})", [], "")
        for key, original in expected_keys.items():
            found = _difference(expected[original], actual[actual_keys[key]], exact_types)
            if found:
                found[1].append(f"[{short_repr(original)}]")
                return found
        return None
    elif kind in (set, frozenset):
        same = ({_typed_key(v, exact_types) for v in expected}
                == {_typed_key(v, exact_types) for v in actual})
    else:
        same = expected == actual
    if same:
        return None
    return f"expected {short_repr(expected)}, got {short_repr(actual)}", [], ""


def judge(expected: Observation, actual: Observation, *, exact_types: bool = True,
          cases: tuple[str, ...] = (), shrunk: Shrunk | None = None) -> str | None:
    """None when `actual` matches the answer key, else what a reviewer should read. With
    `cases` (one label per generated input), both observations are lists of per-case
    outcomes and the message names the smallest case that differs."""
    if expected.data and expected.data == actual.data and (
            not cases or _plainly_judged(expected.value, len(cases))):
        return None  # the same bytes: the same value, which matches itself
    if expected.raised is not None:
        if actual.raised == expected.raised:
            return None
        return f"expected {expected.raised} to be raised, got {actual.describe()}"
    if actual.raised is not None:
        return (f"expected {type(expected.value).__name__} {short_repr(expected.value)}, "
                f"but it raised {actual.describe()}")
    if cases:
        return judge_cases(expected.value, actual.value, cases, exact_types=exact_types,
                           shrunk=shrunk)
    return difference(expected.value, actual.value, exact_types=exact_types)


_OUTCOMES = ("value", "raised", "unplain", "timeout", "skipped")


class _Substitute(ast.NodeTransformer):
    """Write drawn values in place of the names they are bound to."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.values = values

    def visit_Name(self, node: ast.Name) -> ast.AST:
        if isinstance(node.ctx, ast.Load) and node.id in self.values:
            return ast.Name(id=repr(self.values[node.id]), ctx=ast.Load())
        return node


def case_label(code: str, inputs: tuple[str, ...], case: dict[str, Any],
               limit: int = 400) -> str:
    """A property's call with a case's values written in: `merge([(1, 3), (3, 3)])` when
    its code is one expression, else `capacity = 2, ops = [...]`."""
    tree = ast.parse(code)
    if len(tree.body) == 1 and isinstance(tree.body[0], ast.Expr):
        label = ast.unparse(_Substitute(case).visit(tree.body[0].value))
    else:
        label = ", ".join(f"{name} = {case[name]!r}" for name in inputs)
    return label if len(label) <= limit else label[:limit - 1] + "…"


@dataclass(frozen=True)
class Shrunk:
    """A smaller differing case the shrinker found: its label, the reference's and the
    answer's outcomes on it, and whether the shrinker finished (else its budget ran out)."""

    label: str
    expected: Any
    actual: Any
    finished: bool


def _plain_text(value: Any) -> str:
    """A case's detail as text: itself when it is text, else its short repr (never str(),
    which fails on ints too long to print)."""
    return one_line(value, 200) if type(value) is str else short_repr(value)


def _outcome_text(outcome: Any) -> str:
    kind, detail = outcome
    if kind == "raised":
        return f"{_plain_text(detail)} raised"
    if kind == "unplain":
        parts = [_plain_text(part) for part in detail] if type(detail) is tuple else [
            _plain_text(detail)]
        return unplain_message(*parts[:3], lead="")
    return f"`{short_repr(detail)}`"


def _seconds(detail: Any) -> str:
    return f"{detail:g}" if type(detail) in (int, float) else "its time bound of"


def case_difference(expected: Any, actual: Any, exact_types: bool) -> str | None:
    """How one case's outcome differs, or None. Both are (kind, detail) pairs; a case
    not run ("skipped") differs from nothing (the case that did not return is named)."""
    if "skipped" in (expected[0], actual[0]):
        return None
    if expected[0] == "timeout":
        return (f"the reference did not return within {_seconds(expected[1])} s "
                "(a bank error)")
    if actual[0] == "timeout":
        return f"the call did not return within {_seconds(actual[1])} s"
    if expected[0] != actual[0]:
        return f"expected {_outcome_text(expected)}, got {_outcome_text(actual)}"
    if expected[0] == "raised":
        return None if expected[1] == actual[1] else (
            f"expected {_plain_text(expected[1])} to be raised, got {_plain_text(actual[1])}")
    if expected[0] == "unplain":
        return f"the reference's value is not plain data: {_outcome_text(expected)} (a bank error)"
    found = difference(expected[1], actual[1], exact_types=exact_types)
    if found is None:
        return None
    where = found.rpartition(" at ")[2] if " at [" in found else ""
    return (f"expected {_outcome_text(expected)}, got {_outcome_text(actual)}"
            + (f" (differs at {where})" if where else ""))


def _well_formed_case(item: Any) -> bool:
    return type(item) is tuple and len(item) == 2 and item[0] in _OUTCOMES


def _plainly_judged(value: Any, count: int) -> bool:
    """Whether outcomes equal to these cases match them: a well-formed list whose cases
    all returned, raised or were not run (one that hung or is not plain data is a bank
    error, reported even when the answer does the same)."""
    return _well_formed_cases(value, count) and all(
        outcome[0] in ("value", "raised", "skipped") for outcome in value)


def _well_formed_cases(value: Any, count: int) -> bool:
    return type(value) is list and len(value) == count and all(map(_well_formed_case, value))


def _case_differs(expected: Any, actual: Any, exact_types: bool) -> bool:
    """Whether `case_difference` finds a difference, without describing it (describing
    every differing case, where one is named, cost most of the grader's time on a decoy
    that fails all of its hundred inputs)."""
    if "skipped" in (expected[0], actual[0]):
        return False
    if "timeout" in (expected[0], actual[0]) or expected[0] != actual[0]:
        return True
    if expected[0] == "raised":
        return bool(expected[1] != actual[1])
    if expected[0] == "unplain":
        return True
    return _difference(expected[1], actual[1], exact_types) is not None


def differing_cases(expected: Any, actual: Any, labels: tuple[str, ...], *,
                    exact_types: bool = True) -> list[tuple[int, int]] | None:
    """(label length, index) of every case that differs, smallest first; None when
    either list of outcomes is malformed. `case_difference` says how one differs."""
    if not (_well_formed_cases(expected, len(labels))
            and _well_formed_cases(actual, len(labels))):
        return None
    return sorted((len(labels[index]), index)
                  for index, (want, got) in enumerate(zip(expected, actual, strict=True))
                  if _case_differs(want, got, exact_types))


def shrink_start(expected: Observation, actual: Observation, labels: tuple[str, ...], *,
                 exact_types: bool = True) -> int | None:
    """The index of the case to shrink from (the smallest that differs), or None when
    nothing is to be shrunk: no difference, or a case that did not return (a hang is
    named as drawn, never shrunk)."""
    if expected.raised is not None or actual.raised is not None:
        return None
    differing = differing_cases(expected.value, actual.value, labels,
                                exact_types=exact_types)
    if not differing or any(actual.value[index][0] == "timeout" for _, index in differing):
        return None
    return differing[0][1]


def judge_cases(expected: Any, actual: Any, labels: tuple[str, ...], *,
                exact_types: bool = True, shrunk: Shrunk | None = None) -> str | None:
    """Compare per-case outcomes; name the case that did not return if any, else the
    smallest differing case (by its label's length: generated inputs are plain data, so a
    shorter label is a smaller input), or the smaller one `shrunk` found from it."""
    if not _well_formed_cases(expected, len(labels)):
        return "the answer key of this generated-input check is malformed (a bank error)"
    if not _well_formed_cases(actual, len(labels)):
        return ("the generated inputs did not all run: the answer replaced or broke the "
                "code that runs them")
    differing = differing_cases(expected, actual, labels, exact_types=exact_types) or []
    if not differing:
        return None
    hung = [index for _, index in differing if actual[index][0] == "timeout"]
    if hung:
        index = hung[0]
        found = case_difference(expected[index], actual[index], exact_types)
        skipped = sum(outcome[0] == "skipped" for outcome in actual)
        after = (f"; the {skipped} inputs after it were not run" if skipped > 1 else
                 "; the input after it was not run" if skipped else "")
        return f"for `{labels[index]}` {found}{after}"
    _, index = differing[0]
    found = case_difference(expected[index], actual[index], exact_types)
    share = (f"{len(differing)} of {len(labels)} generated inputs differ"
             if len(differing) > 1 else f"1 of {len(labels)} generated inputs differs")
    if shrunk is not None:
        smaller = case_difference(shrunk.expected, shrunk.actual, exact_types)
        if smaller is not None and "bank error" not in smaller:
            how = ("shrunk from a drawn input" if shrunk.finished else
                   "not fully shrunk: the shrinking budget ran out")
            return f"for `{shrunk.label}` {smaller} ({share}; {how})"
    return f"for `{labels[index]}` {found} ({share})"


# -- one mistake, several checks -----------------------------------------------------------
# A failure message says what went wrong in a few recognisable shapes. When several failed
# checks of one task share the same shape and the same particulars (the same exception
# with the same message, the same non-plain type, the same time limit), they fail for one
# reason, and the reader should see that rather than count it as several mistakes.
_CAUSES = (
    (re.compile(r"raised (?P<what>[A-Za-z_][\w.]*(?:: [^\n]{0,120})?)"), "raises {what}"),
    (re.compile(r"holds a (?P<what>[\w.]+)(?: at \S+)?, where a plain (?P<base>\w+)"),
     "returns a {what} where a plain {base} is expected"),
    (re.compile(r"holds a (?P<what>[\w.]+)(?: at \S+)?, which is not plain data"),
     "returns a {what}, which is not plain data"),
    (re.compile(r"ran longer than (?P<what>[\d.]+ s)"), "runs longer than {what}"),
    (re.compile(r"did not return within (?P<what>[\d.]+ s)"),
     "does not return within {what} on a generated input"),
    (re.compile(r"kernel died"), "crashes the kernel"),
)


def cause_of(message: str) -> str | None:
    """The root cause a failure message names, in a form shared by every check it fails,
    or None when the message is about the check's own case (a wrong value)."""
    for pattern, template in _CAUSES:
        found = pattern.search(message)
        if found:
            return template.format(**found.groupdict())
    return None


def shared_causes(failures: list[tuple[str, str]]) -> list[tuple[str, list[str]]]:
    """Causes that fail more than one check: (cause, check names), from (name, message)
    pairs of failed checks, in order of first appearance."""
    groups: dict[str, list[str]] = {}
    for name, message in failures:
        cause = cause_of(message)
        if cause is not None:
            groups.setdefault(cause, []).append(name)
    return [(cause, names) for cause, names in groups.items() if len(names) > 1]


_COUNTEREXAMPLE = re.compile(
    r"\b[Ff]or `(?P<call>[^`]{1,400})` (?:expected|the reference|the call did not return)")


def counterexample(message: str) -> str | None:
    """The generated input a failure message names (`judge_cases` writes it), or None."""
    found = _COUNTEREXAMPLE.search(message)
    return found.group("call") if found else None
