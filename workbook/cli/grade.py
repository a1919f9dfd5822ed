"""`workbook grade`: grade returned notebooks into results files and the gradebook."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from workbook.cli.common import add_bank_option, load_bank_from

#: the exit status counts the submissions not graded, up to this many (a shell sees 0-255)
MAX_EXIT_COUNT = 100


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "grade", help="grade returned notebooks against the bank's hidden checks",
        description="Grade returned candidate notebooks (files or folders of them). "
                    "Resumable: submissions already in the gradebook are skipped. "
                    "Exit status: 0 when all were graded, else the number not graded "
                    f"(at most {MAX_EXIT_COUNT}); 1 also when an error stopped the run.")
    parser.add_argument("inputs", nargs="+", type=Path, metavar="SUBMISSION_OR_DIR")
    parser.add_argument("-o", "--output", type=Path, required=True, metavar="OUTDIR",
                        help="folder for results.json, results.csv and the default gradebook")
    parser.add_argument("--jobs", type=_positive_int, metavar="N",
                        help="submissions graded at once (default: the number of cores)")
    parser.add_argument("--timeout", type=_positive_float, metavar="S",
                        help="seconds an answer or one check may run, unless its question "
                             "sets its own (default 10)")
    parser.add_argument("--gradebook", metavar="URL",
                        help="SQLAlchemy URL or SQLite file (default: OUTDIR/gradebook.sqlite)")
    parser.add_argument("--scheduler", metavar="ADDRESS",
                        help="grade on a Dask distributed cluster (e.g. tcp://host:8786) "
                             "instead of local kernels; the gradebook stays here")
    parser.add_argument("--issued", type=Path, action="append", default=[], metavar="LEDGER",
                        help="a ledger of assignments issued from another gradebook (one "
                             "JSON object per line), recorded before grading; repeatable")
    parser.add_argument("--lease", type=_positive_float, metavar="S",
                        help="seconds a grader's claim on a submission outlives the grader "
                             "if it dies (default 120); graders sharing a gradebook split "
                             "the batch by claims")
    parser.add_argument("--force", action="store_true",
                        help="grade again submissions the gradebook already holds")
    parser.add_argument("--no-report", dest="report", action="store_false",
                        help="skip the graded copies and the cohort report (faster; "
                             "`workbook report` renders them later)")
    add_bank_option(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from grading.errors import GradingError
    from grading.results import SubmissionStatus
    from workbook.grade import AFTER_GRADING, RESULTS_ONLY, grade_submissions

    bank = load_bank_from(args)
    try:
        outcome = grade_submissions(bank, args.inputs, outdir=args.output, jobs=args.jobs,
                                    timeout=args.timeout, gradebook_url=args.gradebook,
                                    force=args.force, scheduler=args.scheduler,
                                    issued=args.issued, lease=args.lease,
                                    after=AFTER_GRADING if args.report else RESULTS_ONLY)
    except GradingError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    report = outcome.report
    skipped = (f"; {report.skipped} already in the gradebook, skipped (--force grades them again)"
               if report.skipped else "")
    print(f"graded {report.graded} of {report.submissions} submissions in "
          f"{report.seconds:.1f} s{skipped}")
    print(f"results: {args.output / 'results.json'}, {args.output / 'results.csv'}; "
          f"gradebook: {args.gradebook or args.output / 'gradebook.sqlite'}")
    if args.report:
        print(f"report: {args.output / 'cohort.html'}, graded copies in "
              f"{args.output / 'graded'}")
    if report.all_graded:
        return 0
    for status, reason in report.not_graded:
        print(f"{status}: {reason or 'no reason recorded'}", file=sys.stderr)
    not_shown = report.submissions - report.count(SubmissionStatus.GRADED) \
        - len(report.not_graded)
    if not_shown:
        print(f"... and {not_shown} more not graded: see results.csv", file=sys.stderr)
    refused = report.count(SubmissionStatus.REFUSED)
    failed = report.count(SubmissionStatus.FAILED)
    errors = report.count(SubmissionStatus.ERROR)
    not_graded = refused + failed + errors
    print(f"error: {not_graded} of {report.submissions} submissions not graded "
          f"({refused} refused, {failed} failed, {errors} errors; failed ones and errors "
          f"are retried on the next run)", file=sys.stderr)
    return min(not_graded, MAX_EXIT_COUNT)


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, got {value}")
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected seconds, got {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be more than 0, got {text}")
    return value
