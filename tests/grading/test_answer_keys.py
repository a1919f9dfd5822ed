"""The answer key outlives the run: kept in the gradebook by the digest of what made it,
signed with the gradebook's key, so a second run on the same bank runs no reference again,
while an edited key or a changed bank is made afresh. Real kernels, a real SQLite file."""

from __future__ import annotations

import marshal
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import update

from grading.answer_keys import AnswerKeyCache, key_digest
from grading.config import GradingConfig
from grading.engine import Grader
from grading.gradebook import Gradebook
from grading.gradebook.models import AnswerKeyRow
from grading.kernel.starter import ZygoteKernel, ZygoteStarter
from grading.tasks import Check, Task

TRIPLE = Task(
    id="triple",
    reference="def triple(x):\n    return 3 * x\n",
    hidden_checks=(Check(name="small", code="triple(2)", points=1),
                   Check(name="text", code="triple('ab')", points=1)),
    timeout=5.0,
)


@pytest.fixture
def kernels_started(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """How many kernels the Graders of a test start."""
    started: list[int] = []
    original = ZygoteStarter.start

    def counting(self: ZygoteStarter, uid: int) -> ZygoteKernel:
        started.append(uid)
        return original(self, uid)

    monkeypatch.setattr(ZygoteStarter, "start", counting)
    yield started


def _expected(gradebook: Gradebook, task: Task = TRIPLE) -> dict[str, object]:
    # a cache of its own each time: only the gradebook carries a key from one to the next
    with Grader([task], config=GradingConfig(), answer_keys=AnswerKeyCache(),
                stored_keys=gradebook) as grader:
        return {name: seen.value for name, seen in grader.expected(task.id).items()}


def test_a_second_run_reads_the_answer_key_and_starts_no_kernel(
        tmp_path: Path, kernels_started: list[int]) -> None:
    with Gradebook.open(tmp_path / "gradebook.sqlite") as gradebook:
        first = _expected(gradebook)
        assert len(kernels_started) == 1
    with Gradebook.open(tmp_path / "gradebook.sqlite") as gradebook:
        assert _expected(gradebook) == first == {"small": 6, "text": "ababab"}
    assert len(kernels_started) == 1


def test_an_answer_key_edited_in_the_gradebook_is_made_again(
        tmp_path: Path, kernels_started: list[int]) -> None:
    with Gradebook.open(tmp_path / "gradebook.sqlite") as gradebook:
        _expected(gradebook)
        forged = marshal.dumps({"triple": {1: (7, None, ""), 2: ("x", None, "")}}, 2)
        with gradebook.transaction("forge a key") as session:
            session.execute(update(AnswerKeyRow).values(data=forged))
        assert _expected(gradebook) == {"small": 6, "text": "ababab"}
        assert len(kernels_started) == 2
        assert gradebook.answer_key(key_digest([TRIPLE])) is not None  # kept again, signed
        assert _expected(gradebook) == {"small": 6, "text": "ababab"}
        assert len(kernels_started) == 2


def test_a_changed_reference_or_check_is_another_key(
        tmp_path: Path, kernels_started: list[int]) -> None:
    changed_reference = replace(TRIPLE, reference="def triple(x):\n    return x + x + x\n")
    changed_check = replace(TRIPLE, hidden_checks=(
        Check(name="small", code="triple(5)", points=1), TRIPLE.hidden_checks[1]))
    with Gradebook.open(tmp_path / "gradebook.sqlite") as gradebook:
        _expected(gradebook)
        assert _expected(gradebook, changed_reference) == {"small": 6, "text": "ababab"}
        assert _expected(gradebook, changed_check) == {"small": 15, "text": "ababab"}
        assert len(kernels_started) == 3
