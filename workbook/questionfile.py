"""Read one question file: Markdown with TOML front matter.

The layout (see docs/question-format.md) is

    +++                      TOML: id, title, section, level, kind, points, minutes,
    ...                      timeout, [competencies]
    +++
    ## Prompt                Markdown shown to the candidate
    ## Starter               one python block (coding)
    ## Reference             one python block (coding)
    ## Public checks         one python block of asserts the candidate can run (coding)
    ## Check setup           optional python block run before each hidden check
    ## Hidden checks         ### name (N points), a sentence, one python block each
    ## Decoys                ### name, a one-line note, one python block each
    ## Generators            optional: a python block binding Hypothesis strategies to
                             names, then ### name (N points), a sentence, one python block
                             per property (generated-input checks)
    ## Accepted alternatives optional: ### name, a one-line note, one python block each
    ## Rules                 optional: ### name, the rule as the prompt states it, and a
                             "Checks: a, b" line naming the checks that test it
    ## Equivalent mutants    optional: ### mutant-id, why no answer can tell it apart
    ## Rubric                ### Strong signals / Red flags / Follow-up probes (lists),
                             ### Scores (list of "0: ..." .. "4: ...")

Every error names the file, the line and the field.
"""

from __future__ import annotations

import ast
import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from workbook.errors import QuestionFileError
from workbook.model import (
    COMPETENCIES,
    DEFAULT_GENERATED_CASES,
    SCORE_RANGE,
    SECTIONS,
    Alternative,
    Decoy,
    EquivalentMutant,
    HiddenCheck,
    Kind,
    Level,
    Property,
    Question,
    Rubric,
    Rule,
)
from workbook.parsed_code import digest

ID_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
CHECK_HEADING = re.compile(r"^(?P<name>[a-z0-9]+(?:-[a-z0-9]+)*)\s*\((?P<points>\d+)\s+points?"
                           r"(?P<exact>\s*,\s*exact types)?\)$")
RULE_CHECKS = re.compile(r"^checks:\s*(?P<names>.*)$", re.IGNORECASE)
SCORE_LINE = re.compile(r"^(?P<score>\d)\s*[:\-–]\s*(?P<text>.+)$")

SECTION_FIELDS = {
    "prompt": "Prompt",
    "starter": "Starter",
    "reference": "Reference",
    "public_checks": "Public checks",
    "check_setup": "Check setup",
    "hidden_checks": "Hidden checks",
    "decoys": "Decoys",
    "generators": "Generators",
    "alternatives": "Accepted alternatives",
    "rules": "Rules",
    "equivalent_mutants": "Equivalent mutants",
    "rubric": "Rubric",
}
CODING_ONLY = ("starter", "reference", "public_checks", "check_setup", "hidden_checks",
               "decoys", "generators", "alternatives", "rules", "equivalent_mutants")
HEADING_TO_FIELD = {title.lower(): name for name, title in SECTION_FIELDS.items()}
RUBRIC_PARTS = {
    "strong signals": "strong_signals",
    "red flags": "red_flags",
    "follow-up probes": "follow_ups",
    "scores": "scores",
}
FRONT_MATTER_KEYS = {"id", "title", "section", "level", "kind", "points", "minutes", "timeout",
                     "generated_cases", "competencies", "imported"}
#: where an imported question came from (`workbook import`); such a question may have no
#: decoys yet, and `bank check` flags it as proven with its reference and starter only
IMPORTED_FROM = ("nbgrader",)
MIN_DECOYS = 2
MAX_CASES = 2000
#: how `workbook bank check --mutants` names a mutant: its operator and a digest of the change
MUTANT_ID = re.compile(r"^[a-z]+(?:-[a-z]+)*-[0-9a-f]{8}$")


@dataclass
class Block:
    """A heading and the lines under it, with the line number of the heading."""

    title: str
    line: int
    lines: list[tuple[int, str]] = field(default_factory=list)
    children: list[Block] = field(default_factory=list)


class _Reader:
    def __init__(self, path: Path, text: str, parsed: set[str] | None) -> None:
        self.path = path
        self.text = text
        #: digests of code known to parse (see workbook.parsed_code); grows as we go
        self.parsed = parsed if parsed is not None else set()

    def fail(self, line: int | None, field_name: str, problem: str) -> QuestionFileError:
        return QuestionFileError(self.path, line, field_name, problem)

    # -- front matter ------------------------------------------------------------------
    def front_matter(self) -> tuple[dict[str, Any], int, list[str]]:
        lines = self.text.splitlines()
        if not lines or lines[0].strip() != "+++":
            raise self.fail(1, "front matter", "the file must start with a '+++' line opening "
                            "the TOML front matter")
        end = next((n for n, line in enumerate(lines[1:], start=1) if line.strip() == "+++"), 0)
        if not end:
            raise self.fail(1, "front matter", "no closing '+++' line after the TOML front matter")
        toml_text = "\n".join(lines[1:end])
        try:
            data = tomllib.loads(toml_text)
        except tomllib.TOMLDecodeError as exc:
            match = re.search(r"line (\d+)", str(exc))
            line = int(match.group(1)) + 1 if match else 1
            message = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(exc))
            raise self.fail(line, "front matter", f"invalid TOML: {message}") from None
        return data, end + 1, lines

    def key_line(self, key: str) -> int | None:
        pattern = re.compile(rf"^\s*{re.escape(key)}\s*=|^\s*\[{re.escape(key)}\]")
        for number, line in enumerate(self.text.splitlines(), start=1):
            if pattern.match(line):
                return number
        return None

    # -- body --------------------------------------------------------------------------
    def blocks(self, lines: list[str], start: int) -> list[Block]:
        """Split the body into '## ' blocks holding '### ' children, ignoring code fences."""
        top: list[Block] = []
        current: Block | None = None
        child: Block | None = None
        fence: str | None = None
        for number, line in enumerate(lines[start:], start=start + 1):
            stripped = line.strip()
            if fence is None and stripped.startswith("```"):
                fence = "```"
            elif fence is not None and stripped == fence:
                fence = None
            elif fence is None and line.startswith("## "):
                current = Block(line[3:].strip(), number)
                child = None
                top.append(current)
                continue
            elif fence is None and line.startswith("### "):
                if current is None:
                    raise self.fail(number, "body", "a '### ' heading must sit under a '## ' "
                                    "heading")
                child = Block(line[4:].strip(), number)
                current.children.append(child)
                continue
            target = child or current
            if target is None:
                if stripped:
                    raise self.fail(number, "body", "text before the first '## ' heading; "
                                    "start the body with '## Prompt'")
                continue
            target.lines.append((number, line))
        if fence is not None:
            raise self.fail(len(lines), "body", "a code block opened with ``` is never closed")
        return top

    def code(self, block: Block, field_name: str, *, required: bool = True) -> str:
        """The single ```python block in `block`."""
        codes: list[str] = []
        inside: list[str] | None = None
        for number, line in block.lines:
            stripped = line.strip()
            if inside is None and stripped.startswith("```"):
                language = stripped[3:].strip()
                if language not in ("python", "py", ""):
                    raise self.fail(number, field_name, f"code block language '{language}'; "
                                    "use ```python")
                inside = []
            elif inside is not None and stripped == "```":
                codes.append("\n".join(inside).rstrip() + "\n")
                inside = None
            elif inside is not None:
                inside.append(line)
        if len(codes) > 1:
            raise self.fail(block.line, field_name, "holds more than one code block; keep one")
        if not codes or not codes[0].strip():
            if required:
                raise self.fail(block.line, field_name, "needs one non-empty ```python code block")
            return ""
        code = codes[0]
        known = digest(code)
        if known in self.parsed:
            return code
        try:
            # Checks may use top-level await, as a notebook cell may.
            compile(code, f"{self.path}:{field_name}", "exec",
                    flags=ast.PyCF_ONLY_AST | ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
        except SyntaxError as exc:
            offset = (exc.lineno or 0)
            code_start = next(n for n, line in block.lines if line.strip().startswith("```"))
            raise self.fail(code_start + offset, field_name,
                            f"Python syntax error: {exc.msg}") from None
        self.parsed.add(known)
        return code

    @staticmethod
    def markdown(block: Block) -> str:
        """Everything under the heading, code blocks included, trimmed."""
        return "\n".join(line for _, line in block.lines).strip()

    @staticmethod
    def prose(block: Block) -> str:
        """Text outside code blocks, trimmed."""
        kept: list[str] = []
        inside = False
        for _, line in block.lines:
            if line.strip().startswith("```"):
                inside = not inside
                continue
            if not inside:
                kept.append(line)
        return "\n".join(kept).strip()

    def bullets(self, block: Block, field_name: str) -> tuple[str, ...]:
        items: list[str] = []
        for number, line in block.lines:
            stripped = line.strip()
            if not stripped:
                continue
            if stripped.startswith(("- ", "* ")):
                items.append(stripped[2:].strip())
            elif items and line.startswith((" ", "\t")):
                items[-1] += " " + stripped
            else:
                raise self.fail(number, field_name, "expected a list item starting with '- '")
        if not items:
            raise self.fail(block.line, field_name, "needs at least one '- ' list item")
        return tuple(items)


def _require(data: dict[str, Any], reader: _Reader, key: str, kind: type) -> Any:
    if key not in data:
        raise reader.fail(2, key, f"missing; add `{key} = ...` to the front matter")
    value = data[key]
    if kind is int and (isinstance(value, bool) or not isinstance(value, int)):
        raise reader.fail(reader.key_line(key), key, f"must be a whole number, not {value!r}")
    if kind is str and (not isinstance(value, str) or not value.strip()):
        raise reader.fail(reader.key_line(key), key, "must be a non-empty string")
    return value


def _choice(reader: _Reader, key: str, value: Any, options: list[str]) -> str:
    if value not in options:
        raise reader.fail(reader.key_line(key), key,
                          f"'{value}' is not one of: {', '.join(options)}")
    return str(value)


def _competencies(reader: _Reader, data: dict[str, Any]) -> dict[str, float]:
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


def _scored(reader: _Reader, block: Block, field_name: str
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


def _hidden_checks(reader: _Reader, block: Block) -> tuple[HiddenCheck, ...]:
    return tuple(HiddenCheck(name=name, points=points, line=child.line, exact_types=exact,
                             description=reader.prose(child),
                             code=reader.code(child, f"hidden_checks.{name}"))
                 for child, name, points, exact in _scored(reader, block, "hidden_checks"))


def _bound_names(code: str) -> list[str]:
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


def _tree(code: str) -> ast.Module:
    """The syntax tree of check code, which may await at top level."""
    tree = compile(code, "<check>", "exec",
                   flags=ast.PyCF_ONLY_AST | ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
    assert isinstance(tree, ast.Module)
    return tree


def _used_names(code: str) -> list[str]:
    tree = _tree(code)
    names = [node.id for node in ast.walk(tree)
             if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)]
    return list(dict.fromkeys(names))


def _generators(reader: _Reader, block: Block) -> tuple[str, tuple[Property, ...]]:
    strategies = reader.code(block, "generators")
    bound = _bound_names(strategies)
    properties: list[Property] = []
    for child, name, points, exact in _scored(reader, block, "generators"):
        code = reader.code(child, f"generators.{name}")
        tree = _tree(code)
        if not tree.body or not isinstance(tree.body[-1], ast.Expr):
            raise reader.fail(child.line, f"generators.{name}", "must end with an expression: "
                              "the value compared with the reference's, e.g. "
                              "`merge_intervals(intervals)`")
        inputs = tuple(n for n in _used_names(code) if n in bound)
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


def _named_code(reader: _Reader, block: Block, field_name: str, what: str
                ) -> list[tuple[Block, str, str, str]]:
    """'### name', a one-line note and one python block per child: (child, name, note,
    code)."""
    found: list[tuple[Block, str, str, str]] = []
    seen: set[str] = set()
    for child in block.children:
        name = child.title
        if not ID_PATTERN.match(name):
            raise reader.fail(child.line, field_name, f"{what} name '{name}' must be "
                              "lower-case words joined by dashes")
        if name in seen:
            raise reader.fail(child.line, f"{field_name}.{name}", f"duplicate {what} name")
        seen.add(name)
        note = reader.prose(child)
        if not note or "\n" in note:
            raise reader.fail(child.line, f"{field_name}.{name}", "needs a one-line note "
                              "above its code block")
        found.append((child, name, note, reader.code(child, f"{field_name}.{name}")))
    return found


def _alternatives(reader: _Reader, block: Block) -> tuple[Alternative, ...]:
    return tuple(Alternative(name=name, note=note, code=code, line=child.line)
                 for child, name, note, code in _named_code(reader, block, "alternatives",
                                                            "alternative"))


def _rules(reader: _Reader, block: Block, checks: Sequence[str]) -> tuple[Rule, ...]:
    rules: list[Rule] = []
    seen: set[str] = set()
    for child in block.children:
        name = child.title
        where = f"rules.{name}"
        if not ID_PATTERN.match(name):
            raise reader.fail(child.line, "rules", f"rule name '{name}' must be lower-case "
                              "words joined by dashes")
        if name in seen:
            raise reader.fail(child.line, where, "duplicate rule name")
        seen.add(name)
        text: list[str] = []
        named: list[str] | None = None
        for number, line in child.lines:
            match = RULE_CHECKS.match(line.strip())
            if match is None:
                text.append(line.strip())
                continue
            if named is not None:
                raise reader.fail(number, where, "has two 'Checks:' lines; keep one")
            named = [n.strip() for n in match.group("names").split(",") if n.strip()]
            unknown = [n for n in named if n not in checks]
            if unknown:
                raise reader.fail(number, where, f"names {', '.join(unknown)}, which is no "
                                  "hidden check or generated property of this question")
        statement = " ".join(t for t in text if t).strip()
        if not statement:
            raise reader.fail(child.line, where, "state the rule as the prompt states it")
        if not named:
            raise reader.fail(child.line, where, "no check tests this rule: add a 'Checks: "
                              "name, ...' line naming the checks or properties that test it "
                              "from both sides")
        rules.append(Rule(name=name, text=statement, checks=tuple(named), line=child.line))
    return tuple(rules)


def _equivalent_mutants(reader: _Reader, block: Block) -> tuple[EquivalentMutant, ...]:
    mutants: list[EquivalentMutant] = []
    seen: set[str] = set()
    for child in block.children:
        mutant_id = child.title
        if not MUTANT_ID.match(mutant_id):
            raise reader.fail(child.line, "equivalent_mutants", f"'{mutant_id}' is not a "
                              "mutant id as `workbook bank check --mutants` prints it "
                              "(operator-hash, e.g. compare-3f9a1c2b)")
        if mutant_id in seen:
            raise reader.fail(child.line, f"equivalent_mutants.{mutant_id}", "listed twice")
        seen.add(mutant_id)
        reason = reader.prose(child)
        if not reason:
            raise reader.fail(child.line, f"equivalent_mutants.{mutant_id}",
                              "say why no answer can tell this mutant from the reference")
        mutants.append(EquivalentMutant(id=mutant_id, reason=" ".join(reason.split()),
                                        line=child.line))
    return tuple(mutants)


def _decoys(reader: _Reader, block: Block) -> tuple[Decoy, ...]:
    return tuple(Decoy(name=name, note=note, code=code, line=child.line)
                 for child, name, note, code in _named_code(reader, block, "decoys", "decoy"))


def _rubric(reader: _Reader, block: Block) -> Rubric:
    parts: dict[str, Block] = {}
    for child in block.children:
        key = RUBRIC_PARTS.get(child.title.lower())
        if key is None:
            raise reader.fail(child.line, "rubric", f"unknown rubric part '{child.title}'; use "
                              "Strong signals, Red flags, Follow-up probes, Scores")
        parts[key] = child
    for title, key in RUBRIC_PARTS.items():
        if key not in parts:
            raise reader.fail(block.line, f"rubric.{key}", f"missing '### {title.capitalize()}'")
    scores: dict[int, str] = {}
    for item in reader.bullets(parts["scores"], "rubric.scores"):
        match = SCORE_LINE.match(item)
        if not match or int(match.group("score")) not in SCORE_RANGE:
            raise reader.fail(parts["scores"].line, "rubric.scores",
                              f"'{item[:40]}' must read '- N: what earns it' with N in 0..4")
        scores[int(match.group("score"))] = match.group("text").strip()
    missing = [str(s) for s in SCORE_RANGE if s not in scores]
    if missing:
        raise reader.fail(parts["scores"].line, "rubric.scores",
                          f"describe every score 0..4; missing {', '.join(missing)}")
    return Rubric(
        strong_signals=reader.bullets(parts["strong_signals"], "rubric.strong_signals"),
        red_flags=reader.bullets(parts["red_flags"], "rubric.red_flags"),
        follow_ups=reader.bullets(parts["follow_ups"], "rubric.follow_ups"),
        scores=scores,
    )


def parse_question(text: str, path: Path | str = "<question>", *,
                   parsed: set[str] | None = None) -> Question:
    """Parse and validate the text of one question file. `parsed`: digests of code blocks
    already known to parse (skipped, and added to as blocks pass)."""
    reader = _Reader(Path(path), text, parsed)
    data, body_start, lines = reader.front_matter()
    for key in data:
        if key not in FRONT_MATTER_KEYS:
            raise reader.fail(reader.key_line(key), key, "unknown front-matter field; known "
                              f"fields are {', '.join(sorted(FRONT_MATTER_KEYS))}")
    question_id = _require(data, reader, "id", str)
    if not ID_PATTERN.match(question_id):
        raise reader.fail(reader.key_line("id"), "id", f"'{question_id}' must be lower-case "
                          "words and digits joined by dashes")
    title = _require(data, reader, "title", str)
    section = _choice(reader, "section", _require(data, reader, "section", str), list(SECTIONS))
    level = Level(_choice(reader, "level", _require(data, reader, "level", str),
                          [lv.value for lv in Level]))
    kind = Kind(_choice(reader, "kind", _require(data, reader, "kind", str),
                        [k.value for k in Kind]))
    points = _require(data, reader, "points", int)
    minutes = _require(data, reader, "minutes", int)
    for key, value in (("points", points), ("minutes", minutes)):
        if value < 1:
            raise reader.fail(reader.key_line(key), key, "must be at least 1")
    timeout = data.get("timeout")
    if timeout is not None and (isinstance(timeout, bool) or not isinstance(timeout, int | float)
                                or timeout <= 0):
        raise reader.fail(reader.key_line("timeout"), "timeout",
                          "must be a positive number of seconds")

    imported = data.get("imported", "")
    if imported and imported not in IMPORTED_FROM:
        raise reader.fail(reader.key_line("imported"), "imported",
                          f"must be one of {', '.join(IMPORTED_FROM)}, not {imported!r}")

    cases = data.get("generated_cases", DEFAULT_GENERATED_CASES)
    if isinstance(cases, bool) or not isinstance(cases, int) or not 1 <= cases <= MAX_CASES:
        raise reader.fail(reader.key_line("generated_cases"), "generated_cases",
                          f"must be a whole number from 1 to {MAX_CASES}")

    blocks: dict[str, Block] = {}
    for block in reader.blocks(lines, body_start):
        heading = HEADING_TO_FIELD.get(block.title.lower())
        if heading is None:
            raise reader.fail(block.line, "body", f"unknown heading '## {block.title}'; use "
                              f"{', '.join(SECTION_FIELDS.values())}")
        key = heading
        if key in blocks:
            raise reader.fail(block.line, key, f"'## {block.title}' appears twice")
        blocks[key] = block

    def need(key: str) -> Block:
        if key not in blocks:
            raise reader.fail(None, key, f"missing '## {SECTION_FIELDS[key]}' section")
        return blocks[key]

    # The prompt is Markdown shown as written, code examples included.
    prompt = reader.markdown(need("prompt")) if not need("prompt").children else ""
    if not prompt:
        raise reader.fail(need("prompt").line, "prompt", "write the prompt as prose under "
                          "'## Prompt' (no '###' subheadings)")
    rubric = _rubric(reader, need("rubric"))
    fields: dict[str, Any] = {}
    if kind is Kind.CODING:
        fields["starter"] = reader.code(need("starter"), "starter")
        fields["reference"] = reader.code(need("reference"), "reference")
        fields["public_checks"] = reader.code(need("public_checks"), "public_checks")
        if "check_setup" in blocks:
            fields["check_setup"] = reader.code(blocks["check_setup"], "check_setup")
        hidden = _hidden_checks(reader, need("hidden_checks"))
        strategies, properties = (_generators(reader, blocks["generators"])
                                  if "generators" in blocks else ("", ()))
        clash = {c.name for c in hidden} & {p.name for p in properties}
        if clash:
            raise reader.fail(blocks["generators"].line, "generators",
                              f"{', '.join(sorted(clash))}: a property and a hidden check "
                              "share this name; names must be unique")
        if not hidden:
            raise reader.fail(need("hidden_checks").line, "hidden_checks",
                              "a coding question needs at least one '### name (N points)' check")
        decoys = (_decoys(reader, need("decoys")) if "decoys" in blocks or not imported
                  else ())
        if len(decoys) < MIN_DECOYS and not (imported and not decoys):
            raise reader.fail(need("decoys").line, "decoys",
                              f"a coding question needs at least {MIN_DECOYS} decoys, "
                              f"found {len(decoys)}")
        scored = sum(c.points for c in hidden) + sum(p.points for p in properties)
        if scored != points:
            raise reader.fail(reader.key_line("points"), "points",
                              f"is {points} but the hidden checks and properties add up to "
                              f"{scored}; make them agree")
        fields["hidden_checks"] = hidden
        fields["decoys"] = decoys
        fields["generators"] = strategies
        fields["properties"] = properties
        if "alternatives" in blocks:
            fields["alternatives"] = _alternatives(reader, blocks["alternatives"])
        if "rules" in blocks:
            fields["rules"] = _rules(reader, blocks["rules"],
                                     [*(c.name for c in hidden), *(p.name for p in properties)])
        if "equivalent_mutants" in blocks:
            fields["equivalent_mutants"] = _equivalent_mutants(reader,
                                                               blocks["equivalent_mutants"])
    else:
        for key in CODING_ONLY:
            if key in blocks:
                raise reader.fail(blocks[key].line, key,
                                  "a discussion question has no code; remove this section "
                                  "or set kind = \"coding\"")

    return Question(
        id=question_id, title=title.strip(), section=section, level=level, kind=kind,
        competencies=_competencies(reader, data), points=points, minutes=minutes,
        timeout=float(timeout) if timeout is not None else None, prompt=prompt, rubric=rubric,
        generated_cases=cases, source=str(path), imported=str(imported), **fields,
    )


def read_question(path: Path, *, parsed: set[str] | None = None) -> Question:
    """Read and parse a question file from disk."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise QuestionFileError(path, None, "file", "is not UTF-8 text") from None
    except OSError as exc:
        raise QuestionFileError(path, None, "file", f"cannot be read: {exc.strerror}") from None
    return parse_question(text, path, parsed=parsed)
