"""The in-kernel half of a submission's run: execute answer cells in the user namespace and
checks in shallow copies of it, and publish what happened after each step. It decides
nothing.

The grader sends one cell, `await __import__("_workbook_harness").run()`, with
{"workbook": {"nonce": str, "steps": [...]}} in the request's metadata; each step is
(index, kind, setup, code), kind "answer" or "check". After every step one
display is published under OBSERVATION_MIME: {"nonce", "index", "status", ...} where
status is, for an answer cell,
  "done"         it ran to the end
  "raised"       it raised: type, message
and for a check,
  "value"        data = base64 of marshal.dumps(last expression's value)
  "raised"       the check raised: type, message
  "setup-raised" the check's setup raised: type, message
  "unplain"      the value cannot be marshalled: type, and the first item that is not
                 plain data: inner (its type), base (the plain type it subclasses, if
                 any) and path (where it sits, e.g. "[1]['totals']")
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
import base64
import gc
import inspect
import itertools
import linecache
import marshal
import sys
import tracemalloc
from types import CodeType
from typing import Any

OBSERVATION_MIME = "application/x-workbook-observation+json"
_FLAGS = ast.PyCF_ALLOW_TOP_LEVEL_AWAIT
_SETUP_NAME, _CHECK_NAME = "<check setup>", "<check>"
_MESSAGE_LIMIT = 2000

# bound now, before any candidate code can patch the modules they come from
_dumps = marshal.dumps
_b64 = base64.b64encode
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


def _describe(error: BaseException) -> dict[str, str]:
    try:
        message = str(error)
    except BaseException:
        message = "<unprintable>"
    return {"type": type(error).__name__, "message": message[:_MESSAGE_LIMIT]}


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


async def _observe(shell: Any, setup: str, code: str) -> dict[str, Any]:
    """Run one check in a copy of the user namespace; what it observed, as report fields."""
    namespace = dict(shell.user_ns)
    try:
        if setup:
            await _execute(setup, namespace, _SETUP_NAME)
    except KeyboardInterrupt:
        raise
    except BaseException as error:
        return {"status": "setup-raised", **_describe(error)}
    try:
        value = await _execute(code, namespace, _CHECK_NAME)
    except KeyboardInterrupt:
        raise
    except BaseException as error:
        return {"status": "raised", **_describe(error)}
    try:
        data = _dumps(value)
    except (ValueError, TypeError, RecursionError):
        return {"status": "unplain", "type": type(value).__name__, **_first_unplain(value)}
    return {"status": "value", "data": _b64(data).decode("ascii")}


_PLAIN_SCALARS = (type(None), bool, int, float, complex, str, bytes)
_PLAIN_CONTAINERS = (tuple, list, set, frozenset, dict)
_UNPLAIN_SEARCH_LIMIT = 100_000


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
            return {"inner": kind.__name__, "base": base, "path": path}
        if kind is dict:
            children = [(v, f"{path}[{repr(k)[:40] if type(k) in _PLAIN_SCALARS else '...'}]")
                        for k, v in dict.items(item)]
            children += [(k, f"{path} (a key)") for k in dict.keys(item)]
        elif kind in (list, tuple):
            children = [(child, f"{path}[{index}]") for index, child in enumerate(item)]
        else:
            children = [(child, f"{path} (an element)") for child in item]
        stack.extend(reversed(children))
    return {"inner": type(value).__name__, "base": "", "path": ""}


async def run() -> None:
    """Run each step of the current request and publish what happened, in order."""
    shell = get_ipython()  # type: ignore[name-defined]  # noqa: F821 - an IPython builtin
    request = shell.kernel.get_parent()["metadata"]["workbook"]
    nonce: str = request["nonce"]
    for index, kind, setup, code in request["steps"]:
        report: dict[str, Any] = {"nonce": nonce, "index": index}
        if kind == "answer":
            try:
                await _run_answer(shell, code)
            except KeyboardInterrupt:
                raise
            except BaseException as error:
                report.update(status="raised", **_describe(error))
            else:
                report.update(status="done")
        else:
            saved = _interpreter_settings()
            try:
                report.update(await _observe(shell, setup, code))
            finally:
                _restore_interpreter_settings(saved)
        _publish(report)
