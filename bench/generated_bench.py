"""What generated-input checks cost: grading with a question's properties against grading
the same submissions without them, measured in the same run.

    .venv/bin/python bench/generated_bench.py [--submissions N] [--jobs N] [--rounds N]
                                              [ID ...]

For each question that has properties (default: every such question in the shipped bank),
N submissions (reference, decoys, starter and accepted alternatives in rotation) are
graded twice by the engine: with every hidden check and property ("with properties"),
and with the hidden checks only ("checks only"). Answer keys are built outside the
timing; drawing the inputs (Hypothesis, in the grader) is timed separately, since a
grading run pays it once per question, not per submission: cold (an empty cache folder)
and warm (read back from it). Ratios above 1 mean the properties cost that factor per
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
from workbook.generated.draw import _draw
from workbook.model import Question
from workbook.tasks import task_for


def subjects(question: Question, count: int) -> list[tuple[int, list[Answer]]]:
    codes = [question.reference, question.starter, *(d.code for d in question.decoys),
             *(a.code for a in question.alternatives)]
    return [(n, [Answer(task_id=question.id, code=codes[n % len(codes)])])
            for n in range(count)]


def seconds_per_submission(task: Task, items: list[tuple[int, list[Answer]]],
                           jobs: int) -> float:
    with Grader([task], config=GradingConfig()) as grader:  # answer key: untimed
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
    print(f"{'question':<28} {'props':>5} {'cold s':>7} {'warm s':>7} {'checks only':>12} "
          f"{'with props':>11} {'ratio':>6}")
    for question in questions:
        timings = []
        for _ in ("cold", "warm"):
            _draw.cache_clear()
            started = time.perf_counter()
            full = task_for(question)
            timings.append(time.perf_counter() - started)
        names = {p.name for p in question.properties}
        plain = replace(full, hidden_checks=tuple(c for c in full.hidden_checks
                                                  if c.name not in names))
        items = subjects(question, args.submissions)
        without, with_props = [], []
        for _ in range(args.rounds):
            without.append(seconds_per_submission(plain, items, args.jobs))
            with_props.append(seconds_per_submission(full, items, args.jobs))
        a, b = statistics.median(without), statistics.median(with_props)
        print(f"{question.id:<28} {len(names):>5} {timings[0]:>7.2f} {timings[1]:>7.2f} "
              f"{a * 1000:>10.0f}ms "
              f"{b * 1000:>9.0f}ms {b / a:>6.2f}", flush=True)


if __name__ == "__main__":
    main()
