"""Mutants of a piece of Python code, one small change each, with stable ids.

Why not a mutation-testing tool's operators: mutmut (3.x) and cosmic-ray mutate files of a
project through their own runners and work databases (mutmut rewrites modules into
trampolines, cosmic-ray drives sessions of parso edits); neither exposes "give me the
mutants of this string" as a library call. The standard operators are small over Python's
`ast`, and owning them lets every mutant carry an id that survives unrelated edits to the
reference: the operator, and a digest of the enclosing function, the code before and
after, and which occurrence of that same change it is.
"""

from __future__ import annotations

import ast
import copy
import difflib
import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass

#: operator name -> what it does, for reports
OPERATORS = {
    "compare": "a comparison changed (< to <=, == to !=, in to not in, ...)",
    "arithmetic": "an arithmetic or bitwise operator changed (+ to -, * to /, ...)",
    "constant": "a whole number off by one",
    "boolean": "True and False swapped, `and` and `or` swapped, a `not` removed or added",
    "remove": "a statement removed",
    "arguments": "the first two arguments of a call swapped",
    "return": "a return value replaced by None",
    "loop": "break and continue swapped",
}

_COMPARE_SWAPS: dict[type[ast.cmpop], type[ast.cmpop]] = {
    ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt, ast.Eq: ast.NotEq,
    ast.NotEq: ast.Eq, ast.In: ast.NotIn, ast.NotIn: ast.In, ast.Is: ast.IsNot,
    ast.IsNot: ast.Is,
}
_ARITHMETIC_SWAPS: dict[type[ast.operator], type[ast.operator]] = {
    ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.Div, ast.Div: ast.Mult,
    ast.FloorDiv: ast.Div, ast.Mod: ast.FloorDiv, ast.Pow: ast.Mult, ast.LShift: ast.RShift,
    ast.RShift: ast.LShift, ast.BitAnd: ast.BitOr, ast.BitOr: ast.BitAnd,
    ast.BitXor: ast.BitAnd,
}
_REMOVABLE = (ast.Expr, ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Raise, ast.Delete,
              ast.Assert, ast.Continue, ast.Break, ast.Global, ast.Nonlocal)


@dataclass(frozen=True)
class Mutant:
    """One changed copy of the code."""

    id: str          # e.g. "compare-3f9a1c2b"
    operator: str
    line: int        # line of the change in the original code
    code: str        # the whole mutated code, as ast.unparse writes it
    diff: str        # the changed lines, before and after


@dataclass(frozen=True)
class _Site:
    parent: int                 # index of the parent node in ast.walk order
    field: str
    index: int | None           # position in the field's list, or None
    operator: str
    make: Callable[[ast.AST], ast.AST]   # the replacement, from (a copy of) the original


def _is_docstring(node: ast.AST) -> bool:
    return (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str))


def _mutations(node: ast.AST, field: str) -> Iterator[tuple[str, Callable[[ast.AST], ast.AST]]]:
    """(operator, replacement builder) pairs for `node`, the child in `field` of its
    parent."""
    if isinstance(node, ast.Compare):
        for position, op in enumerate(node.ops):
            swap = _COMPARE_SWAPS.get(type(op))
            if swap is not None:
                yield "compare", _replace_op(position, swap)
    elif isinstance(node, ast.BinOp | ast.AugAssign):
        swap_op = _ARITHMETIC_SWAPS.get(type(node.op))
        if swap_op is not None:
            yield "arithmetic", _with(op=swap_op)
    elif isinstance(node, ast.Constant) and type(node.value) is int:
        value = node.value
        yield "constant", _with(value=value + 1)
        yield "constant", _with(value=value - 1)
    elif isinstance(node, ast.Constant) and type(node.value) is bool:
        yield "boolean", _with(value=not node.value)
    elif isinstance(node, ast.BoolOp):
        yield "boolean", _with(op=ast.Or if isinstance(node.op, ast.And) else ast.And)
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        yield "boolean", lambda original: original.operand  # type: ignore[attr-defined]
    if field == "test" and not (isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not)):
        yield "boolean", _negate
    if isinstance(node, ast.Call) and len(node.args) >= 2 and not any(
            isinstance(arg, ast.Starred) for arg in node.args[:2]) and (
            ast.dump(node.args[0]) != ast.dump(node.args[1])):
        yield "arguments", _swap_arguments
    if isinstance(node, ast.Return) and node.value is not None and not (
            isinstance(node.value, ast.Constant) and node.value.value is None):
        yield "return", _with(value=None)
    if isinstance(node, ast.Break):
        yield "loop", lambda original: ast.Continue()
    elif isinstance(node, ast.Continue):
        yield "loop", lambda original: ast.Break()
    if isinstance(node, _REMOVABLE) and not _is_docstring(node):
        yield "remove", lambda original: ast.Pass()


def _with(**changes: object) -> Callable[[ast.AST], ast.AST]:
    def make(original: ast.AST) -> ast.AST:
        changed = copy.copy(original)
        for name, value in changes.items():
            setattr(changed, name, value() if isinstance(value, type) else value)
        return changed
    return make


def _replace_op(position: int, swap: type[ast.cmpop]) -> Callable[[ast.AST], ast.AST]:
    def make(original: ast.AST) -> ast.AST:
        changed = copy.copy(original)
        assert isinstance(changed, ast.Compare)
        changed.ops = [*changed.ops]
        changed.ops[position] = swap()
        return changed
    return make


def _negate(original: ast.AST) -> ast.AST:
    assert isinstance(original, ast.expr)
    return ast.UnaryOp(op=ast.Not(), operand=original)


def _swap_arguments(original: ast.AST) -> ast.AST:
    changed = copy.copy(original)
    assert isinstance(changed, ast.Call)
    changed.args = [changed.args[1], changed.args[0], *changed.args[2:]]
    return changed


def _sites(tree: ast.AST) -> Iterator[tuple[_Site, ast.AST, str]]:
    """Every mutation site, with the original node and the name of its enclosing def."""
    scopes: dict[int, str] = {}
    for parent_index, parent in enumerate(ast.walk(tree)):
        scope = scopes.get(id(parent), "<module>")
        for field, value in ast.iter_fields(parent):
            children = value if isinstance(value, list) else [value]
            for position, child in enumerate(children):
                if not isinstance(child, ast.AST):
                    continue
                if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                    inner = f"{scope}.{child.name}" if scope != "<module>" else child.name
                else:
                    inner = scope
                for node in ast.walk(child):
                    scopes.setdefault(id(node), inner)
                for operator, make in _mutations(child, field):
                    index = position if isinstance(value, list) else None
                    yield _Site(parent_index, field, index, operator, make), child, scope


def _apply(tree: ast.Module, site: _Site) -> ast.Module:
    mutated = copy.deepcopy(tree)
    parent = list(ast.walk(mutated))[site.parent]
    value = getattr(parent, site.field)
    if site.index is None:
        setattr(parent, site.field, site.make(value))
    else:
        value[site.index] = site.make(value[site.index])
    return ast.fix_missing_locations(mutated)


def mutants(code: str) -> list[Mutant]:
    """One mutant per site and change, without duplicates or no-op changes."""
    tree = ast.parse(code)
    baseline = ast.unparse(tree)
    seen_code: set[str] = {baseline}
    occurrences: dict[str, int] = {}
    found: list[Mutant] = []
    for site, original, scope in _sites(tree):
        mutated = _apply(tree, site)
        try:
            text = ast.unparse(mutated)
            compile(text, "<mutant>", "exec")
        except (SyntaxError, ValueError, RecursionError):
            continue  # e.g. an empty body left by a removal: not a plausible answer
        if text in seen_code:
            continue
        seen_code.add(text)
        before = ast.unparse(original)
        after = ast.unparse(site.make(copy.deepcopy(original)))
        key = f"{site.operator}|{scope}|{before}|{after}"
        occurrence = occurrences.get(key, 0)
        occurrences[key] = occurrence + 1
        digest = hashlib.sha256(f"{key}|{occurrence}".encode()).hexdigest()[:8]
        found.append(Mutant(id=f"{site.operator}-{digest}", operator=site.operator,
                            line=getattr(original, "lineno", 0), code=text,
                            diff=_diff(baseline, text)))
    return found


def _diff(before: str, after: str) -> str:
    lines = difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0)
    return "\n".join(line for line in lines
                     if not line.startswith(("---", "+++", "@@")))
