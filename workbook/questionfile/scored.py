"""The sections whose children earn points: hidden checks and generated-input properties."""

from __future__ import annotations

import ast
import re

from workbook.model import HiddenCheck, Property

from .reader import Block, Reader

CHECK_HEADING = re.compile(r"^(?P<name>[a-z0-9]+(?:-[a-z0-9]+)*)\s*\((?P<points>\d+)\s+points?"
                           r"(?P<exact>\s*,\s*exact types)?\)$")


def scored(reader: Reader, block: Block, field_name: str
            ) -> list[tuple[Block, str, int, bool]]:
    """The '### name (N points[, exact types])' children of a block: (child, name, points,
    exact types)."""
    found: list[tuple[Block, str, int, bool]] = []
    seen: set[str] = set()
    for child in block.children:
        match = CHECK_HEADING.match(child.title)
        if not match:
            raise reader.fail(child.line, field_name, f"heading '### {child.title}' must "
                              "read '### name (N points)' or '### name (N points, exact "
                              "types)' with a lower-case dashed name")
        name = match.group("name")
        if name in seen:
            raise reader.fail(child.line, f"{field_name}.{name}", "duplicate name")
        seen.add(name)
        points = int(match.group("points"))
        if points < 1:
            raise reader.fail(child.line, f"{field_name}.{name}", "points must be at least 1")
        found.append((child, name, points, bool(match.group("exact"))))
    return found


def read_hidden_checks(reader: Reader, block: Block) -> tuple[HiddenCheck, ...]:
    return tuple(HiddenCheck(name=name, points=points, line=child.line, exact_types=exact,
                             description=reader.prose(child),
                             code=reader.code(child, f"hidden_checks.{name}"))
                 for child, name, points, exact in scored(reader, block, "hidden_checks"))


def bound_names(code: str) -> list[str]:
    """Names a block binds at its top level (assignments, imports, defs), in order."""
    names: list[str] = []
    for node in ast.parse(code).body:
        targets: list[ast.AST] = []
        if isinstance(node, ast.Assign):
            targets = list(node.targets)
        elif isinstance(node, ast.AnnAssign | ast.AugAssign):
            targets = [node.target]
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.append(node.name)
        for target in targets:
            names += [n.id for n in ast.walk(target) if isinstance(n, ast.Name)]
    return list(dict.fromkeys(names))


def syntax_tree(code: str) -> ast.Module:
    """The syntax tree of check code, which may await at top level."""
    tree = compile(code, "<check>", "exec",
                   flags=ast.PyCF_ONLY_AST | ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
    assert isinstance(tree, ast.Module)
    return tree


def used_names(code: str) -> list[str]:
    tree = syntax_tree(code)
    names = [node.id for node in ast.walk(tree)
             if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)]
    return list(dict.fromkeys(names))


def read_generators(reader: Reader, block: Block) -> tuple[str, tuple[Property, ...]]:
    strategies = reader.code(block, "generators")
    bound = bound_names(strategies)
    properties: list[Property] = []
    for child, name, points, exact in scored(reader, block, "generators"):
        code = reader.code(child, f"generators.{name}")
        tree = syntax_tree(code)
        if not tree.body or not isinstance(tree.body[-1], ast.Expr):
            raise reader.fail(child.line, f"generators.{name}", "must end with an expression: "
                              "the value compared with the reference's, e.g. "
                              "`merge_intervals(intervals)`")
        inputs = tuple(n for n in used_names(code) if n in bound)
        if not inputs:
            raise reader.fail(child.line, f"generators.{name}", "uses none of the names the "
                              f"generators block defines ({', '.join(bound) or 'none'}); "
                              "name the strategies this property draws from")
        properties.append(Property(name=name, points=points, line=child.line, code=code,
                                   exact_types=exact, description=reader.prose(child),
                                   inputs=inputs))
    if not properties:
        raise reader.fail(block.line, "generators", "defines no property; add '### name "
                          "(N points)' with a sentence and a python block")
    return strategies, tuple(properties)

