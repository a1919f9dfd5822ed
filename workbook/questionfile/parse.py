"""One question file from its text: the front matter, then every section into a `Question`."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

from workbook.errors import QuestionFileError
from workbook.model import DEFAULT_GENERATED_CASES, SECTIONS, Kind, Level, Question

from .header import (
    FRONT_MATTER_KEYS,
    IMPORTED_FROM,
    MAX_CASES,
    choice,
    competencies,
    require,
)
from .named import read_alternatives, read_decoys, read_equivalent_mutants, read_rules
from .reader import ID_PATTERN, Block, Reader
from .rubric import read_rubric
from .scored import read_generators, read_hidden_checks

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
MIN_DECOYS = 2


def required(reader: Reader, blocks: dict[str, Block], key: str) -> Block:
    """The section `key`, which the question must have."""
    if key not in blocks:
        raise reader.fail(None, key, f"missing '## {SECTION_FIELDS[key]}' section")
    return blocks[key]


def parse_question(text: str, path: Path | str = "<question>", *,
                   parsed: set[str] | None = None) -> Question:
    """Parse and validate the text of one question file. `parsed`: digests of code blocks
    already known to parse (skipped, and added to as blocks pass)."""
    reader = Reader(Path(path), text, parsed)
    data, body_start, lines = reader.front_matter()
    for key in data:
        if key not in FRONT_MATTER_KEYS:
            raise reader.fail(reader.key_line(key), key, "unknown front-matter field; known "
                              f"fields are {', '.join(sorted(FRONT_MATTER_KEYS))}")
    question_id = require(data, reader, "id", str)
    if not ID_PATTERN.match(question_id):
        raise reader.fail(reader.key_line("id"), "id", f"'{question_id}' must be lower-case "
                          "words and digits joined by dashes")
    title = require(data, reader, "title", str)
    section = choice(reader, "section", require(data, reader, "section", str), list(SECTIONS))
    level = Level(choice(reader, "level", require(data, reader, "level", str),
                          [lv.value for lv in Level]))
    kind = Kind(choice(reader, "kind", require(data, reader, "kind", str),
                        [k.value for k in Kind]))
    points = require(data, reader, "points", int)
    minutes = require(data, reader, "minutes", int)
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

    need = partial(required, reader, blocks)
    # The prompt is Markdown shown as written, code examples included.
    prompt = reader.markdown(need("prompt")) if not need("prompt").children else ""
    if not prompt:
        raise reader.fail(need("prompt").line, "prompt", "write the prompt as prose under "
                          "'## Prompt' (no '###' subheadings)")
    rubric = read_rubric(reader, need("rubric"))
    fields: dict[str, Any] = {}
    if kind is Kind.CODING:
        fields = coding_fields(reader, blocks, points=points, imported=bool(imported))
    else:
        for key in CODING_ONLY:
            if key in blocks:
                raise reader.fail(blocks[key].line, key,
                                  "a discussion question has no code; remove this section "
                                  "or set kind = \"coding\"")

    return Question(
        id=question_id, title=title.strip(), section=section, level=level, kind=kind,
        competencies=competencies(reader, data), points=points, minutes=minutes,
        timeout=float(timeout) if timeout is not None else None, prompt=prompt, rubric=rubric,
        generated_cases=cases, source=str(path), imported=str(imported), **fields,
    )



def coding_fields(reader: Reader, blocks: dict[str, Block], *, points: int, imported: bool
                  ) -> dict[str, Any]:
    """The code sections of a coding question, as `Question` fields; the hidden checks and
    properties must add up to the front matter's `points`."""

    need = partial(required, reader, blocks)
    fields: dict[str, Any] = {}
    fields["starter"] = reader.code(need("starter"), "starter")
    fields["reference"] = reader.code(need("reference"), "reference")
    fields["public_checks"] = reader.code(need("public_checks"), "public_checks")
    if "check_setup" in blocks:
        fields["check_setup"] = reader.code(blocks["check_setup"], "check_setup")
    hidden = read_hidden_checks(reader, need("hidden_checks"))
    strategies, properties = (read_generators(reader, blocks["generators"])
                              if "generators" in blocks else ("", ()))
    clash = {c.name for c in hidden} & {p.name for p in properties}
    if clash:
        raise reader.fail(blocks["generators"].line, "generators",
                          f"{', '.join(sorted(clash))}: a property and a hidden check "
                          "share this name; names must be unique")
    if not hidden:
        raise reader.fail(need("hidden_checks").line, "hidden_checks",
                          "a coding question needs at least one '### name (N points)' check")
    decoys = (read_decoys(reader, need("decoys")) if "decoys" in blocks or not imported
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
        fields["alternatives"] = read_alternatives(reader, blocks["alternatives"])
    if "rules" in blocks:
        fields["rules"] = read_rules(reader, blocks["rules"],
                                     [*(c.name for c in hidden), *(p.name for p in properties)])
    if "equivalent_mutants" in blocks:
        fields["equivalent_mutants"] = read_equivalent_mutants(reader,
                                                               blocks["equivalent_mutants"])
    return fields


def read_question(path: Path, *, parsed: set[str] | None = None) -> Question:
    """Read and parse a question file from disk."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise QuestionFileError(path, None, "file", "is not UTF-8 text") from None
    except OSError as exc:
        raise QuestionFileError(path, None, "file", f"cannot be read: {exc.strerror}") from None
    return parse_question(text, path, parsed=parsed)
