"""`workbook import nbgrader SOURCE.ipynb -o BANKDIR`: questions from another tool's format."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any


def register(commands: Any) -> None:
    parser = commands.add_parser("import", help="questions from an nbgrader notebook",
                                 description="Turn another tool's assignments into question "
                                             "files.")
    formats = parser.add_subparsers(dest="format", metavar="FORMAT",
                                    parser_class=type(parser))
    nbgrader = formats.add_parser(
        "nbgrader", help="an nbgrader source notebook -> question files",
        description="Solution cells become reference and starter, autograder test cells "
                    "public checks (visible asserts) and hidden checks (worth the cell's "
                    "points), asserts observations judged by the grader. Prints what could "
                    "not be converted and the defaults to review; then run 'workbook bank "
                    "check --bank BANKDIR'.")
    nbgrader.add_argument("source", type=Path, metavar="SOURCE.ipynb",
                          help="the assignment's source notebook (with solutions)")
    nbgrader.add_argument("-o", "--output", type=Path, required=True, metavar="BANKDIR",
                          help="bank folder to write the question files into")
    nbgrader.set_defaults(run=run)
    parser.set_defaults(run=lambda args: parser.print_help() or 2)


def run(args: argparse.Namespace) -> int:
    from workbook.importers.nbgrader import import_notebook

    report = import_notebook(args.source, args.output)
    for path in report.written:
        print(f"wrote {path}")
    for problem in report.problems:
        print(f"not converted or changed: {problem}")
    for line in report.review:
        print(f"review: {line}")
    print(f"{len(report.written)} question(s) imported; check them with 'workbook bank check "
          f"--bank {args.output}'")
    return 0
