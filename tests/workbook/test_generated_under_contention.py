"""A generated-input check keeps its verdict when its kernel gets a fraction of a CPU:
each input's bound for blocking code (the property's share of the check's timeout) is
charged as the grader charges a step, without the kernel's wait for a CPU, so a fair
answer's input is not named as a hang on a loaded machine."""

from __future__ import annotations

import dataclasses
import time

from bench.pinned_cpu import busy_loops, grader_on_one_cpu
from grading.config import GradingConfig
from grading.kernel.inside.protocol import GENERATED_SHARE
from grading.tasks import Answer
from tests.workbook.question_text import replace
from workbook.generated.draw import draw
from workbook.model import Question
from workbook.questionfile import parse_question
from workbook.tasks import task_for

#: busy loops sharing the kernel's CPU: it gets about a sixth of it
BUSY_LOOPS = 5
GENERATORS = '''## Generators

```python
from hypothesis import strategies as st

offsets = st.integers(0, 10**6)
```

### sums-like-reference (2 points)
Any offset sums as the reference sums it.

```python
squares_plus(offsets)
```

'''
SQUARES = '''def squares_plus(offset):
    return sum(i * i for i in range(200_000)) + offset

def add(a, b):
    return a + b
'''


def question() -> Question:
    # few inputs, each a fixed amount of work: the kernel's cost per input stays small
    text = replace("points = 3", "points = 5\ngenerated_cases = 10")
    text = replace("def add(a, b):\n    return a + b\n", SQUARES, text)
    text = replace("## Rubric\n", GENERATORS + "## Rubric\n", text)
    return parse_question(text, "squares.md")


def _cpu_seconds(subject: Question) -> float:
    """CPU seconds the property's inputs take on the reference in this process (the
    kernel runs the same Python): what the test sizes the timeout from, never asserts."""
    namespace: dict[str, object] = {}
    exec(compile(subject.reference, "<reference>", "exec"), namespace)
    squares_plus = namespace["squares_plus"]
    assert callable(squares_plus)
    cases = draw(subject, subject.properties[0]).cases
    started = time.process_time()
    for case in cases:
        squares_plus(case["offsets"])
    return time.process_time() - started


def test_a_fair_answers_inputs_are_not_named_as_hangs_when_its_kernel_gets_a_sixth_of_a_cpu(
        ) -> None:
    subject = question()
    # The property's share is a little under the wall time its inputs need at a sixth
    # of a CPU: in wall-clock time it would run out and an input be named as a hang;
    # charged without the wait it holds while the kernel gets 0.3 of that sixth or more.
    share = _cpu_seconds(subject) * (BUSY_LOOPS + 1) / 1.2
    subject = dataclasses.replace(subject, timeout=share / GENERATED_SHARE)
    task = task_for(subject)

    grader, cpu = grader_on_one_cpu([task], GradingConfig(timeout=share / GENERATED_SHARE))
    try:
        with busy_loops(cpu, BUSY_LOOPS):
            fair, = grader.grade([Answer(task_id=task.id, code=subject.reference)])
    finally:
        grader.close()
    assert {check.name: check.message for check in fair.checks if not check.passed} == {}
    assert fair.points == fair.max_points
