"""Options shared by several subcommands."""

from __future__ import annotations

import argparse
from pathlib import Path

from workbook.model import Bank


def add_bank_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--bank", type=Path, metavar="DIR",
                        help="question bank folder (default: $WORKBOOK_BANK, else the "
                             "shipped bank)")


def load_bank_from(args: argparse.Namespace) -> Bank:
    from workbook.bank import load_bank

    return load_bank(args.bank)


def comma_list(text: str) -> list[str]:
    return [item.strip() for item in text.split(",") if item.strip()]
