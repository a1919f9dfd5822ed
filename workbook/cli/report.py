"""`workbook report`: graded copies and the cohort report, re-rendered from the gradebook.

Nothing is graded or run again: the copies show what the gradebook recorded.
"""

from __future__ import annotations

import argparse
import re
import sys
from contextlib import closing, nullcontext
from dataclasses import replace
from pathlib import Path
from typing import Any

from workbook.cli.common import add_bank_option, load_bank_from
from workbook.errors import WorkbookError

DEFAULT_GRADEBOOK = "gradebook.sqlite"


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "report", help="graded copies and the cohort report, from the gradebook",
        description="Render graded copies of candidates, and/or the cohort report (HTML, "
                    "CSV, JSON and ATS exports), from what the gradebook recorded.")
    parser.add_argument("candidates", nargs="*", metavar="CANDIDATE",
                        help="candidates whose graded copy to render")
    parser.add_argument("--cohort", action="store_true",
                        help="write the cohort report and ATS exports for every candidate")
    parser.add_argument("-o", "--output", type=Path, required=True, metavar="OUTDIR",
                        help="report folder (graded copies go to OUTDIR/graded/)")
    parser.add_argument("--gradebook", metavar="URL",
                        help="SQLAlchemy URL or SQLite file (default: OUTDIR/gradebook.sqlite)")
    parser.add_argument("--date", type=_iso_date, metavar="YYYY-MM-DD",
                        help="date printed on the reports (default: today)")
    parser.add_argument("--execute", action="store_true",
                        help="run the graded-copy template in a kernel with papermill instead "
                             "of filling it in this process (same copy, slower)")
    parser.add_argument("--no-html", dest="html", action="store_false",
                        help="write the graded copies' notebooks only")
    add_bank_option(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from grading.errors import GradingError

    if not args.candidates and not args.cohort:
        raise WorkbookError("workbook report: name a CANDIDATE, or pass --cohort (see "
                            "'workbook report --help')")
    try:
        return _report(args)
    except GradingError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


def _report(args: argparse.Namespace) -> int:
    from workbook.report.lean_imports import skip_iri_checker

    skip_iri_checker()  # before nbformat is first imported: 2 s of CPU for a check unused
    from workbook.report.from_gradebook import load_reports, open_gradebook
    from workbook.report.graded_copy import CopySettings, execute_copy, write_copy
    from workbook.report.stage import bank_folder, today, write_reports
    from workbook.similarity.stage import similarity_for_reports

    url = _existing_gradebook(args.gradebook, args.output)
    bank = load_bank_from(args)
    date = args.date or today()
    with open_gradebook(url) as gradebook:
        settings = CopySettings(gradebook=gradebook.url, date=date, bank=bank_folder(bank),
                                html=args.html)
        similar = (similarity_for_reports(gradebook, bank, args.output,
                                          title="Similar answers")
                   if args.candidates else None)
        with closing(similar) if similar is not None else nullcontext():
            for candidate in args.candidates:
                reports = load_reports(gradebook, bank, candidate=candidate)
                if not reports:
                    known = sorted(r.candidate for r in gradebook.results())
                    shown = ", ".join(known[:10]) + (", ..." if len(known) > 10 else "")
                    raise WorkbookError(f"gradebook {gradebook.url}: no submission of candidate "
                                        f"{candidate!r} (candidates: {shown or 'none'})")
                render = execute_copy if args.execute else write_copy
                for report in reports:  # several when files conflict: each gets its own copy
                    if similar is not None:  # the copy lists its close matches
                        report = replace(report, similar=similar.lines_for(candidate))
                    path = render(report, args.output, settings)
                    print(f"wrote {path}" + (f" and {path.with_suffix('.html').name}"
                                             if args.html else ""))
        if args.cohort:
            files = write_reports(gradebook, bank, args.output, copies=False, date=date)
            print(f"wrote {', '.join(str(p) for p in (*files.cohort, *files.exports))}")
    return 0


def _existing_gradebook(given: str | None, outdir: Path) -> str:
    """The gradebook to read; a missing SQLite file is an error, not a new empty gradebook."""
    url = given or str(outdir / DEFAULT_GRADEBOOK)
    if "://" not in url and not Path(url).exists():
        raise WorkbookError(f"{url}: no gradebook there; run 'workbook grade ... -o "
                            f"{outdir}' first, or pass --gradebook URL")
    return url


def _iso_date(text: str) -> str:
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        raise argparse.ArgumentTypeError(f"expected YYYY-MM-DD, got {text!r}")
    return text
