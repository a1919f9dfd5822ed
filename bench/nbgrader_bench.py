"""nbgrader's autograde and `workbook grade` on the same course and students, in one run.

    .venv/bin/python bench/nbgrader_bench.py [--students 40] [--rounds 3] [--jobs 2]
                                             [--report-rounds 6] [--workdir DIR]

Builds a real nbgrader course (`nbgrader_course.py`: 8 questions, 15 autograded test
cells, hidden tests in half of them) released by `nbgrader generate_assignment`, and
`--students` submissions answering each question right, wrong, partly right or not at
all. The same source becomes a workbook bank through `workbook import nbgrader`, and each
student's code goes into a returned workbook of that bank. None of that is timed. Then,
each round, every command as its user runs it, on all the students:

  nbgrader autograde            `nbgrader autograde ps1 --force`: one notebook at a time,
                                each in a fresh kernel (nbgrader has no parallel option)
  workbook grade --no-report    `workbook grade returned -o OUT --no-report --jobs J`
                                (a fresh OUT each time, so nothing is skipped; the answer
                                key is computed in the timing, as on a first run)
  workbook grade                the same with the graded copies and the cohort page
  ... --no-report --jobs 1      the engine on one core, as nbgrader uses

After every command each student's total is compared with nbgrader's: any difference
stops the bench. Printed: the median round's seconds for all students, per notebook, and
nbgrader's median over each row's (above 1: faster than nbgrader), with the load
average before and after. Then what reports cost: `workbook grade` over `--no-report`,
medians of those rounds and `--report-rounds` more of the two alone, alternating (the
issue's target: at most 1.25x). The machine is shared: only the ratios mean anything.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from nbgrader_course import (
    COURSE_QUESTIONS,
    course_notebook,
    generated_students,
    nbgrader_course,
    nbgrader_totals,
    returned_workbooks,
    run_nbgrader,
    workbook_totals,
)

WORKBOOK = str(Path(sys.executable).parent / "workbook")


def _uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def _workbook(*args: str) -> None:
    done = subprocess.run([WORKBOOK, *args], capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"workbook {' '.join(args)} failed ({done.returncode}): "
                           f"{done.stderr[-2000:]}")


def _timed(run: Callable[..., None], *args: Any) -> float:
    started = time.perf_counter()
    run(*args)
    return time.perf_counter() - started


def _same_totals(label: str, theirs: dict[str, float], ours: dict[str, float]) -> None:
    differ = {s: (theirs.get(s), ours.get(s)) for s in theirs.keys() | ours.keys()
              if theirs.get(s) != ours.get(s)}
    if differ:
        shown = ", ".join(f"{s}: nbgrader {t}, workbook {o}" for s, (t, o) in
                          sorted(differ.items())[:10])
        raise SystemExit(f"{label}: totals differ from nbgrader's for {len(differ)} "
                         f"student(s): {shown}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=2,
                        help="`workbook grade --jobs` (nbgrader grades one at a time)")
    parser.add_argument("--workdir", type=Path,
                        help="keep the course, bank and outputs here (default: a temporary "
                             "folder, removed)")
    parser.add_argument("--report-rounds", type=int, default=6,
                        help="more rounds of `workbook grade` with and without reports "
                             "alone, for the reports' ratio")
    args = parser.parse_args()
    if args.students < 1 or args.rounds < 1 or args.jobs < 1 or args.report_rounds < 0:
        parser.error("--students, --rounds and --jobs must be at least 1, --report-rounds "
                     "at least 0")
    with tempfile.TemporaryDirectory(prefix="nbgrader-bench-") as temporary:
        run(args.workdir or Path(temporary), args.students, args.rounds, args.jobs,
            args.report_rounds)


def run(work: Path, count: int, rounds: int, jobs: int, report_rounds: int = 0) -> None:
    students = generated_students(count)
    course = work / "course"
    nbgrader_course(course, course_notebook(), students)
    bank = work / "bank"
    _workbook("import", "nbgrader", str(course / "source" / "ps1" / "ps1.ipynb"),
              "-o", str(bank))
    returned = work / "returned"
    returned_workbooks(bank, returned, students, COURSE_QUESTIONS)
    print(f"{count} students x 8 questions (15 test cells); nbgrader autograde grades one "
          f"notebook at a time, workbook grade --jobs {jobs} ({os.cpu_count()} cores); "
          f"median of {rounds} rounds")
    print(f"load before: {_uptime()}")
    labels = ["nbgrader autograde", "workbook grade --no-report", "workbook grade",
              "workbook grade --no-report --jobs 1"]
    seconds: dict[str, list[float]] = {label: [] for label in labels}
    for number in range(rounds):
        seconds[labels[0]].append(_timed(run_nbgrader, course, "autograde", "ps1"))
        theirs = nbgrader_totals(course, list(students))
        for label, flags, job_count in ((labels[1], ["--no-report"], jobs),
                                        (labels[2], [], jobs),
                                        (labels[3], ["--no-report"], 1)):
            out = work / f"out-{number}-{labels.index(label)}"
            shutil.rmtree(out, ignore_errors=True)  # a kept --workdir: grade afresh
            seconds[label].append(_timed(
                _workbook, "grade", str(returned), "-o", str(out), "--bank", str(bank),
                "--jobs", str(job_count), *flags))
            _same_totals(label, theirs, workbook_totals(out / "gradebook.sqlite"))
    # the reports' cost is a small difference of two short runs: more rounds of those
    # two alone, alternating, so the ratio is not one noisy round's
    for number in range(rounds, rounds + report_rounds):
        for label, flags in ((labels[1], ["--no-report"]), (labels[2], [])):
            out = work / f"out-{number}-{labels.index(label)}"
            shutil.rmtree(out, ignore_errors=True)
            seconds[label].append(_timed(
                _workbook, "grade", str(returned), "-o", str(out), "--bank", str(bank),
                "--jobs", str(jobs), *flags))
            _same_totals(label, theirs, workbook_totals(out / "gradebook.sqlite"))
            shutil.rmtree(out, ignore_errors=True)
    print(f"load after:  {_uptime()}")
    nbgrader = statistics.median(seconds[labels[0]])
    print(f"\n| run | seconds for {count} | per notebook | vs nbgrader autograde |")
    print("|---|---|---|---|")
    for label in labels:
        median = statistics.median(seconds[label])
        print(f"| {label} | {median:.1f} | {median / count:.3f} | {nbgrader / median:.1f}x |")
    bare, full = (statistics.median(seconds[label]) for label in labels[1:3])
    print(f"\nreports vs no reports (`workbook grade` vs `--no-report`, --jobs {jobs}, "
          f"medians of {rounds + report_rounds} rounds): {full:.3f} / {bare:.3f} s = "
          f"{full / bare:.2f}x (target: at most 1.25x)")
    print(f"\ntotals identical for all {count} students in every run; "
          f"rounds: " + "; ".join(f"{label} " + " ".join(f"{s:.1f}" for s in seconds[label])
                                  for label in labels))


if __name__ == "__main__":
    main()
