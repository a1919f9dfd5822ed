"""`workbook bank list|show|check|lock`: look into the question bank, prove it sound, and
pin its drawn inputs."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from typing import Any

from workbook.cli.common import add_bank_option, comma_list, load_bank_from
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
                               description="Grade each coding question's reference, starter, "
                               "decoys and accepted alternatives for real: the reference and "
                               "each alternative must pass every check, the starter fail one, "
                               "each decoy fail a hidden check or property.")
    check.add_argument("ids", nargs="*", metavar="ID", help="questions to check (default: all)")
    check.add_argument("--jobs", type=int, default=os.cpu_count() or 1, metavar="N",
                       help="kernels at once (default: number of cores)")
    check.add_argument("--mutants", action="store_true",
                       help="also mutate each reference and grade every mutant: report the "
                            "mutation score and each unexplained survivor as a diff")
    check.add_argument("--repeat", type=int, default=1, metavar="N",
                       help="grade every subject N times on more kernels than cores; a "
                            "verdict that differs between runs fails (default 1)")
    check.add_argument("--sections", type=comma_list, metavar="A,B",
                       help="only the questions of these sections (with IDs: either)")
    check.add_argument("--pending-ok", action="store_true",
                       help="report, without failing, the mutation survivors of questions "
                            "not yet strengthened (no '## Rules'); strengthened questions "
                            "must have none")
    check.add_argument("--complete", action="store_true",
                       help="also fail questions without rules, or without properties, "
                            "that the bank has not marked as strengthened")
    add_bank_option(check)
    check.set_defaults(run=run_check)
    lock = actions.add_parser("lock", help="pin the drawn inputs of generated-input checks",
                              description="Write each question's lock file of drawn inputs "
                              "(<question>.inputs.lock, beside it) unless it is fresh: the "
                              "inputs are part of the answer key, so commit the locks with "
                              "the bank.")
    lock.add_argument("ids", nargs="*", metavar="ID", help="questions to lock (default: all)")
    add_bank_option(lock)
    lock.set_defaults(run=run_lock)
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
            "hidden_checks": len(question.hidden_checks), "decoys": len(question.decoys),
            "properties": len(question.properties), "rules": len(question.rules),
            "alternatives": len(question.alternatives)}


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
        checks = (f"{len(q.hidden_checks)} checks, {len(q.properties)} properties, "
                  f"{len(q.decoys)} decoys, {len(q.rules)} rules" if q.is_coding else "")
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
        if q.properties:
            print(f"\n## Generated-input properties ({q.generated_cases} inputs each)")
            for prop in q.properties:
                print(f"- {prop.name} ({prop.points} pts, draws {', '.join(prop.inputs)}): "
                      f"{prop.description}")
        print("\n## Decoys")
        for decoy in q.decoys:
            print(f"- {decoy.name}: {decoy.note}")
        for title, items in (
                ("Accepted alternatives", [f"{a.name}: {a.note}" for a in q.alternatives]),
                ("Rules", [f"{r.name}: {r.text} [{', '.join(r.checks)}]" for r in q.rules]),
                ("Equivalent mutants", [f"{m.id}: {m.reason}" for m in q.equivalent_mutants])):
            if items:
                print(f"\n## {title}")
                print("\n".join(f"- {item}" for item in items))
        print()
    print(rubric_markdown(q))
    return 0


def _incomplete(question: Question) -> str:
    """Why a coding question is not yet strengthened (issue 11), or ''."""
    missing = [what for what, present in (("'## Rules'", question.rules),
                                          ("'## Generators'", question.properties))
               if not present]
    return f"no {' or '.join(missing)}" if missing else ""


def _stale_locks(questions: list[Question]) -> list[str]:
    """One line per lock file that exists but no longer pins its question's inputs (a
    missing lock only means the inputs are drawn, with a note)."""
    from workbook.generated.lock import lock_path, lock_problem

    problems = []
    for question in questions:
        path = lock_path(question)
        if path is not None and path.exists():
            problem = lock_problem(question)
            if problem is not None:
                problems.append(problem)
    return problems


def run_lock(args: argparse.Namespace) -> int:
    from workbook.generated.lock import lock_path, write_lock

    bank = load_bank_from(args)
    unknown = [qid for qid in args.ids if qid not in bank.ids]
    if unknown:
        raise SelectionError(f"no question(s) {', '.join(unknown)} in {bank.name}; "
                             "see `workbook bank list`")
    written = fresh = 0
    for question in bank.questions:
        if (args.ids and question.id not in args.ids) or not question.properties:
            continue
        if write_lock(question):
            written += 1
            print(f"locked  {lock_path(question)}")
        else:
            fresh += 1
    print(f"{written} lock file(s) written, {fresh} already fresh")
    return 0


def run_check(args: argparse.Namespace) -> int:
    from grading.engine import Grader
    from workbook.bankcheck import prove_questions
    from workbook.mutation.proof import describe, prove_mutants

    started = time.perf_counter()
    bank = load_bank_from(args)
    unknown = [qid for qid in args.ids if qid not in bank.ids]
    if unknown:
        raise SelectionError(f"no question(s) {', '.join(unknown)} in {bank.name}; "
                             "see `workbook bank list`")
    unknown = [name for name in args.sections or () if name not in SECTIONS]
    if unknown:
        raise SelectionError(f"unknown section(s) {', '.join(unknown)}; known sections: "
                             f"{', '.join(SECTIONS)}")
    chosen = [q.id for q in bank.questions
              if q.id in args.ids or (args.sections and q.section in args.sections)]
    if (args.ids or args.sections) and not chosen:
        raise SelectionError("no question matches the IDs and sections given")
    if args.jobs < 1:
        raise SelectionError("--jobs must be at least 1")
    if args.repeat < 1:
        raise SelectionError("--repeat must be at least 1")
    stale = _stale_locks([q for q in bank.questions if not chosen or q.id in chosen])
    if stale:
        for line in stale:
            print(f"FAIL  {line}")
        print(f"error: {len(stale)} stale or damaged lock file(s): the answer key would not "
              "be the committed one; nothing was graded", file=sys.stderr)
        return 1
    failures = total = mutation_failures = 0
    mutants = killed = 0

    pending = 0

    def mutation_proof(question: Question, _: Grader) -> None:
        nonlocal mutation_failures, mutants, killed, pending
        begun = time.perf_counter()
        # Twice as many kernels as cores: a mutant that hangs waits out a timeout without
        # using the CPU, and two such waits must not stall the proof (measured on
        # int-hash-map: 165 s on 2 kernels, 52 s on 4, the same verdicts).
        report = prove_mutants(question, jobs=max(args.jobs, 2 * (os.cpu_count() or 1)))
        mutants += report.mutants - len(report.equivalent)
        killed += report.killed
        lines = describe(report, seconds=time.perf_counter() - begun)
        if not report.ok and args.pending_ok and not question.rules:
            pending += 1
            lines[0] = "todo" + lines[0][4:] + " (not yet strengthened: no '## Rules')"
        else:
            mutation_failures += not report.ok
        for line in lines:
            print(line, flush=True)

    for proof in prove_questions(bank, chosen or None, jobs=args.jobs, repeat=args.repeat,
                                 after=mutation_proof if args.mutants else None):
        total += 1
        failures += not proof.ok
        public = "public pass" if proof.public_passed else "public fail"
        print(f"{'ok  ' if proof.ok else 'FAIL'}  {proof.question:<34} {proof.subject:<30} "
              f"{public:<12} {proof.detail}", flush=True)
    selected = [q for q in bank.questions if not chosen or q.id in chosen]
    for question in selected:
        if question.imported and question.is_coding and not question.decoys:
            print(f"note  {question.id:<34} {'no decoys':<30} {'':<12} imported from "
                  f"{question.imported}: proven with its reference and starter only; add "
                  f"'## Decoys' to prove its checks catch known mistakes")
    incomplete = 0
    if args.complete:
        for question in selected:
            why = _incomplete(question) if question.is_coding else ""
            if why:
                incomplete += 1
                print(f"FAIL  {question.id:<34} {'complete':<30} {'':<12} {why}")
    discussion = sum(not q.is_coding for q in selected)
    bad = failures + mutation_failures + incomplete
    print(f"\n{total - failures} of {total} proofs hold; {discussion} discussion questions "
          "have complete rubrics", file=sys.stderr if bad else sys.stdout)
    if args.mutants:
        score = f"{killed / mutants:.1%}" if mutants else "-"
        print(f"mutants: {killed} of {mutants} killable killed ({score}); "
              f"{mutation_failures} question(s) with unexplained survivors or stale entries"
              + (f"; {pending} not yet strengthened, with survivors" if pending else ""),
              file=sys.stderr if bad else sys.stdout)
    print(f"bank check took {time.perf_counter() - started:.1f} s "
          f"({len(selected)} questions, --repeat {args.repeat}"
          f"{', --mutants' if args.mutants else ''}, --jobs {args.jobs})",
          file=sys.stderr if bad else sys.stdout)
    if bad:
        print(f"error: {failures} proof(s) failed, {mutation_failures} mutation proof(s) "
              f"failed, {incomplete} question(s) incomplete", file=sys.stderr)
        return 1
    return 0
