"""Messages an answer sends on its kernel's own sockets are read through the protocol: each
that breaks it costs the step that was running (its task, for an answer cell) with a
protocol-violation event, and nothing else."""

from __future__ import annotations

import base64
import json

import pytest

from grading.engine import Grader
from grading.kernel.inside.protocol import OBSERVATION_MIME
from grading.results import EventKind

from .conftest import assert_others_full, grade_with
from .test_containment_fuzz import ANSWER_SENDING, PARENT


def _message(content: bytes, *, header: bytes | None = None, parent: bytes = PARENT.encode(),
             signed: bool = True) -> dict[str, object]:
    header = header or json.dumps({"msg_id": "forged", "msg_type": "display_data"}).encode()
    return {"parts": [base64.b64encode(part).decode()
                      for part in (header, parent, b"{}", content)],
            "signed": signed, "delimited": True}


OBSERVATION = json.dumps({"data": {OBSERVATION_MIME: {"nonce": "guess", "index": 0,
                                                      "status": "done"}}}).encode()
BROKEN = {
    "an unsigned message": _message(b'{"data": {}}', signed=False),
    "JSON nested a hundred thousand deep": _message(b"[" * 100_000 + b"]" * 100_000),
    "an int of twenty thousand digits": _message(b'{"data": ' + b"1" * 20_000 + b"}"),
    "text that is not UTF-8": _message(b'{"data": "\xff\xfe"}'),
    "a status whose state is a list": _message(
        b'{"execution_state": []}',
        header=json.dumps({"msg_id": "f", "msg_type": "status"}).encode()),
    "a parent header that is a list": _message(b'{"data": {}}', parent=b"[1, 2]"),
    "a report with a guessed nonce": _message(OBSERVATION),
    "display data that is a string": _message(b'{"data": "text"}'),
}


@pytest.mark.parametrize("name", list(BROKEN))
def test_a_message_that_breaks_the_protocol_costs_only_its_own_task(
        grader: Grader, name: str) -> None:
    results = grade_with(grader, "square",
                         ANSWER_SENDING.replace("{MESSAGES!r}", repr([BROKEN[name]])))

    square = results["square"]
    assert square.points == 0
    assert [event.kind for event in square.events] == [EventKind.PROTOCOL]
    assert "broke the grading protocol" in square.events[0].detail
    assert_others_full(results, "square")


def test_a_well_formed_message_for_another_request_is_ignored(grader: Grader) -> None:
    other = json.dumps({"msg_id": "someone-else", "msg_type": "execute_request"}).encode()
    results = grade_with(grader, "square", ANSWER_SENDING.replace(
        "{MESSAGES!r}", repr([_message(b'{"data": {}}', parent=other)])))

    assert results["square"].points == results["square"].max_points


def test_a_check_whose_exception_message_holds_lone_surrogates_is_reported_as_raised(
        grader: Grader) -> None:
    results = grade_with(grader, "square", (
        "def square(x):\n    raise ValueError('\\udcff' * 3000)\n"))

    square = results["square"]
    assert [event.kind for event in square.events] == []
    assert all("but it raised ValueError: \\udcff" in check.message
               for check in square.checks), square.checks
