"""Turn a property and its drawn inputs into one engine Check.

The check's code carries the inputs (marshalled plain data) and the property's code; in
the kernel it runs the property once per input, each in its own copy of the namespace,
and observes a list of per-input outcomes: ("value", v), ("raised", exception type) or
("unplain", (type, plain base, where)) when a value cannot cross as plain data. Each
input also gets a label, the property's call written out with the drawn values, which
the grader uses to name the smallest input that differs.
"""

from __future__ import annotations

import ast
import base64
import marshal
from typing import Any

from grading.tasks import Check
from workbook.generated.draw import draw_cases
from workbook.model import Property, Question

LABEL_LIMIT = 400

# Runs in the candidate's kernel after the check setup, as a check. The harness module is
# there (it runs every check), so its walker names the first item that is not plain data.
# KeyboardInterrupt is the grader stopping a check that ran too long: it must go through.
_RUNNER = '''\
import ast as _wb_ast, base64 as _wb_base64, inspect as _wb_inspect, marshal as _wb_marshal
_wb_cases = _wb_marshal.loads(_wb_base64.b64decode(@CASES@))
_wb_tree = _wb_ast.parse(@CODE@)
_wb_last = _wb_tree.body.pop()
_wb_flags = _wb_ast.PyCF_ALLOW_TOP_LEVEL_AWAIT
_wb_body = compile(_wb_tree, @NAME@, "exec", flags=_wb_flags, dont_inherit=True)
_wb_expression = compile(_wb_ast.Expression(_wb_last.value), @NAME@, "eval",
                         flags=_wb_flags, dont_inherit=True)
_wb_unplain = __import__("_workbook_harness")._first_unplain
_wb_base = dict(globals())
_wb_outcomes = []
for _wb_case in _wb_cases:
    _wb_namespace = dict(_wb_base)
    _wb_namespace.update(_wb_case)
    try:
        _wb_value = eval(_wb_body, _wb_namespace)
        if _wb_body.co_flags & _wb_inspect.CO_COROUTINE:
            await _wb_value
        _wb_value = eval(_wb_expression, _wb_namespace)
        if _wb_expression.co_flags & _wb_inspect.CO_COROUTINE:
            _wb_value = await _wb_value
    except KeyboardInterrupt:
        raise
    except BaseException as _wb_error:
        _wb_outcomes.append(("raised", type(_wb_error).__name__))
        continue
    try:
        _wb_marshal.dumps(_wb_value)
    except (ValueError, TypeError, RecursionError):
        _wb_found = _wb_unplain(_wb_value)
        _wb_outcomes.append(("unplain", (_wb_found["inner"], _wb_found["base"],
                                         _wb_found["path"])))
    else:
        _wb_outcomes.append(("value", _wb_value))
_wb_outcomes
'''


class _Substitute(ast.NodeTransformer):
    """Write drawn values in place of the names they are bound to."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.values = values

    def visit_Name(self, node: ast.Name) -> ast.AST:
        if isinstance(node.ctx, ast.Load) and node.id in self.values:
            return ast.Name(id=repr(self.values[node.id]), ctx=ast.Load())
        return node


def case_label(prop: Property, case: dict[str, Any]) -> str:
    """The property's call with the case's values written in: `merge([(1, 3), (3, 3)])`
    when the property is one expression, else `capacity = 2, ops = [...]`."""
    tree = ast.parse(prop.code)
    if len(tree.body) == 1 and isinstance(tree.body[0], ast.Expr):
        label = ast.unparse(_Substitute(case).visit(tree.body[0].value))
    else:
        label = ", ".join(f"{name} = {case[name]!r}" for name in prop.inputs)
    return label if len(label) <= LABEL_LIMIT else label[:LABEL_LIMIT - 1] + "…"


def property_check(question: Question, prop: Property) -> Check:
    """The engine Check that runs `prop` on its drawn inputs."""
    cases = draw_cases(question, prop)
    payload = base64.b64encode(marshal.dumps(list(cases))).decode("ascii")
    code = (_RUNNER.replace("@CASES@", repr(payload)).replace("@CODE@", repr(prop.code))
            .replace("@NAME@", repr(f"<property {prop.name}>")))
    return Check(name=prop.name, code=code, points=prop.points, description=prop.description,
                 exact_types=prop.exact_types,
                 cases=tuple(case_label(prop, case) for case in cases))
