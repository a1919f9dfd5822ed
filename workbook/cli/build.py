"""`workbook build`: write an interviewer or candidate workbook."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from workbook.cli.common import add_bank_option, comma_list, load_bank_from
from workbook.errors import SelectionError
from workbook.model import Level
from workbook.notebook import CANDIDATE, COPIES
from workbook.selection import DEFAULT_MINUTES


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
    add_bank_option(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from workbook.build import build_workbook

    if args.level is None and not args.questions:
        raise SelectionError("name a --level, or the questions with --questions ID,...")
    bank = load_bank_from(args)
    questions = build_workbook(bank, output=args.output,
                               level=Level(args.level) if args.level else None,
                               sections=args.sections, question_ids=args.questions,
                               count=args.count, minutes=args.minutes, seed=args.seed,
                               copy=args.copy, solutions=args.solutions)
    if args.solutions and args.copy == CANDIDATE:
        print("warning: --solutions puts reference answers in this notebook; do not send it "
              "to a candidate", file=sys.stderr)
    print(f"wrote {args.output}: {len(questions)} questions, "
          f"{sum(q.minutes for q in questions)} minutes, {args.copy} copy")
    return 0
