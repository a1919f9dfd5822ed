"""`workbook similarity`: which answers are similar, recomputed from the gradebook."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from workbook.cli.common import add_bank_option, load_bank_from


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "similarity", help="similar answers across the cohort, from the gradebook",
        description="Compare every candidate's answer to each question with every other's "
                    "and with the question's reference, decoys and the bank's known sources "
                    "(BANK/known-sources/<question-id>/*.py); write similarity.html, .csv and "
                    ".json into OUTDIR. Similar is not a verdict: a person decides.")
    parser.add_argument("outdir", type=Path, metavar="OUTDIR",
                        help="the report folder given to 'workbook grade -o'")
    parser.add_argument("--question", metavar="ID", help="compare this question's answers only")
    parser.add_argument("--threshold", type=_threshold, metavar="X",
                        help="list pairs from this score, above 0 and at most 1 (default: "
                             "bank.toml's [similarity] threshold, else 0.6)")
    parser.add_argument("--gradebook", metavar="URL",
                        help="SQLAlchemy URL or SQLite file (default: OUTDIR/gradebook.sqlite)")
    add_bank_option(parser)
    parser.set_defaults(run=run)


def _threshold(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not 0 < value <= 1:
        raise argparse.ArgumentTypeError(f"expected above 0 and at most 1, got {text}")
    return value


def run(args: argparse.Namespace) -> int:
    from workbook.cli.report import _existing_gradebook
    from workbook.errors import WorkbookError
    from workbook.report.from_gradebook import open_gradebook
    from workbook.similarity.stage import write_similarity_files

    bank = load_bank_from(args)
    url = _existing_gradebook(args.gradebook, args.outdir)
    with open_gradebook(url) as gradebook:
        found = write_similarity_files(gradebook, bank, args.outdir, title="Similar answers",
                                       question_id=args.question, threshold=args.threshold)
    report = found.report
    if args.question and not report.questions:
        raise WorkbookError(f"question {args.question!r}: no coding answers to it in the "
                            f"gradebook {url}")
    for question in report.questions:
        print(f"{question.question_id}: {question.answers} answers, {question.similar_pairs} "
              f"similar pairs, {question.findings.cluster_count(question.question_id)} groups")
    print(f"wrote {', '.join(str(p) for p in found.files)}")
    return 0
