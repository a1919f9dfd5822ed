"""The sections of named entries: decoys, accepted alternatives, rules and equivalent
mutants."""

from __future__ import annotations

import re
from collections.abc import Sequence

from workbook.model import Alternative, Decoy, EquivalentMutant, Rule

from .reader import ID_PATTERN, Block, Reader

RULE_CHECKS = re.compile(r"^checks:\s*(?P<names>.*)$", re.IGNORECASE)
#: how `workbook bank check --mutants` names a mutant: its operator and a digest of the change
MUTANT_ID = re.compile(r"^[a-z]+(?:-[a-z]+)*-[0-9a-f]{8}$")


def named_code(reader: Reader, block: Block, field_name: str, what: str
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


def read_alternatives(reader: Reader, block: Block) -> tuple[Alternative, ...]:
    return tuple(Alternative(name=name, note=note, code=code, line=child.line)
                 for child, name, note, code in named_code(reader, block, "alternatives",
                                                            "alternative"))


def read_rules(reader: Reader, block: Block, checks: Sequence[str]) -> tuple[Rule, ...]:
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


def read_equivalent_mutants(reader: Reader, block: Block) -> tuple[EquivalentMutant, ...]:
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


def read_decoys(reader: Reader, block: Block) -> tuple[Decoy, ...]:
    return tuple(Decoy(name=name, note=note, code=code, line=child.line)
                 for child, name, note, code in named_code(reader, block, "decoys", "decoy"))

