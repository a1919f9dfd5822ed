"""Shared fixtures for the engine suite: small tasks with short timeouts, one real
confined Grader for the whole session, and a helper that grades one faulty answer among
correct ones."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from grading.config import GradingConfig
from grading.engine import Grader
from grading.kernel.sandbox import bwrap_path
from grading.results import TaskResult
from grading.tasks import Answer, Check, Task

FAST = 2.0  # seconds per cell/check for fault tests

SQUARE = Task(
    id="square",
    reference="def square(x):\n    return x * x\n",
    starter="def square(x):\n    raise NotImplementedError('write square')\n",
    public_checks="assert square(2) == 4, 'square(2) should be 4'\n",
    hidden_checks=(
        Check(name="small", code="square(3)", points=2, description="Three squared."),
        Check(name="negative", code="square(-4)", points=3, description="A negative input."),
        Check(name="half", code="square(0.5)", points=1),
    ),
    timeout=FAST,
)
KINDS = Task(
    id="kinds",
    reference="def kinds():\n    return [1, 2.0, True, (1, 'a'), {'k': {1, 2}}, None, b'x']\n",
    hidden_checks=(Check(name="exact-types", code="kinds()", points=4),),
    timeout=FAST,
)
DOUBLE_LATER = Task(
    id="double-later",
    reference=("import asyncio\n\nasync def double_later(x):\n"
               "    await asyncio.sleep(0.01)\n    return 2 * x\n"),
    hidden_checks=(
        Check(name="awaited", code="await double_later(21)", points=2),
        Check(name="gathered", code=("import asyncio\n"
                                     "await asyncio.gather(double_later(1), double_later(2))"),
              points=1),
    ),
    timeout=FAST,
)
PARSE_AGE = Task(
    id="parse-age",
    reference=("def parse_age(text):\n    value = int(text)\n    if value < 0:\n"
               "        raise ValueError('negative age')\n    return value\n"),
    hidden_checks=(
        Check(name="plain", code="parse_age('42')", points=1),
        Check(name="rejects-negative", code="parse_age('-1')", points=2),
    ),
    timeout=FAST,
)
STAMP = Task(
    id="stamp",
    reference="def stamp(clock):\n    return clock() + 1\n",
    check_setup="assert callable(stamp), 'stamp must be a function'\nfake_clock = lambda: 41\n",
    hidden_checks=(Check(name="uses-the-clock", code="stamp(fake_clock)", points=2),),
    timeout=FAST,
)
TASKS = (SQUARE, KINDS, DOUBLE_LATER, PARSE_AGE, STAMP)


def confined_only() -> pytest.MarkDecorator:
    return pytest.mark.skipif(bwrap_path() is None,
                              reason="bubblewrap (bwrap) is not installed: nothing to confine")


@pytest.fixture(scope="session")
def grader() -> Iterator[Grader]:
    with Grader(TASKS, config=GradingConfig(timeout=FAST, interrupt_grace=0.5)) as opened:
        yield opened


def references(tasks: tuple[Task, ...] = TASKS) -> list[Answer]:
    return [Answer(task_id=task.id, code=task.reference) for task in tasks]


def grade_with(grader: Grader, task_id: str, code: str) -> dict[str, TaskResult]:
    """Grade a submission where every task is answered correctly except `task_id`."""
    answers = [Answer(task_id=a.task_id, code=code) if a.task_id == task_id else a
               for a in references(grader.tasks)]
    return {result.task_id: result for result in grader.grade(answers)}


def assert_others_full(results: dict[str, TaskResult], faulty: str) -> None:
    for task_id, result in results.items():
        if task_id != faulty:
            assert result.points == result.max_points, (task_id, result)
