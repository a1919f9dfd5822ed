"""Turn a property and its drawn inputs into one engine Check (and the code that shrinks
a failing input in the candidate's kernel).

The check's code carries the inputs (marshalled plain data) and the property's code; in
the kernel it runs the property once per input, each in its own copy of the namespace,
and observes a list of per-input outcomes: ("value", v), ("raised", exception type),
("unplain", (type, plain base, where)) when a value cannot cross as plain data, or
("timeout", seconds) for the input that did not return in its time bound, after which
the remaining inputs are ("skipped", None). Each input also gets a label, the property's
call written out with the drawn values, which the grader uses to name the input that
differs.

Each input's time bound is kept in the kernel: interval timers (the check runs in the
kernel's main thread) stop code that is running, after GENERATED_CASE_SECONDS of the
kernel's CPU time (SIGPROF: a busy loop, however loaded the machine) or once the
property's share of the check's timeout is spent (SIGALRM: code that blocks), and
`asyncio.timeout` stops code that waits on the event loop. The share is charged as the
grader charges a step (grading/kernel/runqueue.py): wall-clock time less the main
thread's wait for a CPU, up to the same allowance, so a fair input is not named as a
hang on a loaded machine and the share still runs out before the grader's timeout. So
a hang is named by the input that caused it, and the grader's own timeout (which would
lose it) stays a last resort.

The shrink code (run by the engine after every check of the submission, see
grading/engine.py) starts from the drawn input that differs and lets Hypothesis's
shrinker look for a smaller one: `hypothesis.find` over the same strategies, seeded
through a one-entry example database with the choices that drew that input, where the
condition runs the reference (in a namespace of its own) and the answer on each
candidate input and says whether their outcomes differ. It is bounded by SHRINK_STEPS
inputs, SHRINK_SECONDS of CPU time and SHRINK_WALL_SECONDS (charged like the share), and
reports the smallest differing input found, the two outcomes, and whether the shrinker
finished.
"""

from __future__ import annotations

import base64
import marshal
from typing import Any

from grading.config import GradingConfig
from grading.judge import case_label
from grading.kernel.inside.protocol import (
    GENERATED_CASE_SECONDS,
    GENERATED_SHARE,
    SHRINK_SECONDS,
    SHRINK_STEPS,
    SHRINK_WALL_SECONDS,
)
from grading.kernel.runqueue import RUN_QUEUE_ALLOWANCE
from grading.tasks import Check, Shrink
from workbook.generated.draw import draw
from workbook.model import Property, Question

LABEL_LIMIT = 400

# Shared by the runner and the shrinker. The harness module is there (it runs every
# check), so its walker names the first item that is not plain data. KeyboardInterrupt is
# the grader stopping a check that ran too long: it must go through.
_TOOLS = '''\
import ast as _wb_ast, asyncio as _wb_asyncio, base64 as _wb_base64
import inspect as _wb_inspect, marshal as _wb_marshal, signal as _wb_signal
import time as _wb_time
_wb_unplain = __import__("_workbook_harness")._first_unplain
_wb_flags = _wb_ast.PyCF_ALLOW_TOP_LEVEL_AWAIT
_wb_tree = _wb_ast.parse(@CODE@)
_wb_last = _wb_tree.body.pop()
_wb_body = compile(_wb_tree, @NAME@, "exec", flags=_wb_flags, dont_inherit=True)
_wb_expression = compile(_wb_ast.Expression(_wb_last.value), @NAME@, "eval",
                         flags=_wb_flags, dont_inherit=True)
_wb_asynchronous = bool((_wb_body.co_flags | _wb_expression.co_flags)
                        & _wb_inspect.CO_COROUTINE)


class _WbTooLong(BaseException):
    """A generated input ran past its time bound: `args[0]` is the bound, in seconds."""


_wb_armed = [False]
_wb_bounds = {}
#: the share being spent: when it began (wall clock, run-queue wait) and its seconds
_wb_share = [(0.0, 0.0), 0.0]
#: the asyncio.timeout of the input running, if it awaits
_wb_loop_deadline = [None]
_wb_allowance = @ALLOWANCE@


def _wb_waited():
    """Seconds this kernel's main thread has waited for a CPU (its run-queue wait, from
    schedstat; 0.0 where the machine does not say: time is then wall-clock time)."""
    try:
        with open("/proc/self/schedstat", "rb") as stats:
            return int(stats.read().split()[1]) / 1e9
    except (OSError, ValueError, IndexError):
        return 0.0


def _wb_began():
    return (_wb_time.monotonic(), _wb_waited())


def _wb_charged(began, limit):
    """Seconds charged since `began` against `limit`, as the grader charges a step:
    wall-clock time less the main thread's wait for a CPU, forgiven up to the allowance
    (grading/kernel/runqueue.py)."""
    now, waited = _wb_began()
    return (now - began[0]) - min(waited - began[1], _wb_allowance * limit)


def _wb_alarm(signum, frame):
    # Raise only while an input runs, and only in running code: when the event loop is
    # idle the input waits on it, and its asyncio.timeout is brought forward to stop it.
    if not _wb_armed[0]:
        return
    if signum == _wb_signal.SIGALRM:
        left = _wb_share[1] - _wb_charged(*_wb_share)
        if left > 0.001:  # part of the time was a wait for a CPU, which is not charged
            _wb_signal.setitimer(_wb_signal.ITIMER_REAL, left, 0.05)
            return
    try:
        idle = _wb_asyncio.current_task() is None
    except RuntimeError:
        idle = False
    if not idle:
        raise _WbTooLong(_wb_bounds[signum])
    deadline = _wb_loop_deadline[0]
    if signum == _wb_signal.SIGALRM and deadline is not None:
        loop = _wb_asyncio.get_running_loop()
        try:
            deadline.reschedule(loop.time())
        except RuntimeError:  # it has fired or been left already
            return
        loop.call_soon_threadsafe(lambda: None)  # wake the loop's select to see it


def _wb_settle(value):
    try:
        _wb_marshal.dumps(value)
    except (ValueError, TypeError, RecursionError):
        found = _wb_unplain(value)
        return ("unplain", (found["inner"], found["base"], found["path"]))
    return ("value", value)


def _wb_start_clock(cpu, wall):
    """Stop the input after `cpu` seconds of the kernel's CPU time (a busy loop, however
    loaded the machine) or `wall` seconds (an input that blocks, waiting forever), or
    rather once the share it runs in is charged in full (`_wb_share`, which `wall` is
    what is left of), however long the kernel waited for a CPU."""
    _wb_bounds.update({_wb_signal.SIGPROF: cpu, _wb_signal.SIGALRM: wall})
    _wb_signal.signal(_wb_signal.SIGPROF, _wb_alarm)
    _wb_signal.signal(_wb_signal.SIGALRM, _wb_alarm)
    _wb_signal.setitimer(_wb_signal.ITIMER_PROF, cpu, 0.05)
    _wb_signal.setitimer(_wb_signal.ITIMER_REAL, wall, 0.05)
    _wb_armed[0] = True


def _wb_stop_clock():
    _wb_armed[0] = False
    _wb_loop_deadline[0] = None
    _wb_signal.setitimer(_wb_signal.ITIMER_REAL, 0)
    _wb_signal.setitimer(_wb_signal.ITIMER_PROF, 0)


def _wb_run_sync(namespace, cpu, wall, own_share=True):
    """One input's outcome, for a property without `await`."""
    if own_share:  # else it runs in the share the runner began
        _wb_share[:] = [_wb_began(), wall]
    _wb_start_clock(cpu, wall)
    try:
        eval(_wb_body, namespace)
        value = eval(_wb_expression, namespace)
        _wb_stop_clock()
    except KeyboardInterrupt:
        _wb_stop_clock()
        raise
    except _WbTooLong as stopped:
        _wb_stop_clock()
        return ("timeout", stopped.args[0])
    except BaseException as error:
        _wb_stop_clock()
        return ("raised", type(error).__name__)
    return _wb_settle(value)


async def _wb_run(namespace, cpu, wall, own_share=True):
    """One input's outcome."""
    if not _wb_asynchronous:
        return _wb_run_sync(namespace, cpu, wall, own_share)
    if own_share:  # else it runs in the share the runner began
        _wb_share[:] = [_wb_began(), wall]
    # at the latest the allowance permits; the clock brings it forward once `wall` is
    # charged in full
    deadline = _wb_asyncio.timeout(wall * (1 + _wb_allowance))
    _wb_loop_deadline[0] = deadline
    _wb_start_clock(cpu, wall)
    try:
        async with deadline:
            value = eval(_wb_body, namespace)
            if _wb_body.co_flags & _wb_inspect.CO_COROUTINE:
                await value
            value = eval(_wb_expression, namespace)
            if _wb_expression.co_flags & _wb_inspect.CO_COROUTINE:
                value = await value
        _wb_stop_clock()
    except KeyboardInterrupt:
        _wb_stop_clock()
        raise
    except BaseException as error:
        _wb_stop_clock()
        if isinstance(error, _WbTooLong):
            return ("timeout", error.args[0])
        if deadline.expired():
            return ("timeout", wall)
        return ("raised", type(error).__name__)
    return _wb_settle(value)
'''

_RUNNER = _TOOLS + '''
_wb_cases = _wb_marshal.loads(_wb_base64.b64decode(@CASES@))
_wb_base = dict(globals())
_wb_outcomes = []
_wb_share[:] = [_wb_began(), @SHARE@]
_wb_hung = False
for _wb_case in _wb_cases:
    if _wb_hung:  # one input that does not return is enough; the rest would wait too
        _wb_outcomes.append(("skipped", None))
        continue
    _wb_left = round(max(@SHARE@ - _wb_charged(*_wb_share), 0.001), 3)
    _wb_namespace = dict(_wb_base)
    _wb_namespace.update(_wb_case)
    _wb_outcomes.append(await _wb_run(_wb_namespace, min(@CASE_SECONDS@, _wb_left), _wb_left,
                                      own_share=False))
    _wb_hung = _wb_outcomes[-1][0] == "timeout"
_wb_outcomes
'''

# Runs after every check of the submission, with `_wb_start` (the index of the drawn input
# to start from) prepended by the engine. The reference runs in a namespace of its own,
# after every observation that earns points was reported.
_SHRINKER = _TOOLS + '''
_wb_cases = _wb_marshal.loads(_wb_base64.b64decode(@CASES@))
_wb_seeds = _wb_marshal.loads(_wb_base64.b64decode(@SEEDS@))
_wb_answer_namespace = dict(globals())
_wb_reference_namespace = {"__name__": "__main__"}
exec(compile(@REFERENCE@, "<reference>", "exec", dont_inherit=True), _wb_reference_namespace)
exec(compile(@SETUP@, "<check setup>", "exec", dont_inherit=True), _wb_reference_namespace)
_wb_exact = @EXACT@


def _wb_key(value):
    """A comparable key that keeps exact types apart (numbers by value unless exact)."""
    kind = type(value)
    if kind in (tuple, list):
        return (kind.__name__, tuple(_wb_key(item) for item in value))
    if kind in (set, frozenset):
        return (kind.__name__, frozenset(_wb_key(item) for item in value))
    if kind is dict:
        return ("dict", frozenset((_wb_key(k), _wb_key(v)) for k, v in value.items()))
    if kind is float and value != value:
        return ("float", "nan")
    if not _wb_exact and kind in (int, float):
        return ("number", value)
    return (kind.__name__, value)


def _wb_differ(expected, actual):
    if expected[0] != actual[0]:
        return True
    if expected[0] == "value":
        return _wb_key(expected[1]) != _wb_key(actual[1])
    return expected[1] != actual[1]


class _WbSpent(BaseException):
    """The shrinker's budget is spent, or it cannot go on: report the best so far."""


def _wb_shrink(start, run):
    """Shrink from drawn input `start`; `run(namespace)` gives one input's outcome."""
    from random import Random

    import hypothesis
    import hypothesis.core
    from hypothesis import Phase, settings
    from hypothesis.database import ExampleDatabase
    from hypothesis.errors import NoSuchExample

    strategies = {"__name__": "workbook_generators"}
    exec(compile(@GENERATORS@, "<generators>", "exec", dont_inherit=True), strategies)
    drawn = _wb_cases[start]
    seed = _wb_seeds[start]

    class Seeded(ExampleDatabase):
        """Offers the drawn input's choices as a past failure not yet shrunk (the
        secondary corpus: every key but the primary one), and keeps nothing."""

        def fetch(self, key):
            if key != b"workbook" and seed is not None:
                yield seed

        def save(self, key, value):
            pass

        def delete(self, key, value):
            pass

    state = {"steps": 0, "best": None}
    cpu_ends = _wb_time.process_time() + @SHRINK_SECONDS@
    began = _wb_began()  # SHRINK_WALL_SECONDS are charged as the grader charges a step

    def differs(case):
        state["steps"] += 1
        if state["steps"] == 1 and repr(case) != repr(drawn):
            raise _WbSpent()  # the choices draw another input here (another Hypothesis)
        if (state["steps"] > @SHRINK_STEPS@ or _wb_time.process_time() > cpu_ends
                or _wb_charged(began, @SHRINK_WALL_SECONDS@) > @SHRINK_WALL_SECONDS@):
            raise _WbSpent()
        outcomes = []
        for base in (_wb_reference_namespace, _wb_answer_namespace):
            namespace = dict(base)
            namespace.update(case)
            outcomes.append(run(namespace))
        if "timeout" in (outcomes[0][0], outcomes[1][0]):
            raise _WbSpent()  # hanging inputs are named, not shrunk
        if _wb_differ(*outcomes):
            state["best"] = (case, outcomes[0], outcomes[1])
            return True
        return False

    strategy = hypothesis.strategies.fixed_dictionaries(
        {name: strategies[name] for name in @INPUTS@})
    chosen = settings(database=Seeded(), phases=[Phase.reuse, Phase.shrink], deadline=None,
                      max_examples=@SHRINK_STEPS@)
    # The shrinker draws from this Random: fixed, so every run shrinks the same way (a
    # seeded `find` would switch the database off, and the database is how it is seeded).
    saved = hypothesis.core.threadlocal._hypothesis_global_random
    hypothesis.core.threadlocal._hypothesis_global_random = Random(0)
    try:
        hypothesis.find(strategy, differs, settings=chosen, database_key=b"workbook")
        finished = True
    except (_WbSpent, NoSuchExample):
        finished = False
    finally:
        hypothesis.core.threadlocal._hypothesis_global_random = saved
    if state["best"] is None:
        return None
    case, expected, actual = state["best"]
    return (case, expected, actual, finished, state["steps"])


async def _wb_shrink_awaiting(start):
    """Shrink a property that awaits: Hypothesis searches in a worker thread, and each
    input runs here, on the kernel's event loop and main thread (where its time bound
    works), as the property's inputs ran."""
    loop = _wb_asyncio.get_running_loop()

    def run(namespace):
        future = _wb_asyncio.run_coroutine_threadsafe(
            _wb_run(namespace, @CASE_SECONDS@, 2 * @CASE_SECONDS@), loop)
        try:
            return future.result(timeout=(1 + _wb_allowance) * 2 * @CASE_SECONDS@ + 2)
        except Exception:  # the loop did not run it in time (a time bound defeated)
            future.cancel()
            raise _WbSpent() from None

    return await loop.run_in_executor(None, _wb_shrink, start, run)


if _wb_asynchronous:
    _wb_found = await _wb_shrink_awaiting(_wb_start)
else:
    _wb_found = _wb_shrink(_wb_start, lambda namespace: _wb_run_sync(
        namespace, @CASE_SECONDS@, 2 * @CASE_SECONDS@))
_wb_found
'''


def _filled(template: str, values: dict[str, str]) -> str:
    for name, value in values.items():
        template = template.replace(f"@{name}@", value)
    return template


def _payload(value: Any) -> str:
    return repr(base64.b64encode(marshal.dumps(value)).decode("ascii"))


def _share(question: Question) -> float:
    """Seconds the property's inputs may run together in the kernel."""
    timeout = question.timeout if question.timeout is not None else GradingConfig().timeout
    return round(GENERATED_SHARE * timeout, 3)


def property_label(prop: Property, case: dict[str, Any]) -> str:
    """The property's call with the case's values written in (see grading.judge)."""
    return case_label(prop.code, prop.inputs, case, LABEL_LIMIT)


def property_check(question: Question, prop: Property) -> Check:
    """The engine Check that runs `prop` on its drawn inputs."""
    drawn = draw(question, prop)
    cases = list(drawn.cases)
    common = {"CODE": repr(prop.code), "NAME": repr(f"<property {prop.name}>"),
              "CASES": _payload(cases), "CASE_SECONDS": repr(GENERATED_CASE_SECONDS),
              "ALLOWANCE": repr(RUN_QUEUE_ALLOWANCE)}
    code = _filled(_RUNNER, {**common, "SHARE": repr(_share(question))})
    shrink = None
    if any(seed is not None for seed in drawn.seeds):
        shrink = Shrink(
            code=_filled(_SHRINKER, {
                **common, "SEEDS": _payload(list(drawn.seeds)),
                "REFERENCE": repr(question.reference), "SETUP": repr(question.check_setup),
                "GENERATORS": repr(question.generators), "INPUTS": repr(prop.inputs),
                "EXACT": repr(prop.exact_types), "SHRINK_SECONDS": repr(SHRINK_SECONDS),
                "SHRINK_WALL_SECONDS": repr(SHRINK_WALL_SECONDS),
                "SHRINK_STEPS": repr(SHRINK_STEPS)}),
            property_code=prop.code, inputs=prop.inputs, label_limit=LABEL_LIMIT)
    return Check(name=prop.name, code=code, points=prop.points, description=prop.description,
                 exact_types=prop.exact_types,
                 cases=tuple(property_label(prop, case) for case in cases), shrink=shrink)

