"""`workbook bank list|show|check`: look into the question bank and prove it sound."""

from __future__ import annotations

import argparse
import json
import os
import sys
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
    listing.add_argument("--summary", action="store_true",
                         help="print the counts by section, level and kind instead")
    add_bank_option(listing)
    listing.set_defaults(run=run_list)
    show = actions.add_parser("show", help="everything about one question",
                              description="Show one question, hidden parts included.")
    show.add_argument("id", metavar="ID")
    add_bank_option(show)
    show.set_defaults(run=run_show)
    check = actions.add_parser("check", help="prove questions sound in the confined kernel",
                               description="Grade each coding question's reference, starter "
                               "and decoys for real: the reference must pass every check, "
                               "the starter fail one, each decoy fail a hidden check.")
    check.add_argument("ids", nargs="*", metavar="ID", help="questions to check (default: all)")
    check.add_argument("--jobs", type=int, default=os.cpu_count() or 1, metavar="N",
                       help="kernels at once (default: number of cores)")
    add_bank_option(check)
    check.set_defaults(run=run_check)
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
    if args.summary:
        summary = bank_summary(bank)
        if args.format == "json":
            print(json.dumps(summary, indent=2))
        else:
            for key in ("by_section", "by_level", "by_kind"):
                print(f"{key[3:]}: " + ", ".join(f"{k} {n}" for k, n in summary[key].items()))
        return 0
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


def run_check(args: argparse.Namespace) -> int:
    from workbook.bankcheck import prove_questions

    bank = load_bank_from(args)
    unknown = [qid for qid in args.ids if qid not in bank.ids]
    if unknown:
        raise SelectionError(f"no question(s) {', '.join(unknown)} in {bank.name}; "
                             "see `workbook bank list`")
    if args.jobs < 1:
        raise SelectionError("--jobs must be at least 1")
    failures = total = 0
    for proof in prove_questions(bank, args.ids or None, jobs=args.jobs):
        total += 1
        failures += not proof.ok
        public = "public pass" if proof.public_passed else "public fail"
        print(f"{'ok  ' if proof.ok else 'FAIL'}  {proof.question:<34} {proof.subject:<30} "
              f"{public:<12} {proof.detail}", flush=True)
    discussion = sum(not q.is_coding for q in bank.questions
                     if not args.ids or q.id in args.ids)
    print(f"\n{total - failures} of {total} proofs hold; {discussion} discussion questions "
          "have complete rubrics", file=sys.stderr if failures else sys.stdout)
    if failures:
        print(f"error: {failures} proof(s) failed", file=sys.stderr)
        return 1
    return 0
