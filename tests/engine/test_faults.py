"""One bad answer costs only its own points: each fault is stopped, recorded with its
cause on its task, and the grader and the other tasks carry on."""

from __future__ import annotations

import os

from grading.engine import Grader
from grading.results import EventKind
from grading.tasks import Answer

from .conftest import assert_others_full, grade_with, references


def kinds_of(result: object) -> list[EventKind]:
    return [event.kind for event in result.events]  # type: ignore[attr-defined]


def test_an_endless_answer_cell_times_out(grader: Grader) -> None:
    results = grade_with(grader, "kinds", "while True:\n    pass\n")
    assert results["kinds"].points == 0
    assert kinds_of(results["kinds"]) == [EventKind.TIMEOUT]
    assert "longer than 2 s" in results["kinds"].events[0].detail
    assert all(c.message.startswith("not run") for c in results["kinds"].checks)
    assert_others_full(results, "kinds")


def test_a_slow_check_times_out_alone_and_the_others_still_count(grader: Grader) -> None:
    results = grade_with(grader, "square", (
        "import time\n\ndef square(x):\n    if x < 0:\n        time.sleep(60)\n"
        "    return x * x\n"))
    square = results["square"]
    assert [c.passed for c in square.checks] == [True, False, True]
    assert square.points == 3
    assert kinds_of(square) == [EventKind.TIMEOUT]
    assert "check 'negative'" in square.events[0].detail
    assert_others_full(results, "square")


def test_a_loop_that_ignores_interrupts_gets_a_fresh_kernel(grader: Grader) -> None:
    results = grade_with(grader, "kinds", (
        "import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    pass\n"))
    assert results["kinds"].points == 0
    assert kinds_of(results["kinds"]) == [EventKind.TIMEOUT]
    assert_others_full(results, "kinds")


def test_earlier_answers_are_replayed_into_the_fresh_kernel(grader: Grader) -> None:
    answers = references()
    answers[0] = Answer(task_id="square", code="OFFSET = 1\ndef square(x):\n    return x * x\n")
    answers[1] = Answer(task_id="kinds", code="import os\nos._exit(3)\n")
    answers[4] = Answer(task_id="stamp", code="def stamp(clock):\n    return clock() + OFFSET\n")
    results = {r.task_id: r for r in grader.grade(answers)}
    assert kinds_of(results["kinds"]) == [EventKind.KERNEL_DIED]
    assert "status 3" in results["kinds"].events[0].detail
    assert results["stamp"].points == results["stamp"].max_points  # needs OFFSET, replayed
    assert_others_full(results, "kinds")


def test_memory_exhaustion_is_a_memory_event(grader: Grader) -> None:
    results = grade_with(grader, "kinds", "hog = bytearray(8 * 1024 ** 3)\n")
    assert results["kinds"].points == 0
    assert kinds_of(results["kinds"]) == [EventKind.MEMORY]
    assert_others_full(results, "kinds")


def test_a_fork_bomb_is_bounded(grader: Grader) -> None:
    results = grade_with(grader, "kinds", (
        "import os, time\nchildren = 0\nwhile True:\n    if os.fork() == 0:\n"
        "        time.sleep(30)\n        os._exit(0)\n    children += 1\n"))
    assert results["kinds"].points == 0
    assert kinds_of(results["kinds"]) in ([EventKind.ERROR], [EventKind.TIMEOUT])
    assert_others_full(results, "kinds")


def test_sys_exit_is_an_error_and_the_kernel_survives(grader: Grader) -> None:
    results = grade_with(grader, "kinds", "import sys\nsys.exit(1)\n")
    assert kinds_of(results["kinds"]) == [EventKind.ERROR]
    assert "SystemExit" in results["kinds"].events[0].detail
    assert_others_full(results, "kinds")


def test_killing_its_own_process_group_kills_only_its_kernel(grader: Grader) -> None:
    results = grade_with(grader, "kinds", "import os, signal\nos.killpg(os.getpgid(0), 9)\n")
    assert kinds_of(results["kinds"]) == [EventKind.KERNEL_DIED]
    assert_others_full(results, "kinds")


def test_killing_the_parent_fails_and_the_grader_lives_on(grader: Grader) -> None:
    results = grade_with(grader, "kinds", "import os\nos.kill(os.getppid(), 9)\n")
    assert results["kinds"].points == 0
    assert kinds_of(results["kinds"]) == [EventKind.ERROR]
    assert "PermissionError" in results["kinds"].events[0].detail
    assert_others_full(results, "kinds")
    assert os.getpid() > 0 and grader.grade(references())[0].points == 6


def test_killing_everything_it_may_signal_kills_only_its_kernel(grader: Grader) -> None:
    results = grade_with(grader, "kinds", "import os\nos.kill(-1, 9)\n")
    assert results["kinds"].points == 0
    assert_others_full(results, "kinds")


def test_an_output_flood_is_cut_at_the_source(grader: Grader) -> None:
    results = grade_with(grader, "kinds", "for i in range(10 ** 7):\n    print('x' * 100)\n")
    assert results["kinds"].points == 0
    assert kinds_of(results["kinds"]) == [EventKind.OUTPUT_FLOOD]
    assert_others_full(results, "kinds")


def test_an_answer_that_raises_records_the_error(grader: Grader) -> None:
    results = grade_with(grader, "kinds", "raise RuntimeError('half-written answer')\n")
    assert results["kinds"].points == 0
    (event,) = results["kinds"].events
    assert event.kind is EventKind.ERROR
    assert event.detail == "the answer cell raised RuntimeError: half-written answer"
    assert_others_full(results, "kinds")


def test_a_loop_that_swallows_the_interrupt_gets_a_fresh_kernel(grader: Grader) -> None:
    # after the interrupt the answer returns and the harness would go on with the next
    # steps in a kernel whose state the grader no longer knows: it is replaced instead
    results = grade_with(grader, "kinds", (
        "def kinds():\n    return []\n"
        "try:\n    while True:\n        pass\nexcept KeyboardInterrupt:\n    pass\n"))
    assert results["kinds"].points == 0
    assert kinds_of(results["kinds"]) == [EventKind.TIMEOUT]
    assert_others_full(results, "kinds")


def test_a_check_that_raises_keyboard_interrupt_costs_only_that_check(grader: Grader) -> None:
    results = grade_with(grader, "square", (
        "def square(x):\n    if x < 0:\n        raise KeyboardInterrupt\n    return x * x\n"))
    square = results["square"]
    assert [c.passed for c in square.checks] == [True, False, True]
    assert square.checks[1].message.endswith("Check 'negative' raised KeyboardInterrupt")
    assert_others_full(results, "square")


def test_each_answer_has_its_own_output_budget(grader: Grader) -> None:
    # one request runs the whole submission; two answers that each print most of the
    # per-cell limit are not a flood together
    chatty = "print('y' * {size})\n"
    limit = grader.config.output_limit
    answers = references()
    answers[0] = Answer(task_id="square", code=chatty.format(size=limit * 3 // 4)
                        + answers[0].code)
    answers[1] = Answer(task_id="kinds", code=chatty.format(size=limit * 3 // 4)
                        + answers[1].code)
    results = {r.task_id: r for r in grader.grade(answers)}
    assert all(not r.events for r in results.values()), results
    assert_others_full(results, "")


def test_a_flood_printed_just_before_an_answer_ends_is_charged_to_that_answer(
        grader: Grader) -> None:
    # the harness sends a step's pending output before its report, so the flood notice
    # reaches the grader while the answer is still the step that is running
    results = grade_with(grader, "square", (
        "print('z' * (3 * 1024 * 1024))\ndef square(x):\n    return x * x\n"))
    assert kinds_of(results["square"]) == [EventKind.OUTPUT_FLOOD]
    assert "the answer cell printed more output" in results["square"].events[0].detail
    assert_others_full(results, "square")
