"""The front matter of a question file: which fields it may hold and what each must be."""

from __future__ import annotations

from typing import Any

from workbook.model import COMPETENCIES

from .reader import Reader

FRONT_MATTER_KEYS = {"id", "title", "section", "level", "kind", "points", "minutes", "timeout",
                     "generated_cases", "competencies", "imported"}
#: where an imported question came from (`workbook import`); such a question may have no
#: decoys yet, and `bank check` flags it as proven with its reference and starter only
IMPORTED_FROM = ("nbgrader",)
MAX_CASES = 2000


def require(data: dict[str, Any], reader: Reader, key: str, kind: type) -> Any:
    if key not in data:
        raise reader.fail(2, key, f"missing; add `{key} = ...` to the front matter")
    value = data[key]
    if kind is int and (isinstance(value, bool) or not isinstance(value, int)):
        raise reader.fail(reader.key_line(key), key, f"must be a whole number, not {value!r}")
    if kind is str and (not isinstance(value, str) or not value.strip()):
        raise reader.fail(reader.key_line(key), key, "must be a non-empty string")
    return value


def choice(reader: Reader, key: str, value: Any, options: list[str]) -> str:
    if value not in options:
        raise reader.fail(reader.key_line(key), key,
                          f"'{value}' is not one of: {', '.join(options)}")
    return str(value)


def competencies(reader: Reader, data: dict[str, Any]) -> dict[str, float]:
    raw = data.get("competencies")
    line = reader.key_line("competencies")
    if not isinstance(raw, dict) or not raw:
        raise reader.fail(line or 2, "competencies", "add a [competencies] table, e.g. "
                          "problem_solving = 2, fundamentals = 1")
    weights: dict[str, float] = {}
    for name, weight in raw.items():
        if name not in COMPETENCIES:
            raise reader.fail(reader.key_line(name) or line, f"competencies.{name}",
                              f"unknown competency; use one of: {', '.join(COMPETENCIES)}")
        if isinstance(weight, bool) or not isinstance(weight, int | float) or weight <= 0:
            raise reader.fail(reader.key_line(name) or line, f"competencies.{name}",
                              "weight must be a positive number")
        weights[name] = float(weight)
    return weights

