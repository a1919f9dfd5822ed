"""Correct, partial and wrong answers score as expected, judged strictly in the grader."""

from __future__ import annotations

from grading.config import GradingConfig
from grading.engine import Grader
from grading.results import EventKind
from grading.tasks import Answer, Check, Task

from .conftest import FAST, TASKS, assert_others_full, grade_with, references


def test_reference_answers_earn_every_point(grader: Grader) -> None:
    results = grader.grade(references())
    assert [r.task_id for r in results] == [t.id for t in TASKS]
    assert all(r.points == r.max_points > 0 for r in results)
    assert all(c.passed for r in results for c in r.checks)
    assert all(not r.events for r in results)


def test_partial_answer_earns_the_points_of_the_checks_it_passes(grader: Grader) -> None:
    results = grade_with(grader, "square", "def square(x):\n    return x * abs(x)\n")
    square = results["square"]
    assert square.points == 3  # small (2) and half (1), not negative (3)
    failed = [c for c in square.checks if not c.passed]
    assert [c.name for c in failed] == ["negative"]
    assert failed[0].message == "A negative input. Expected 16, got -16"
    assert_others_full(results, "square")


def test_missing_answer_is_graded_from_the_starter(grader: Grader) -> None:
    answers = [a for a in references() if a.task_id != "square"]
    results = {r.task_id: r for r in grader.grade(answers)}
    assert results["square"].points == 0
    assert results["square"].answer.startswith("def square(x):\n    raise NotImplementedError")
    assert "NotImplementedError: write square" in results["square"].checks[0].message
    assert_others_full(results, "square")


def test_public_checks_are_reported_separately_and_worth_nothing(grader: Grader) -> None:
    results = grade_with(grader, "square", "def square(x):\n    return x + x\n")
    (public,) = results["square"].public_checks
    assert (public.passed, public.hidden, public.points, public.max_points) == (
        True, False, 0, 0)  # 2 + 2 == 2 * 2: the public check passes, hidden ones do not
    assert results["square"].points == 0
    wrong = grade_with(grader, "square", "def square(x):\n    return 0\n")
    (public,) = wrong["square"].public_checks
    assert not public.passed
    assert "square(2) should be 4" in public.message


def test_types_must_match_exactly(grader: Grader) -> None:
    near_misses = [
        "[True, 2.0, True, (1, 'a'), {'k': {1, 2}}, None, b'x']",   # 1 -> True
        "[1, 2, True, (1, 'a'), {'k': {1, 2}}, None, b'x']",        # 2.0 -> 2
        "[1, 2.0, True, [1, 'a'], {'k': {1, 2}}, None, b'x']",      # tuple -> list
        "[1, 2.0, True, (1, 'a'), {'k': frozenset({1, 2})}, None, b'x']",  # set -> frozenset
        "[1, 2.0, True, (1, 'a'), {'k': {True, 2}}, None, b'x']",   # {1} -> {True}
        "[1, 2.0, True, (1, 'a'), {'k': {1, 2}}, None, 'x']",       # bytes -> str
    ]
    for value in near_misses:
        results = grade_with(grader, "kinds", f"def kinds():\n    return {value}\n")
        assert results["kinds"].points == 0, value


def test_floats_match_within_a_tiny_relative_tolerance(grader: Grader) -> None:
    template = ("def square(x):\n    if isinstance(x, int):\n        return x * x\n"
                "    return x * x * (1 + {error})\n")
    close = grade_with(grader, "square", template.format(error="1e-12"))
    assert close["square"].points == close["square"].max_points
    off = grade_with(grader, "square", template.format(error="1e-6"))
    assert [c.name for c in off["square"].checks if not c.passed] == ["half"]


def test_checks_may_await_at_top_level(grader: Grader) -> None:
    results = {r.task_id: r for r in grader.grade(references())}
    assert [c.passed for c in results["double-later"].checks] == [True, True]
    sync = grade_with(grader, "double-later", "def double_later(x):\n    return 2 * x\n")
    message = sync["double-later"].checks[0].message
    assert sync["double-later"].points == 0
    assert "TypeError" in message  # awaiting an int


def test_an_expected_exception_must_be_raised_with_the_same_type(grader: Grader) -> None:
    lenient = grade_with(grader, "parse-age", "def parse_age(text):\n    return int(text)\n")
    assert [c.passed for c in lenient["parse-age"].checks] == [True, False]
    assert "expected ValueError to be raised, got int -1" in lenient["parse-age"].checks[1].message
    other = grade_with(grader, "parse-age", (
        "def parse_age(text):\n    if text.startswith('-'):\n        raise TypeError('no')\n"
        "    return int(text)\n"))
    assert "expected ValueError to be raised, got TypeError: no" in \
        other["parse-age"].checks[1].message


def test_a_check_that_raises_fails_with_the_exception(grader: Grader) -> None:
    results = grade_with(grader, "square", "def square(x):\n    return {}[x]\n")
    assert results["square"].points == 0
    assert "but it raised KeyError: 3" in results["square"].checks[0].message


def test_a_check_setup_that_raises_fails_its_check_with_an_error_event(grader: Grader) -> None:
    results = grade_with(grader, "stamp", "stamp = 5\n")
    stamp = results["stamp"]
    assert stamp.points == 0
    assert [e.kind for e in stamp.events] == [EventKind.ERROR]
    assert "stamp must be a function" in stamp.events[0].detail
    assert_others_full(results, "stamp")


def test_submissions_run_in_separate_kernels(grader: Grader) -> None:
    leak = Answer(task_id="square", code="LEAK = 1\ndef square(x):\n    return x * x\n")
    grader.grade([leak])
    probe = Answer(task_id="square", code=(
        "def square(x):\n    return x * x if 'LEAK' not in globals() else 0\n"))
    (first, *_) = grader.grade([probe])
    assert first.points == first.max_points


def test_grade_many_yields_every_submission_once(grader: Grader) -> None:
    items = [(n, references() if n % 2 == 0 else []) for n in range(6)]
    seen = dict(grader.grade_many(items, jobs=2))
    assert sorted(seen) == list(range(6))
    for key, results in seen.items():
        total = sum(r.points for r in results)
        assert total == (sum(t.max_points for t in TASKS) if key % 2 == 0 else 0)


def test_check_code_is_not_compiled_with_the_harness_future_imports() -> None:
    # The harness module uses `from __future__ import annotations`; check code must not
    # inherit it, or annotations in checks silently become strings.
    task = Task(id="annotations", reference="def make():\n    return 1\n",
                hidden_checks=(Check(name="eager", points=1, code=(
                    "class Probe:\n    size: int\n"
                    "type(Probe.__annotations__['size']).__name__")),))
    with Grader([task], config=GradingConfig(timeout=FAST)) as grader:
        assert grader.expected("annotations")["eager"].value == "type"


def test_answers_may_use_ipython_syntax(grader: Grader) -> None:
    results = grade_with(grader, "square", (
        "%time warm = [i * i for i in range(10)]\n"
        "import asyncio\nawait asyncio.sleep(0)  # top-level await, as in a notebook\n"
        "listing = !echo shell escapes work\n"
        "def square(x):\n    return x * x if listing == ['shell escapes work'] else 0\n"))
    assert results["square"].points == results["square"].max_points, results["square"]
    assert_others_full(results, "square")


def test_answer_source_is_available_to_inspect(grader: Grader) -> None:
    # inspect.getsource finds an answer cell's source, as it does in a notebook
    results = grade_with(grader, "square", (
        "import inspect\n"
        "def square(x):\n"
        "    return x * x if 'return x * x' in inspect.getsource(square) else 0\n"))
    assert results["square"].points == results["square"].max_points, results["square"]


def test_a_check_that_does_not_compile_reports_its_syntax_error() -> None:
    # the zygote compiles every check once before forking; one that does not compile is
    # left for its check to report, like any exception (the bank check refuses such
    # questions: see workbook/bankcheck.py)
    broken = Task(id="broken", reference="def one():\n    return 1\n",
                  hidden_checks=(Check(name="fine", code="one()", points=1),
                                 Check(name="typo", code="one(", points=1)))
    with Grader([broken], config=GradingConfig(timeout=FAST)) as grader:
        expected = grader.expected("broken")
        (result,) = grader.grade([Answer(task_id="broken", code="def one():\n    return 2\n")])
    assert expected["fine"].value == 1
    assert expected["typo"].raised == "SyntaxError"
    assert [c.passed for c in result.checks] == [False, True]


def test_a_check_cannot_leave_interpreter_settings_to_later_tasks() -> None:
    # checks often shrink the switch interval to expose races or trace memory; those are
    # process-wide, so the harness puts them back after each check
    leaky = Task(id="leaky", reference="VALUE = 1\n",
                 check_setup="import sys, gc, tracemalloc\n",
                 hidden_checks=(Check(name="changes-everything", points=1, code=(
                     "sys.setswitchinterval(1e-6)\nsys.setrecursionlimit(200)\n"
                     "gc.disable()\ntracemalloc.start()\nraise RuntimeError('left it all on')")),))
    probe = Task(id="probe", reference="import sys, gc, tracemalloc\n",
                 hidden_checks=(Check(name="settings", points=1, code=(
                     "(sys.getswitchinterval(), sys.getrecursionlimit(), gc.isenabled(), "
                     "tracemalloc.is_tracing())")),))
    with Grader([leaky, probe], config=GradingConfig(timeout=FAST)) as grader:
        settings = grader.expected("probe")["settings"].value
    assert settings == (0.005, 1000, True, False)  # Python's defaults
