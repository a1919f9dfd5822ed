"""Grading throughput and latency against a bare-nbclient baseline measured in the same run.

    .venv/bin/python bench/grade_bench.py [--submissions N] [--jobs N] [--questions N]
                                          [--pick cheapest|untimed|first] [--rounds N]
                                          [--no-shrink]

Generates N submissions for the shipped coding questions (a rotating mix of reference
answers, decoys, starters and a random partial mix), then times:

  baseline      bare nbclient: a fresh stock python3 kernel per notebook, running the same
                answer cells, no checks (what any notebook-executing grader pays at least)
  engine-cells  the engine on the same work: answer cells only (tasks stripped of checks)
  engine-full   the engine grading for real: answers, public checks and hidden checks,
                judged against the answer key (built once, outside the timing)

Which questions. nbgrader's figure stands for ordinary tests: light checks, no answer
left to run into a timeout. `--pick cheapest` (the default) stands for that workload: of
the questions without a timeout of their own (a question sets one when its decoys are
meant to run into it, like a quadratic decoy on a large input), it measures in this run
how long each takes to grade with its reference and with each decoy, and keeps the
`--questions` whose slowest variant is cheapest. `--pick untimed` takes the first of
those questions in bank order, whatever their checks cost (mem-stream-totals, for one,
streams a large input through every answer: about a second of the check's own work).
`--pick first` takes the first questions in bank order, heavy checks, deliberate timeouts
and all.

Both sides run `--jobs` notebooks at once. Ratios above 1 mean the engine is faster.
Hidden checks cost what the questions make them cost (some time a quadratic decoy out on
purpose), so engine-full is the honest end-to-end figure and engine-cells the like-for-like
one. nbgrader itself is measured beside `workbook grade`, on the same course and students,
by bench/nbgrader_bench.py.
A failed generated-input check is shrunk to a smaller counterexample in the kernel (up to
protocol.SHRINK_SECONDS of CPU per check), work nbgrader does not do: `--no-shrink` grades
without it, for nbgrader's work.
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import Any

from grading.config import GradingConfig
from grading.engine import Grader
from grading.errors import GradingError
from grading.tasks import Answer, Task
from workbook.bank import load_bank
from workbook.model import Question
from workbook.tasks import task_for


@dataclass(frozen=True)
class Figures:
    label: str
    wall: float
    latencies: list[float]

    @property
    def per_notebook(self) -> float:
        return self.wall / len(self.latencies)

    def quantile(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def make_submissions(questions: Sequence[Question], count: int,
                     seed: int = 7) -> list[tuple[str, list[Answer]]]:
    """Reference, decoy, starter and mixed submissions in rotation."""
    rng = random.Random(seed)

    def decoy_or_reference(question: Question) -> str:
        return rng.choice(question.decoys).code if question.decoys else question.reference

    choices: dict[str, Callable[[Question], str | None]] = {
        "reference": lambda q: q.reference,
        "decoys": decoy_or_reference,
        "starters": lambda q: None,
        "partial": lambda q: rng.choice([q.reference, decoy_or_reference(q), None]),
    }
    submissions = []
    for number in range(count):
        kind = list(choices)[number % len(choices)]
        answers = []
        for question in questions:
            code = choices[kind](question)
            if code is not None:
                answers.append(Answer(task_id=question.id, code=code))
        submissions.append((f"{kind}-{number}", answers))
    return submissions


def timed(function: Callable[..., Any], latencies: list[float]) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            latencies.append(time.perf_counter() - started)
    return wrapper


def run_baseline(submissions: list[tuple[str, list[Answer]]], tasks: Sequence[Task],
                 jobs: int) -> Figures:
    import nbformat
    from nbclient import NotebookClient

    starters = {task.id: task.starter for task in tasks}

    def execute(answers: list[Answer]) -> None:
        given = {a.task_id: a.code for a in answers}
        cells = [nbformat.v4.new_code_cell(given.get(task_id, starter))
                 for task_id, starter in starters.items()]
        notebook = nbformat.v4.new_notebook(cells=cells)
        NotebookClient(notebook, kernel_name="python3", timeout=60, allow_errors=True,
                       extra_arguments=["--Application.log_level=ERROR"]).execute()

    latencies: list[float] = []
    run = timed(execute, latencies)
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        list(pool.map(run, [answers for _, answers in submissions]))
    return Figures("baseline (bare nbclient)", time.perf_counter() - started, latencies)


def run_engine(label: str, tasks: Sequence[Task], submissions: list[tuple[str, list[Answer]]],
               jobs: int, config: GradingConfig) -> tuple[Figures, int]:
    latencies: list[float] = []
    with Grader(tasks, config=config) as grader:  # answer key built here, untimed
        grader.grade = timed(grader.grade, latencies)  # type: ignore[method-assign]
        started = time.perf_counter()
        points = 0
        for _, results in grader.grade_many(submissions, jobs=jobs):
            if isinstance(results, GradingError):
                raise results
            points += sum(r.points for r in results)
        wall = time.perf_counter() - started
    return Figures(label, wall, latencies), points


def cheapest(questions: Sequence[Question], count: int, config: GradingConfig
             ) -> list[Question]:
    """The `count` questions whose slowest variant (reference or any decoy) grades fastest,
    measured now."""
    pool = list(questions)
    variants = [(q.id, code) for q in pool for code in (q.reference, *(d.code for d in q.decoys))]
    cost: dict[str, float] = {q.id: 0.0 for q in pool}
    with Grader([task_for(q) for q in pool], config=config) as grader:
        def measure(variant: tuple[str, str]) -> tuple[str, float]:
            # The other tasks get their starters, which fail at once, so the differences
            # between submissions are the questions' own costs.
            started = time.perf_counter()
            grader.grade([Answer(task_id=variant[0], code=variant[1])])
            return variant[0], time.perf_counter() - started

        with ThreadPoolExecutor(max_workers=2) as pool_threads:
            for question_id, seconds in pool_threads.map(measure, variants):
                cost[question_id] = max(cost[question_id], seconds)
    return sorted(pool, key=lambda q: cost[q.id])[:count]


def report(baseline: Figures, engines: list[Figures]) -> None:
    print(f"\n{'':28}{'s/notebook':>11}{'median':>9}{'p90':>9}"
          f"{'throughput x':>14}{'median x':>10}{'p90 x':>8}")
    for figures in [baseline, *engines]:
        print(f"{figures.label:28}{figures.per_notebook:11.3f}{figures.quantile(0.5):9.3f}"
              f"{figures.quantile(0.9):9.3f}"
              f"{baseline.per_notebook / figures.per_notebook:14.2f}"
              f"{baseline.quantile(0.5) / figures.quantile(0.5):10.2f}"
              f"{baseline.quantile(0.9) / figures.quantile(0.9):8.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--submissions", type=int, default=24)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--questions", type=int, default=8,
                        help="how many shipped coding questions a submission answers")
    parser.add_argument("--pick", choices=("cheapest", "untimed", "first"), default="cheapest",
                        help="cheapest (default): of the questions without a timeout of "
                             "their own, those with the lightest checks, measured in this "
                             "run; untimed: the first of those in bank order; first: the "
                             "first questions in bank order")
    parser.add_argument("--rounds", type=int, default=1,
                        help="measure everything this many times and report each row's "
                             "median round")
    parser.add_argument("--no-shrink", action="store_true",
                        help="do not shrink failed generated inputs (nbgrader's work)")
    args = parser.parse_args()
    config = GradingConfig(shrink_counterexamples=not args.no_shrink)
    if args.rounds < 1 or args.submissions < 1 or args.jobs < 1 or args.questions < 1:
        parser.error("--rounds, --submissions, --jobs and --questions must be at least 1")
    coding = [q for q in load_bank().questions if q.is_coding]
    untimed = [q for q in coding if q.timeout is None]
    questions = {"untimed": lambda: untimed[: args.questions],
                 "cheapest": lambda: cheapest(untimed, args.questions, config),
                 "first": lambda: coding[: args.questions]}[args.pick]()
    tasks = [task_for(q) for q in questions]
    cell_tasks = [replace(t, hidden_checks=(), public_checks="") for t in tasks]
    submissions = make_submissions(questions, args.submissions)
    print(f"{len(submissions)} submissions x {len(tasks)} questions ({args.pick}: "
          f"{', '.join(t.id for t in tasks)}), {args.jobs} jobs"
          + (", no shrinking" if args.no_shrink else ""))
    rounds: list[tuple[Figures, Figures, Figures]] = []
    for _ in range(args.rounds):
        baseline = run_baseline(submissions, tasks, args.jobs)
        cells, _ = run_engine("engine-cells (same work)", cell_tasks, submissions, args.jobs,
                              config)
        full, points = run_engine("engine-full (with checks)", tasks, submissions, args.jobs,
                                  config)
        rounds.append((baseline, cells, full))
    if args.rounds > 1:
        print(f"each row: its median round of {args.rounds} (a shared machine is noisy)")
    baseline, cells, full = (median_round([r[i] for r in rounds]) for i in range(3))
    report(baseline, [cells, full])
    print(f"engine-full awarded {points} points in all")


def median_round(figures: list[Figures]) -> Figures:
    return sorted(figures, key=lambda f: f.per_notebook)[len(figures) // 2]


if __name__ == "__main__":
    main()
