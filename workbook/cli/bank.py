"""`workbook bank list|show|check`: look into the question bank and prove it sound."""

from __future__ import annotations

import argparse
import json
from typing import Any

from workbook.cli.common import add_bank_option, load_bank_from
from workbook.errors import SelectionError
from workbook.model import SECTIONS, Bank, Question
from workbook.notebook import rubric_markdown


def register(commands: Any) -> None:
    parser = commands.add_parser("bank", help="list, show or check the question bank",
                                 description="Inspect the question bank.")
    actions = parser.add_subparsers(dest="action", metavar="ACTION",
                                    parser_class=type(parser))
    listing = actions.add_parser("list", help="one line per question, or JSON",
                                 description="List the bank's questions.")
    listing.add_argument("--format", choices=("text", "json"), default="text")
    add_bank_option(listing)
    listing.set_defaults(run=run_list)
    show = actions.add_parser("show", help="everything about one question",
                              description="Show one question, hidden parts included.")
    show.add_argument("id", metavar="ID")
    add_bank_option(show)
    show.set_defaults(run=run_show)
    parser.set_defaults(run=lambda args: parser.print_help() or 2)


def bank_summary(bank: Bank) -> dict[str, Any]:
    """Counts by section, level and kind."""
    def count_by(attribute: str) -> dict[str, int]:
        counts: dict[str, int] = {}
        for question in bank.questions:
            value = getattr(question, attribute)
            key = getattr(value, "value", value)
            counts[key] = counts.get(key, 0) + 1
        return dict(sorted(counts.items()))

    return {"bank": bank.name, "version": bank.version, "questions": len(bank.questions),
            "by_section": count_by("section"), "by_level": count_by("level"),
            "by_kind": count_by("kind")}


def question_record(question: Question) -> dict[str, Any]:
    return {"id": question.id, "title": question.title, "section": question.section,
            "level": question.level.value, "kind": question.kind.value,
            "points": question.points, "minutes": question.minutes,
            "hidden_checks": len(question.hidden_checks), "decoys": len(question.decoys)}


def _ordered(bank: Bank) -> list[Question]:
    section_rank = {name: rank for rank, name in enumerate(SECTIONS)}
    level_rank = {"junior": 0, "middle": 1, "senior": 2}
    return sorted(bank.questions, key=lambda q: (section_rank[q.section],
                                                 level_rank[q.level.value], q.id))


def run_list(args: argparse.Namespace) -> int:
    bank = load_bank_from(args)
    questions = _ordered(bank)
    if args.format == "json":
        print(json.dumps([question_record(q) for q in questions], indent=2))
        return 0
    width = max(len(q.id) for q in questions)
    for q in questions:
        checks = f"{len(q.hidden_checks)} checks, {len(q.decoys)} decoys" if q.is_coding else ""
        print(f"{q.id:<{width}}  {q.level.value:<6}  {q.kind.value:<10}  {q.points:>2} pts  "
              f"{q.minutes:>2} min  {q.section:<20}  {checks}")
    summary = bank_summary(bank)
    print(f"\n{summary['questions']} questions in {bank.name} ({bank.version}): "
          + ", ".join(f"{n} {k}" for k, n in summary["by_kind"].items()) + "; "
          + ", ".join(f"{n} {k}" for k, n in summary["by_level"].items()))
    return 0


def run_show(args: argparse.Namespace) -> int:
    bank = load_bank_from(args)
    if args.id not in bank.ids:
        raise SelectionError(f"no question '{args.id}' in {bank.name}; see `workbook bank list`")
    q = bank.get(args.id)
    print(f"# {q.title}  [{q.id}]")
    print(f"{q.section_title} · {q.level.value} · {q.kind.value} · {q.points} points · "
          f"{q.minutes} minutes · {q.source}\n")
    print(q.prompt, "\n")
    if q.is_coding:
        for label, code in (("Starter", q.starter), ("Reference", q.reference),
                            ("Public checks", q.public_checks), ("Check setup", q.check_setup)):
            if code:
                print(f"## {label}\n{code}")
        print("## Hidden checks")
        for check in q.hidden_checks:
            print(f"- {check.name} ({check.points} pts): {check.description}")
        print("\n## Decoys")
        for decoy in q.decoys:
            print(f"- {decoy.name}: {decoy.note}")
        print()
    print(rubric_markdown(q))
    return 0
