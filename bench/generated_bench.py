"""What generated-input checks cost: grading with a question's properties against grading
the same submissions without them, measured in the same run.

    .venv/bin/python bench/generated_bench.py [--submissions N] [--jobs N] [--rounds N]
                                              [ID ...]

For each question that has properties (default: every such question in the shipped bank),
N submissions (reference, decoys, starter and accepted alternatives in rotation) are
graded three times by the engine: with the hidden checks only ("checks only"), with
every hidden check and property ("with properties"), and with them and the shrinking of
each failed property's counterexample in the candidate's kernel ("shrunk"). Answer keys
are built outside the timing. Getting the inputs is timed separately, since a grading run
pays it once per question, not per submission: drawn by Hypothesis into an empty cache
folder ("cold"), and read from the question's lock file ("locked"). Ratios above 1 mean
the properties (or the shrinking, against properties without it) cost that factor per
submission.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from dataclasses import replace

from grading.config import GradingConfig
from grading.engine import Grader
from grading.errors import GradingError
from grading.tasks import Answer, Task
from workbook.bank import load_bank
from workbook.generated.draw import _draw, drawn_inputs
from workbook.model import Question
from workbook.tasks import task_for


def subjects(question: Question, count: int) -> list[tuple[int, list[Answer]]]:
    codes = [question.reference, question.starter, *(d.code for d in question.decoys),
             *(a.code for a in question.alternatives)]
    return [(n, [Answer(task_id=question.id, code=codes[n % len(codes)])])
            for n in range(count)]


def seconds_per_submission(task: Task, items: list[tuple[int, list[Answer]]],
                           jobs: int, *, shrink: bool = False) -> float:
    config = GradingConfig(shrink_counterexamples=shrink)
    with Grader([task], config=config) as grader:  # answer key: untimed
        started = time.perf_counter()
        for _, results in grader.grade_many(items, jobs=jobs):
            if isinstance(results, GradingError):
                raise results
        return (time.perf_counter() - started) / len(items)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("ids", nargs="*")
    parser.add_argument("--submissions", type=int, default=24)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=1,
                        help="repeat the measurement; report each figure's median")
    args = parser.parse_args()
    bank = load_bank()
    questions = [bank.get(qid) for qid in args.ids] if args.ids else [
        q for q in bank.questions if q.properties]
    os.environ["WORKBOOK_CACHE_DIR"] = tempfile.mkdtemp(prefix="generated-bench-")
    print(f"{'question':<28} {'props':>5} {'cold s':>7} {'locked s':>8} {'checks only':>12} "
          f"{'with props':>11} {'ratio':>6} {'shrunk':>9} {'ratio':>6}")
    for question in questions:
        _draw.cache_clear()
        started = time.perf_counter()
        for prop in question.properties:
            drawn_inputs(question, prop)
        cold = time.perf_counter() - started
        started = time.perf_counter()
        full = task_for(question)
        locked = time.perf_counter() - started
        names = {p.name for p in question.properties}
        plain = replace(full, hidden_checks=tuple(c for c in full.hidden_checks
                                                  if c.name not in names))
        items = subjects(question, args.submissions)
        without, with_props, shrunk = [], [], []
        for _ in range(args.rounds):
            without.append(seconds_per_submission(plain, items, args.jobs))
            with_props.append(seconds_per_submission(full, items, args.jobs))
            shrunk.append(seconds_per_submission(full, items, args.jobs, shrink=True))
        a, b, c = (statistics.median(without), statistics.median(with_props),
                   statistics.median(shrunk))
        print(f"{question.id:<28} {len(names):>5} {cold:>7.2f} {locked:>8.2f} "
              f"{a * 1000:>10.0f}ms {b * 1000:>9.0f}ms {b / a:>6.2f} "
              f"{c * 1000:>7.0f}ms {c / b:>6.2f}", flush=True)


if __name__ == "__main__":
    main()
