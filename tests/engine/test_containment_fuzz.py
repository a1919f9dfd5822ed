"""Generated hostile answers on real kernels: whatever values a check observes and whatever
messages the candidate's code sends, the submission is graded (never an exception in the
grader) and every other task keeps its exact score.

Each example is one submission, so one kernel; it carries a payload for each of the three
checks of `square` (or several messages), to keep the number of kernels modest in CI.
"""

from __future__ import annotations

import base64
import json
import marshal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from grading.engine import Grader
from grading.kernel.inside.protocol import FLOOD_MIME, OBSERVATION_MIME

from .conftest import assert_others_full, grade_with

FUZZ = settings(max_examples=12, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow, HealthCheck.data_too_large])

# -- values a check may observe ------------------------------------------------------------
lone_surrogates = st.integers(0xD800, 0xDFFF).map(chr)
texts = st.one_of(st.text(max_size=20), st.lists(st.one_of(st.text(max_size=3),
                                                           lone_surrogates,
                                                           st.just("\x00")),
                                                 max_size=6).map("".join))
huge_ints = st.builds(lambda digits, sign: sign * 10 ** digits + 7,
                      st.integers(4000, 60_000), st.sampled_from([1, -1]))
hashable_scalars = st.one_of(st.none(), st.booleans(), st.integers(), huge_ints,
                             st.floats(allow_nan=True, allow_infinity=True),
                             st.just(-0.0), st.complex_numbers(allow_nan=True,
                                                               allow_infinity=True),
                             texts, st.binary(max_size=20))
hashables = st.recursive(hashable_scalars,
                         lambda inner: st.one_of(st.lists(inner, max_size=4).map(tuple),
                                                 st.frozensets(inner, max_size=4)),
                         max_leaves=8)
values = st.recursive(
    hashables,
    lambda inner: st.one_of(st.lists(inner, max_size=4),
                            st.lists(inner, max_size=4).map(tuple),
                            st.dictionaries(hashables, inner, max_size=4),
                            st.sets(hashables, max_size=4),
                            st.frozensets(hashables, max_size=4)),
    max_leaves=20)


def _shared_dag(depth: int) -> bytes:
    """Marshal (format 4, with references) of a tuple holding its child twice per level:
    a few bytes that describe 2**depth tuples, inside a set so loading would hash them."""
    node: Any = (1,)
    for _ in range(depth):
        node = (node, node)
    # written by hand around the tuple: building the frozenset here would hash it
    return b">" + (1).to_bytes(4, "little") + marshal.dumps(node)


#: what one check observes: ("value", marshal bytes of a real value), ("deep", a nesting
#: depth built in the kernel), or ("forged", bytes the harness publishes as the value)
payloads = st.one_of(
    values.map(lambda value: ("value", marshal.dumps(value))),
    st.integers(150, 5000).map(lambda depth: ("deep", depth)),
    st.binary(max_size=64).map(lambda raw: ("forged", raw)),
    values.map(lambda value: ("forged", marshal.dumps(value, 4))),
    st.integers(30, 80).map(lambda depth: ("forged", _shared_dag(depth))),
    st.sampled_from([compile("1", "c", "eval"), ..., StopIteration]).map(
        lambda odd: ("forged", marshal.dumps(odd))),
)

ANSWER_WITH_PAYLOADS = '''
import base64, marshal, sys
_PAYLOADS = {PAYLOADS!r}
_harness = sys.modules["_workbook_harness"]
_real_dumps = _harness._dumps
_forged = []

def _dumps(value, *args):
    return _forged.pop() if _forged else _real_dumps(value, *args)

_harness._dumps = _dumps

def square(x):
    kind, arg = _PAYLOADS[x]
    if kind == "value":
        return marshal.loads(base64.b64decode(arg))
    if kind == "deep":
        value = []
        for _ in range(arg):
            value = [value]
        return value
    _forged.append(base64.b64decode(arg))
    return None
'''


def _answer(observed: list[tuple[str, Any]]) -> str:
    table = {}
    for argument, (kind, arg) in zip((3, -4, 0.5), observed, strict=True):
        table[argument] = (kind, base64.b64encode(arg).decode() if kind != "deep" else arg)
    return ANSWER_WITH_PAYLOADS.replace("{PAYLOADS!r}", repr(table))


@FUZZ
@given(observed=st.lists(payloads, min_size=3, max_size=3))
def test_any_observed_value_is_judged_and_costs_only_its_own_task(
        grader: Grader, observed: list[tuple[str, Any]]) -> None:
    results = grade_with(grader, "square", _answer(observed))

    square = results["square"]
    assert [check.name for check in square.checks] == ["small", "negative", "half"]
    for check in square.checks:
        assert check.passed or check.message, check
        assert "\ud800" not in check.message and "\x00" not in check.message
    assert_others_full(results, "square")


# -- messages the candidate's code sends -----------------------------------------------------
PARENT = "@PARENT@"
json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False),
              st.text(max_size=10)),
    lambda inner: st.one_of(st.lists(inner, max_size=3),
                            st.dictionaries(st.text(max_size=5), inner, max_size=3)),
    max_leaves=10)


def _deep(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


def _json(value: Any) -> bytes:
    return json.dumps(value).encode()


part_bytes = st.one_of(json_values.map(_json), st.binary(max_size=40),
                       st.integers(500, 200_000).map(_deep),
                       st.integers(4400, 20_000).map(lambda digits: b"1" * digits),
                       st.just(b'"\\ud800"'))
msg_types = st.one_of(st.sampled_from(["status", "display_data", "execute_result",
                                       "update_display_data", "stream", "error",
                                       "execute_reply", "clear_output"]),
                      st.text(max_size=8))
content_values = st.one_of(
    json_values,
    st.fixed_dictionaries({"execution_state": st.one_of(st.just("idle"), json_values)}),
    st.fixed_dictionaries({"data": st.one_of(
        json_values,
        st.fixed_dictionaries({OBSERVATION_MIME: json_values}),
        st.fixed_dictionaries({FLOOD_MIME: json_values}))}),
    st.fixed_dictionaries({"status": st.one_of(st.just("error"), json_values),
                           "ename": json_values, "evalue": json_values}),
)


@st.composite
def messages(draw: st.DrawFn) -> dict[str, Any]:
    """One message as the candidate's code will send it: its four JSON parts (each either
    well formed or not), whether it is signed with the kernel's key, and its frames."""
    header = draw(st.one_of(
        st.builds(lambda kind: _json({"msg_id": "forged", "msg_type": kind}), msg_types),
        part_bytes))
    parent = draw(st.one_of(st.just(PARENT.encode()), part_bytes))
    metadata = draw(st.one_of(st.just(b"{}"), part_bytes))
    content = draw(st.one_of(content_values.map(_json), part_bytes))
    signed = draw(st.booleans())
    delimited = draw(st.booleans() if not signed else st.just(True))
    return {"parts": [base64.b64encode(p).decode() for p in (header, parent, metadata,
                                                               content)],
            "signed": signed, "delimited": delimited}


ANSWER_SENDING = '''
import base64, json
_kernel = get_ipython().kernel
_parent = json.dumps(_kernel.get_parent()["header"], default=str).encode()
for _message in {MESSAGES!r}:
    _parts = [base64.b64decode(part) for part in _message["parts"]]
    _parts = [_parent if part == b"@PARENT@" else part for part in _parts]
    _signature = (_kernel.session.sign(_parts) if _message["signed"] else b"0" * 64)
    _frames = [b"forged"] + ([b"<IDS|MSG>"] if _message["delimited"] else []) + [_signature]
    _kernel.iopub_socket.send_multipart(_frames + _parts)

def square(x):
    return x * x
'''


@FUZZ
@given(sent=st.lists(messages(), min_size=1, max_size=4))
def test_any_message_from_the_kernel_costs_at_most_its_own_task(
        grader: Grader, sent: list[dict[str, Any]]) -> None:
    results = grade_with(grader, "square", ANSWER_SENDING.replace("{MESSAGES!r}", repr(sent)))

    square = results["square"]
    assert len(square.checks) == 3
    if square.points < square.max_points:
        assert square.events, "a lost point is explained by an event"
    assert_others_full(results, "square")
