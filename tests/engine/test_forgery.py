"""A forged result earns nothing: verdicts are made in the grader from plain data, and the
kernel never learns what the expected values are."""

from __future__ import annotations

from grading.engine import Grader
from grading.results import EventKind

from .conftest import assert_others_full, grade_with


def test_an_object_equal_to_everything_is_not_plain_data(grader: Grader) -> None:
    results = grade_with(grader, "square", (
        "class Anything:\n    def __eq__(self, other):\n        return True\n"
        "    __hash__ = object.__hash__\n\n"
        "def square(x):\n    return Anything()\n"))
    square = results["square"]
    assert square.points == 0
    assert {e.kind for e in square.events} == {EventKind.BAD_OBSERVATION}
    assert "Anything, which is not plain data" in square.checks[0].message
    assert_others_full(results, "square")


def test_a_subclass_of_a_builtin_type_is_refused(grader: Grader) -> None:
    results = grade_with(grader, "square", (
        "class Loose(int):\n    def __eq__(self, other):\n        return True\n"
        "    __hash__ = int.__hash__\n\n"
        "def square(x):\n    return Loose(x * x) if isinstance(x, int) else x * x\n"))
    assert [c.passed for c in results["square"].checks] == [False, False, True]


def test_patched_builtins_change_nothing(grader: Grader) -> None:
    results = grade_with(grader, "square", (
        "import builtins, marshal\n"
        "builtins.isinstance = lambda *args: True\n"
        "builtins.type = lambda *args: int\n"
        "marshal.dumps = lambda *args: b'\\xe9\\x09\\x00\\x00\\x00'  # marshalled 9\n"
        "def square(x):\n    return 0\n"))
    assert results["square"].points == 0


def test_printed_success_earns_nothing(grader: Grader) -> None:
    results = grade_with(grader, "square", (
        "print('All tests passed! 6/6 points')\n"
        "def square(x):\n    print('check passed')\n    return -1\n"))
    assert results["square"].points == 0


def test_a_patched_harness_earns_nothing(grader: Grader) -> None:
    # the answer swaps the harness's publisher for one that turns every check's report
    # into a claimed value True; the checks still run, but only the forgeries get out
    results = grade_with(grader, "square", (
        "import base64, marshal, sys\n"
        "harness = sys.modules['_workbook_harness']\n"
        "real_publish = harness._publish\n"
        "def forged(report):\n"
        "    if 'status' in report and report['status'] != 'done':\n"
        "        report = dict(report, status='value',\n"
        "                      data=base64.b64encode(marshal.dumps(True)).decode())\n"
        "    real_publish(report)\n"
        "harness._publish = forged\n"
        "def square(x):\n    return 0\n"))
    square = results["square"]
    assert square.points == 0
    assert [c.message for c in square.checks][:2] == [
        "Three squared. Expected int 9, got bool True",
        "A negative input. Expected int 16, got bool True"]


def test_an_extra_report_for_a_check_fails_that_check(grader: Grader) -> None:
    # the answer reports a (correct) value for the check that is running, then returns
    # its own wrong one: two reports for one check are refused, not picked from
    results = grade_with(grader, "square", (
        "import base64, marshal, sys, inspect\n"
        "from IPython.display import publish_display_data\n"
        "MIME = sys.modules['_workbook_harness'].OBSERVATION_MIME\n"
        "def square(x):\n"
        "    frame = inspect.currentframe()\n"
        "    while frame and 'request' not in frame.f_locals:\n"
        "        frame = frame.f_back\n"
        "    run = frame.f_locals\n"
        "    nonce, index = run['request'].nonce, run['step'].index\n"
        "    publish_display_data({MIME: {'nonce': nonce, 'index': index,\n"
        "        'status': 'value', 'data': base64.b64encode(marshal.dumps(x * x)).decode()}})\n"
        "    return -1\n"))
    square = results["square"]
    assert square.points == 0
    assert any("reported 2 observations" in c.message for c in square.checks)
