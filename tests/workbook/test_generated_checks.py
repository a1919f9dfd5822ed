"""Generated-input checks: inputs drawn in the grader from a fixed seed, the reference's
observations made once in the confined kernel, the candidate judged per input, and the
smallest differing input named."""

from __future__ import annotations

import marshal
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from grading.config import GradingConfig
from grading.engine import Grader
from grading.tasks import Answer
from tests.workbook.question_text import replace
from workbook.errors import QuestionFileError
from workbook.generated.draw import _draw, draw_cases, seed_for
from workbook.model import Question
from workbook.questionfile import parse_question
from workbook.tasks import task_for

GENERATORS = '''## Generators

```python
from hypothesis import strategies as st

texts = st.text(alphabet="abc", max_size=6)
numbers = st.lists(st.integers(-20, 20), max_size=5)
```

### digests-like-reference (2 points)
Any short text digests as the reference digests it.

```python
digest(texts)
```

### awaited-sum (1 point)
The async total of any numbers.

```python
import asyncio
await asyncio.sleep(0)
total = add_all(numbers)
total
```

'''
DIGEST = '''import hashlib

def digest(text):
    return hashlib.sha256(text.encode()).hexdigest()

def add_all(numbers):
    return sum(numbers)

def add(a, b):
    return a + b
'''


def question(generators: str = GENERATORS) -> Question:
    text = replace("points = 3", "points = 6")
    text = replace("def add(a, b):\n    return a + b\n", DIGEST, text)
    text = replace("## Rubric\n", generators + "## Rubric\n", text)
    return parse_question(text, "digest.md")


@pytest.fixture(scope="module")
def grader() -> Iterator[Grader]:
    with Grader([task_for(question())], config=GradingConfig(timeout=5)) as opened:
        yield opened


def failed(grader: Grader, code: str) -> dict[str, str]:
    (result,) = grader.grade([Answer(task_id="add-two", code=code)])
    return {c.name: c.message for c in result.checks if not c.passed}


def test_the_reference_passes_its_own_generated_checks(grader: Grader) -> None:
    assert failed(grader, DIGEST) == {}


def test_a_wrong_answer_is_shown_the_smallest_input_it_gets_wrong(grader: Grader) -> None:
    wrong = DIGEST.replace("return hashlib.sha256(text.encode()).hexdigest()",
                           "return hashlib.sha256(text.strip('a').encode()).hexdigest()")
    message = failed(grader, wrong)["digests-like-reference"]
    # "a" is the smallest text the stripping changes; the empty text digests the same
    assert message.startswith("Any short text digests as the reference digests it. "
                              "For `digest('a')` expected `'ca978112")
    assert "generated inputs differ" in message


def test_expected_values_never_reach_the_candidates_kernel(grader: Grader) -> None:
    task = task_for(question())
    expected = grader.expected("add-two")["digests-like-reference"].value
    for check in task.hidden_checks:
        for _, value in expected:
            assert value not in check.code
    # an answer that searches every frame above it for a digest finds none to copy
    snooper = DIGEST.replace("    return hashlib.sha256(text.encode()).hexdigest()\n", '''\
    import gc, re, sys
    found = set()
    frame = sys._getframe(1)
    while frame is not None:
        for scope in (frame.f_locals, frame.f_globals):
            for value in list(scope.values()):
                found.update(re.findall(r"[0-9a-f]{64}", repr(value)))
        frame = frame.f_back
    for obj in gc.get_objects():
        if isinstance(obj, str) and len(obj) == 64:
            found.add(obj)
    return sorted(found)[0] if found else ""
''')
    assert "digests-like-reference" in failed(grader, snooper)


def test_properties_may_await_and_use_statements(grader: Grader) -> None:
    message = failed(grader, DIGEST.replace("return sum(numbers)",
                                            "return sum(n for n in numbers if n > 0)"))
    assert message["awaited-sum"].startswith("The async total of any numbers. For `numbers = [")


def test_a_value_that_is_not_plain_data_is_named_for_the_smallest_input(
        grader: Grader) -> None:
    counter = DIGEST.replace("    return sum(numbers)\n",
                             "    import collections\n"
                             "    return collections.Counter(numbers) if numbers else 0\n")
    message = failed(grader, counter)["awaited-sum"]
    assert "got a Counter, where a plain dict is expected" in message
    assert "For `numbers = [" in message


def test_every_candidate_and_every_run_draws_the_same_inputs(tmp_path: Path) -> None:
    code = ("from tests.workbook.test_generated_checks import question\n"
            "from workbook.generated.draw import draw_cases\n"
            "q = question()\nprint(repr([draw_cases(q, p) for p in q.properties]))\n")
    # each process draws afresh: its own empty cache folder
    runs = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           check=True, env={**os.environ,
                                            "WORKBOOK_CACHE_DIR": str(tmp_path / str(n))}
                           ).stdout for n in range(2)}
    q = question()
    assert runs == {repr([draw_cases(q, p) for p in q.properties]) + "\n"}
    assert len(draw_cases(q, q.properties[0])) > 50  # many distinct inputs, not a handful


def test_drawn_inputs_are_cached_and_a_damaged_cache_entry_is_drawn_again(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WORKBOOK_CACHE_DIR", str(tmp_path))
    q = question()
    prop = q.properties[0]
    args = (q.generators, prop.inputs, q.generated_cases, seed_for(q, prop))
    _draw.cache_clear()
    first = draw_cases(q, prop)
    (entry,) = (tmp_path / "cases").iterdir()
    _draw.cache_clear()
    assert draw_cases(q, prop) == first  # from the cache folder
    for damage in (b"", b"not marshal", marshal.dumps(("a", "b")),
                   marshal.dumps((object.__name__,))):
        entry.write_bytes(damage)
        _draw.cache_clear()
        assert _draw(*args)[0] == first
    _draw.cache_clear()


@pytest.mark.parametrize(("strategy", "words"), [
    ("st.sets(st.integers()).map(lambda s: iter(s))", "not plain data"),
    ("st.builds(object)", "not plain data"),
    ("42", "not a Hypothesis strategy"),
    ("st.integers().filter(lambda n: 1 / 0)", "ZeroDivisionError"),
])
def test_generators_that_cannot_give_plain_inputs_are_refused_by_name(strategy: str,
                                                                     words: str) -> None:
    broken = question(GENERATORS.replace('st.text(alphabet="abc", max_size=6)', strategy))
    with pytest.raises(QuestionFileError) as caught:
        task_for(broken)
    assert caught.value.field == "generators.digests-like-reference"
    assert words in caught.value.problem


def test_a_property_that_awaits_is_shrunk_on_the_kernels_event_loop(grader: Grader) -> None:
    message = failed(grader, DIGEST.replace("return sum(numbers)",
                                            "return sum(n for n in numbers if n > 0)"))
    # the smallest list whose total the positive-only sum gets wrong: one negative number
    assert "For `numbers = [-1]` expected `-1`, got `0` (" in message["awaited-sum"]
    assert "shrunk from a drawn input" in message["awaited-sum"]
