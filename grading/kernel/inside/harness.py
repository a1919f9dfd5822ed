"""The in-kernel half of a submission's run: execute answer cells in the user namespace and
checks in shallow copies of it, and publish what happened after each step. It decides
nothing.

The grader sends one cell (protocol.HARNESS_CALL) with a protocol.HarnessRequest in the
request's metadata: a nonce and the steps, each an answer cell or a check. After every step
one protocol.Report is published under OBSERVATION_MIME (protocol.py lists the statuses;
a check's value travels as marshal data, format version 2, which has no shared references;
a value that cannot travel is reported with the first item in it that is not plain data).
After each check, process-wide interpreter settings it changed (switch interval, recursion
limit, garbage collector, tracemalloc) are put back, so one task's checks cannot slow or
skew the steps after them.

One cell for the whole submission because each Jupyter request costs several ms of fixed
ipykernel and IPython work; the reports are what let the grader tell which step a
timeout, a crash or a flood belongs to. KeyboardInterrupt (the grader interrupting a step
that ran too long) is not caught: it ends the cell, and the grader sends the steps after
the stopped one in a new cell.

Candidate code runs in this process and can replace any of this; that can only make its
own checks fail, because expected values never enter the kernel.
"""

from __future__ import annotations

import ast
import gc
import inspect
import itertools
import linecache
import marshal
import sys
import tracemalloc
from types import CodeType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from grading.kernel.inside import protocol
else:  # inside a kernel: the folder of this file is on sys.path (see kernel_main.py)
    import protocol

OBSERVATION_MIME = protocol.OBSERVATION_MIME
_FLAGS = ast.PyCF_ALLOW_TOP_LEVEL_AWAIT
_SETUP_NAME, _CHECK_NAME = "<check setup>", "<check>"
_MARSHAL_VERSION = protocol.MARSHAL_VERSION
_Report = protocol.Report
_HarnessRequest = protocol.HarnessRequest

# bound now, before any candidate code can patch the modules they come from
_dumps = marshal.dumps
_compile = compile
_parse = ast.parse
_is_coroutine_code = inspect.CO_COROUTINE
_linecache = linecache.cache
_getswitchinterval, _setswitchinterval = sys.getswitchinterval, sys.setswitchinterval
_getrecursionlimit, _setrecursionlimit = sys.getrecursionlimit, sys.setrecursionlimit
_gc_isenabled, _gc_enable, _gc_disable = gc.isenabled, gc.enable, gc.disable
_gc_get_threshold, _gc_set_threshold = gc.get_threshold, gc.set_threshold
_is_tracing, _stop_tracing = tracemalloc.is_tracing, tracemalloc.stop
#: answer cells get distinct names, so linecache keeps each one's source
_answer_numbers = itertools.count(1)


#: compiled code by (source, filename): a task's check setup runs before each of its
#: checks, and compiling it once per kernel is enough
_compiled: dict[tuple[str, str], tuple[CodeType, CodeType | None]] = {}


def _code_of(source: str, filename: str) -> tuple[CodeType, CodeType | None]:
    """The body and, when the source ends in an expression, that expression, compiled."""
    found = _compiled.get((source, filename))
    if found is None:
        tree = _parse(source, filename=filename)
        last = None
        final = tree.body[-1] if tree.body else None
        if isinstance(final, ast.Expr):
            tree.body.pop()
            last = ast.Expression(final.value)
        # dont_inherit: the harness's own __future__ imports must not change check code
        body = _compile(tree, filename, "exec", flags=_FLAGS, dont_inherit=True)
        expression = (None if last is None else
                      _compile(last, filename, "eval", flags=_FLAGS, dont_inherit=True))
        found = _compiled[(source, filename)] = (body, expression)
    return found


def precompile(checks: list[tuple[str, str]]) -> int:
    """Compile (setup, code) pairs of checks ahead of time (the zygote does this once per
    grader, so every kernel it forks starts with them compiled); code that does not
    compile is left for its check to report. How many compiled."""
    compiled = 0
    for setup, code in checks:
        for source, filename in ((setup, _SETUP_NAME), (code, _CHECK_NAME)):
            if source:
                try:
                    _code_of(source, filename)
                except (SyntaxError, ValueError):
                    continue
                compiled += 1
    return compiled


async def _execute(source: str, namespace: dict[str, Any], filename: str) -> Any:
    """Run `source` in `namespace` (top-level await allowed); the last expression's value."""
    body, expression = _code_of(source, filename)
    result = eval(body, namespace)
    if body.co_flags & _is_coroutine_code:
        await result
    if expression is None:
        return None
    value = eval(expression, namespace)
    if expression.co_flags & _is_coroutine_code:
        value = await value
    return value


def _sendable(text: str) -> str:
    """`text` as the kernel's JSON encoder can send it: lone surrogates (an exception or
    class named with one) would make the report itself fail, so they become escapes."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _type_name(value: Any) -> str:
    return _sendable(str(type(value).__name__))[:protocol.TYPE_NAME_LIMIT]


def _raised(index: int, status: Any, error: BaseException) -> protocol.Report:
    try:
        message = _sendable(str(error)[:protocol.MESSAGE_LIMIT])[:protocol.MESSAGE_LIMIT]
    except BaseException:
        message = "<unprintable>"
    return _Report(index, status, type=_type_name(error), message=message)


def _publish(payload: dict[str, Any]) -> None:
    # Output the step printed goes out before its report, so that the output budget
    # (restarted at each report) and a flood are charged to the step that printed. Only
    # streams with output pending are flushed: each flush waits on the IO thread, which is
    # why this bypasses IPython's display publisher (it flushes both streams every time).
    for stream in (sys.stdout, sys.stderr):
        if getattr(stream, "_flush_pending", False):
            stream.flush()
    publisher = get_ipython().display_pub  # type: ignore[name-defined]  # noqa: F821
    publisher.session.send(publisher.pub_socket, "display_data",
                           {"data": {OBSERVATION_MIME: payload}, "metadata": {},
                            "transient": {}},
                           parent=publisher.parent_header, ident=publisher.topic)


def _interpreter_settings() -> tuple[Any, ...]:
    return (_getswitchinterval(), _getrecursionlimit(), _gc_isenabled(), _gc_get_threshold(),
            _is_tracing())


def _restore_interpreter_settings(saved: tuple[Any, ...]) -> None:
    """Undo what a check changed in the interpreter itself (a tiny switch interval to
    expose races, tracemalloc left running after an exception, ...): a check's namespace is
    a copy, but these are process-wide and would slow or skew every later step."""
    interval, recursion_limit, gc_enabled, gc_threshold, tracing = saved
    _setswitchinterval(interval)
    _setrecursionlimit(recursion_limit)
    if gc_enabled:
        _gc_enable()
    else:
        _gc_disable()
    _gc_set_threshold(*gc_threshold)
    if _is_tracing() and not tracing:
        _stop_tracing()


async def _run_answer(shell: Any, source: str) -> None:
    """Run an answer cell as IPython would (magics and shell escapes included) in the user
    namespace, registered with linecache so tracebacks and `inspect` find its source."""
    filename = f"<answer cell {next(_answer_numbers)}>"
    try:
        tree = _parse(source, filename=filename)
    except SyntaxError:
        # IPython syntax (%magic, !command, obj?) is never valid Python, so only code that
        # fails to parse needs IPython's transforms, which cost about a ms per cell
        source = shell.transform_cell(source)
        tree = _parse(source, filename=filename)
    _linecache[filename] = (len(source), None, source.splitlines(True), filename)
    code = _compile(tree, filename, "exec", flags=_FLAGS, dont_inherit=True)
    result = eval(code, shell.user_ns)
    if code.co_flags & _is_coroutine_code:
        await result


async def _observe(shell: Any, index: int, setup: str, code: str) -> protocol.Report:
    """Run one check in a copy of the user namespace; what it observed."""
    namespace = dict(shell.user_ns)
    try:
        if setup:
            await _execute(setup, namespace, _SETUP_NAME)
    except KeyboardInterrupt:
        raise
    except BaseException as error:
        return _raised(index, "setup-raised", error)
    try:
        value = await _execute(code, namespace, _CHECK_NAME)
    except KeyboardInterrupt:
        raise
    except BaseException as error:
        return _raised(index, "raised", error)
    try:
        data = _dumps(value, _MARSHAL_VERSION)
    except (ValueError, TypeError, RecursionError):
        found = _first_unplain(value)
        return _Report(index, "unplain", type=_type_name(value), inner=found["inner"],
                       base=found["base"], path=found["path"])
    return _Report(index, "value", data=data)


_PLAIN_SCALARS = (type(None), bool, int, float, complex, str, bytes)
_PLAIN_CONTAINERS = (tuple, list, set, frozenset, dict)
_UNPLAIN_SEARCH_LIMIT = 100_000
_NAME, _PATH = protocol.TYPE_NAME_LIMIT, protocol.PATH_LIMIT


def _first_unplain(value: Any) -> dict[str, str]:
    """The first item (depth first) that is not plain data, so the message can name it
    ("a Counter at [1]") rather than the container holding it. Only exact built-in
    containers are walked, with the built-in methods, so no answer code runs here."""
    stack: list[tuple[Any, str]] = [(value, "")]
    for _ in range(_UNPLAIN_SEARCH_LIMIT):
        if not stack:
            break
        item, path = stack.pop()
        kind = type(item)
        if kind in _PLAIN_SCALARS:
            continue
        if kind not in _PLAIN_CONTAINERS:
            base = next((plain.__name__ for plain in (*_PLAIN_SCALARS[1:], *_PLAIN_CONTAINERS)
                         if issubclass(kind, plain)), "")
            return {"inner": _sendable(kind.__name__)[:_NAME], "base": base,
                    "path": _sendable(path[:_PATH])[:_PATH]}
        if kind is dict:
            children = [(v, f"{path}[{repr(k)[:40] if type(k) in _PLAIN_SCALARS else '...'}]")
                        for k, v in dict.items(item)]
            children += [(k, f"{path} (a key)") for k in dict.keys(item)]
        elif kind in (list, tuple):
            children = [(child, f"{path}[{index}]") for index, child in enumerate(item)]
        else:
            children = [(child, f"{path} (an element)") for child in item]
        stack.extend(reversed(children))
    return {"inner": _type_name(value), "base": "", "path": ""}


async def run() -> None:
    """Run each step of the current request and publish what happened, in order."""
    shell = get_ipython()  # type: ignore[name-defined]  # noqa: F821 - an IPython builtin
    request = _HarnessRequest.from_metadata(shell.kernel.get_parent()["metadata"])
    for step in request.steps:
        report: protocol.Report
        if step.kind == "answer":
            try:
                await _run_answer(shell, step.code)
            except KeyboardInterrupt:
                raise
            except BaseException as error:
                report = _raised(step.index, "raised", error)
            else:
                report = _Report(step.index, "done")
        else:
            saved = _interpreter_settings()
            try:
                report = await _observe(shell, step.index, step.setup, step.code)
            finally:
                _restore_interpreter_settings(saved)
        _publish(report.payload(request.nonce))
