"""The `workbook` command: parse arguments, call one function, turn errors into one line.

Each subcommand lives in its own module with `register(subparsers)`; heavy libraries are
imported inside the functions that need them so `workbook --help` starts fast.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import NoReturn

from grading.errors import GradingError
from workbook import __version__
from workbook.errors import WorkbookError


class CommandError(Exception):
    """A user error detected while parsing; printed as one line."""


class Parser(argparse.ArgumentParser):
    """argparse that reports a bad flag as one line naming the command and the fix."""

    def error(self, message: str) -> NoReturn:
        raise CommandError(f"{self.prog}: {message} (see '{self.prog} --help')")


def build_parser() -> Parser:
    from workbook.cli import bank, build, grade, importer, interview, report, similarity

    parser = Parser(prog="workbook", description="Build, run and grade Python interview "
                    "notebooks.")
    parser.add_argument("--version", action="version", version=f"workbook {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    for module in (build, bank, interview, grade, report, similarity, importer):
        module.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns the exit code."""
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        if not getattr(args, "run", None):
            parser.print_help()
            return 2
        return int(args.run(args) or 0)
    except CommandError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except (WorkbookError, GradingError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted; everything recorded so far is kept", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
