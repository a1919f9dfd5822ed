"""The answer key outlives the run: kept in the gradebook by the digest of what made it,
signed with the gradebook's key, so a second run on the same bank runs no reference again,
while an edited key or a changed bank is made afresh. Real kernels, a real SQLite file."""

from __future__ import annotations

import marshal
import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import update

from grading.answer_keys import AnswerKeyCache, key_digest
from grading.config import GradingConfig
from grading.engine import Grader
from grading.errors import AnswerKeyError
from grading.gradebook import Gradebook
from grading.gradebook.models import AnswerKeyRow
from grading.kernel.starter import ZygoteKernel, ZygoteStarter
from grading.tasks import Answer, Check, Task

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


class _GatedKeys:
    """Stored answer keys that keep none, and answer the look-up only once the first
    submission has been handed to a kernel: a grader that waited for its key before
    grading would never get there (the gate then gives up and says so)."""

    def __init__(self) -> None:
        self.submission_taken = threading.Event()
        self.overlapped: bool | None = None

    def answer_key(self, _digest: str) -> bytes | None:
        self.overlapped = self.submission_taken.wait(timeout=60)
        return None

    def keep_answer_key(self, _digest: str, _data: bytes) -> None:
        return None


def test_with_the_key_in_background_submissions_run_while_the_key_is_built() -> None:
    gate = _GatedKeys()
    answers = {"right": "def triple(x):\n    return x * 3\n",
               "wrong": "def triple(x):\n    return x + 3\n"}

    def items() -> Iterator[tuple[str, list[Answer]]]:
        for name, code in answers.items():
            gate.submission_taken.set()
            yield name, [Answer(task_id="triple", code=code)]

    with Grader([TRIPLE], config=GradingConfig(), answer_keys=AnswerKeyCache(),
                stored_keys=gate, key_in_background=True) as grader:
        graded = dict(grader.grade_many(items(), jobs=2))
    assert gate.overlapped is True
    points = {name: sum(task.points for task in outcome) for name, outcome in graded.items()
              if not isinstance(outcome, Exception)}
    assert points == {"right": 2, "wrong": 0}


def test_a_reference_that_fails_in_background_fails_grade_many_not_each_submission() -> None:
    broken = replace(TRIPLE, reference="raise ValueError('no reference')\n")

    def items() -> Iterator[tuple[str, list[Answer]]]:
        for name in ("a", "b", "c"):
            yield name, [Answer(task_id="triple", code=TRIPLE.reference)]

    with Grader([broken], config=GradingConfig(), answer_keys=AnswerKeyCache(),
                key_in_background=True) as grader, pytest.raises(AnswerKeyError) as raised:
        list(grader.grade_many(items(), jobs=2))
    assert "fix the question so its reference passes its own checks" in str(raised.value)


def test_without_the_key_in_background_opening_raises_the_key_error() -> None:
    broken = replace(TRIPLE, reference="raise ValueError('no reference')\n")
    with pytest.raises(AnswerKeyError), \
            Grader([broken], config=GradingConfig(), answer_keys=AnswerKeyCache()):
        pass
