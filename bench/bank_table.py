"""Issue 11's strengthening of the bank in one Markdown table, for the closing note.

    .venv/bin/python bench/bank_table.py [--before COMMIT] [--jobs N] [ID ...]

Per coding question of the shipped bank (or the IDs given): the checks its file had at
`--before` (default 249d8ec, the commit before issue 11's round; read with `git show`,
hidden checks plus generated-input properties), the checks it has now and how many of
them are generated-input properties, its rules, its accepted alternatives, and its
mutation proof run now (workbook.mutation: mutants killed of those that can be killed,
and those recorded as equivalent), with the seconds each proof took. The whole bank takes
about four minutes on 2 shared cores.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from workbook.bank import load_bank
from workbook.errors import QuestionFileError
from workbook.model import Question
from workbook.mutation.proof import MutationReport, prove_mutants
from workbook.questionfile import parse_question
from workbook.questionfile.reader import Reader
from workbook.questionfile.scored import CHECK_HEADING

REPO = Path(__file__).resolve().parents[1]
BANK_PATH = "workbook/questions"
BASELINE = "249d8ec"
#: the sections whose '### name (N points)' children are checks
CHECK_SECTIONS = ("hidden checks", "generators")


@dataclass(frozen=True, kw_only=True)
class Row:
    question: str
    checks_before: int | None
    checks_now: int
    generated: int
    rules: int
    alternatives: int
    proof: MutationReport
    seconds: float

    @property
    def killable(self) -> int:
        return self.proof.mutants - len(self.proof.equivalent)


def checks_at(commit: str, question_id: str) -> int | None:
    """How many checks (hidden checks and properties) the question's file had at `commit`;
    None when the file did not exist then."""
    shown = subprocess.run(["git", "-C", str(REPO), "show", f"{commit}:{BANK_PATH}/"
                            f"{question_id}.md"], capture_output=True, text=True)
    if shown.returncode != 0:
        return None
    try:
        old = parse_question(shown.stdout, f"{commit}:{question_id}.md")
    except QuestionFileError:
        # a file the current parser no longer reads: count its scored headings instead
        return _scored_headings(shown.stdout, question_id)
    return len(old.hidden_checks) + len(old.properties)


def _scored_headings(text: str, question_id: str) -> int:
    reader = Reader(Path(f"{question_id}.md"), text, None)
    _, body_start, lines = reader.front_matter()
    return sum(1 for block in reader.blocks(lines, body_start)
               if block.title.lower() in CHECK_SECTIONS
               for child in block.children if CHECK_HEADING.match(child.title))


def row_for(question: Question, before: str, jobs: int) -> Row:
    started = time.perf_counter()
    proof = prove_mutants(question, jobs=jobs)
    return Row(question=question.id, checks_before=checks_at(before, question.id),
               checks_now=len(question.hidden_checks) + len(question.properties),
               generated=len(question.properties), rules=len(question.rules),
               alternatives=len(question.alternatives), proof=proof,
               seconds=time.perf_counter() - started)


def table(rows: list[Row], before: str) -> list[str]:
    lines = [f"| question | checks at {before} | checks now | of them generated | rules | "
             "alternatives | mutants killed / killable | equivalent | proof seconds |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for row in rows:
        then = "-" if row.checks_before is None else str(row.checks_before)
        lines.append(f"| {row.question} | {then} | {row.checks_now} | {row.generated} | "
                     f"{row.rules} | {row.alternatives} | {row.proof.killed} / {row.killable} "
                     f"| {len(row.proof.equivalent)} | {row.seconds:.1f} |")
    before_total = sum(r.checks_before or 0 for r in rows)
    killed, killable = sum(r.proof.killed for r in rows), sum(r.killable for r in rows)
    lines.append(f"| **{len(rows)} questions** | {before_total} | "
                 f"{sum(r.checks_now for r in rows)} | {sum(r.generated for r in rows)} | "
                 f"{sum(r.rules for r in rows)} | {sum(r.alternatives for r in rows)} | "
                 f"{killed} / {killable} ({killed / max(killable, 1):.1%}) | "
                 f"{sum(len(r.proof.equivalent) for r in rows)} | "
                 f"{sum(r.seconds for r in rows):.0f} |")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("ids", nargs="*", metavar="ID", help="questions (default: every "
                        "coding question of the shipped bank)")
    parser.add_argument("--before", default=BASELINE, help="the baseline commit "
                        f"(default {BASELINE})")
    parser.add_argument("--jobs", type=int, default=2, help="mutant kernels at once")
    args = parser.parse_args(argv)
    bank = load_bank()
    unknown = [i for i in args.ids if i not in {q.id for q in bank.questions}]
    if unknown:
        print(f"error: unknown question id(s): {', '.join(unknown)}", file=sys.stderr)
        return 1
    questions = [q for q in bank.questions if q.is_coding and (not args.ids or q.id in args.ids)]
    started = time.perf_counter()
    rows = [row_for(question, args.before, args.jobs) for question in questions]
    print("\n".join(table(rows, args.before)))
    print(f"\n{len(rows)} questions in {time.perf_counter() - started:.0f} s "
          f"(`bench/bank_table.py --jobs {args.jobs}`)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
