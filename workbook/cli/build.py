"""`workbook build`: write an interviewer or candidate workbook."""

from __future__ import annotations

import argparse
import sys
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from workbook.cli.common import add_bank_option, comma_list, load_bank_from
from workbook.errors import SelectionError, WorkbookError
from workbook.model import Level
from workbook.notebook import CANDIDATE, COPIES
from workbook.selection import DEFAULT_MINUTES

#: the gradebook `workbook grade ... -o out` and `workbook interview` use by default
DEFAULT_GRADEBOOK = Path("out") / "gradebook.sqlite"


def register(commands: Any) -> None:
    parser = commands.add_parser("build", help="build a workbook notebook from the bank",
                                 description="Build an interview workbook for one level, or "
                                 "of exactly the questions named with --questions.")
    parser.add_argument("--level", choices=[lv.value for lv in Level],
                        help="the level to pick questions for (needed unless --questions; "
                             "with --questions, only the title; default: the highest level "
                             "among them)")
    parser.add_argument("--sections", type=comma_list, metavar="A,B",
                        help="only these sections (see `workbook bank list`)")
    parser.add_argument("--questions", type=comma_list, metavar="ID,...",
                        help="exactly these questions, in this order (overrides --level "
                             "filtering)")
    parser.add_argument("--count", type=int, metavar="N", help="number of questions")
    parser.add_argument("--minutes", type=int, default=DEFAULT_MINUTES, metavar="M",
                        help=f"time budget when --count is not given (default "
                             f"{DEFAULT_MINUTES})")
    parser.add_argument("--seed", type=int, default=0, help="selection seed (default 0)")
    parser.add_argument("--for", dest="copy", choices=COPIES, default=CANDIDATE,
                        help="whose copy: the candidate's (nothing hidden) or the "
                             "interviewer's (rubric and scoring panels)")
    parser.add_argument("--solutions", action="store_true",
                        help="fill answer cells with the reference solutions (previews, "
                             "self-tests; never send this to a candidate)")
    parser.add_argument("-o", "--output", type=Path, required=True, metavar="OUT.ipynb")
    parser.add_argument("--candidate", metavar="NAME",
                        help="who the candidate's copy is issued to (recorded with the "
                             "assignment; grading names them from it)")
    parser.add_argument("--gradebook", default=str(DEFAULT_GRADEBOOK), metavar="URL",
                        help=f"where a candidate's copy is issued: the gradebook that will "
                             f"grade it, file or SQLAlchemy URL (default {DEFAULT_GRADEBOOK}, "
                             f"as `workbook grade ... -o out`)")
    parser.add_argument("--ledger", type=Path, metavar="FILE.jsonl",
                        help="also append the issued assignment to this ledger, for "
                             "grading with another gradebook (`workbook grade --issued`)")
    add_bank_option(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from grading.errors import GradingError
    from grading.gradebook import Gradebook
    from workbook.build import build

    if args.level is None and not args.questions:
        raise SelectionError("name a --level, or the questions with --questions ID,...")
    bank = load_bank_from(args)
    if args.candidate is not None and args.copy != CANDIDATE:
        raise WorkbookError("--candidate names who a candidate's copy is issued to; it "
                            "does not apply to --for interviewer")
    try:
        with ExitStack() as stack:
            gradebook = (stack.enter_context(Gradebook.open(args.gradebook))
                         if args.copy == CANDIDATE else None)
            built = build(bank, output=args.output,
                          level=Level(args.level) if args.level else None,
                          sections=args.sections, question_ids=args.questions,
                          count=args.count, minutes=args.minutes, seed=args.seed,
                          copy=args.copy, solutions=args.solutions, issue_to=gradebook,
                          candidate=args.candidate)
    except GradingError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if args.solutions and args.copy == CANDIDATE:
        print("warning: --solutions puts reference answers in this notebook; do not send it "
              "to a candidate", file=sys.stderr)
    questions = built.questions
    print(f"wrote {args.output}: {len(questions)} questions, "
          f"{sum(q.minutes for q in questions)} minutes, {args.copy} copy")
    if built.assignment is not None:
        print(f"issued assignment {built.assignment.id} in {args.gradebook}: grade the "
              f"returned notebook with that gradebook")
        if args.ledger is not None:
            from workbook.issue import ledger_line

            with args.ledger.open("a", encoding="utf-8") as ledger:
                ledger.write(ledger_line(built.assignment))
            print(f"appended it to {args.ledger}")
    return 0
