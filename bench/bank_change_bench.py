"""What the strengthened checks cost: grading the same submissions against the bank as it
was at an earlier commit and against the current bank, measured in the same run.

    .venv/bin/python bench/bank_change_bench.py [--before COMMIT] [--submissions N]
                                                [--jobs N] [--full ID,...] [ID ...]

The bank of `--before` (default 249d8ec, before issue 11's round of generated inputs,
rules and mutation proofs) is materialised from git into a temporary folder and loaded
like any `--bank DIR`. For each coding question in both banks (or the IDs given), N
submissions (the current reference, starter, decoys and accepted alternatives in
rotation, so both banks grade exactly the same code) are graded by the engine with the
old task and with the new one; answer keys, including drawing the generated inputs, are
built outside the timing. The table gives seconds per submission before and after and
their ratio (above 1: the new checks cost that factor).

Then a full submission of `--full` questions (default: the first 8 coding questions of
the current bank in bank order) is graded the same way, every submission answering every
question (reference, one decoy, the starter, alternately), before and after.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import tarfile
import tempfile
import time
from io import BytesIO
from pathlib import Path

from grading.config import GradingConfig
from grading.engine import Grader
from grading.errors import GradingError
from grading.tasks import Answer, Task
from workbook.bank import load_bank
from workbook.model import Question
from workbook.tasks import task_for

BANK_PATH = "workbook/questions"


def materialise_bank(commit: str, into: Path) -> Path:
    """The bank folder as it was at `commit`, written under `into`."""
    archive = subprocess.run(["git", "archive", "--format=tar", commit, BANK_PATH],
                             check=True, capture_output=True).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return into / BANK_PATH


def codes_of(question: Question) -> list[str]:
    return [question.reference, question.starter, *(d.code for d in question.decoys),
            *(a.code for a in question.alternatives)]


def seconds_per_submission(tasks: list[Task], submissions: list[tuple[int, list[Answer]]],
                           jobs: int) -> float:
    with Grader(tasks, config=GradingConfig()) as grader:  # answer key: untimed
        started = time.perf_counter()
        for _, results in grader.grade_many(submissions, jobs=jobs):
            if isinstance(results, GradingError):
                raise results
        return (time.perf_counter() - started) / len(submissions)


def measure(before: list[Task], after: list[Task], submissions: list[tuple[int, list[Answer]]],
            jobs: int, rounds: int) -> tuple[float, float]:
    """Median seconds per submission with the old tasks and with the new, alternating so
    a change in the machine's load falls on both sides."""
    old, new = [], []
    for _ in range(rounds):
        old.append(seconds_per_submission(before, submissions, jobs))
        new.append(seconds_per_submission(after, submissions, jobs))
    return statistics.median(old), statistics.median(new)


def row(label: str, old: float, new: float) -> str:
    return f"{label:<28} {old * 1000:>9.0f}ms {new * 1000:>9.0f}ms {new / old:>6.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("ids", nargs="*")
    parser.add_argument("--before", default="249d8ec")
    parser.add_argument("--submissions", type=int, default=6)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=1,
                        help="repeat each measurement; report the median")
    parser.add_argument("--full", default="",
                        help="comma-separated ids of the full submission's questions")
    args = parser.parse_args()
    if min(args.submissions, args.jobs, args.rounds) < 1:
        parser.error("--submissions, --jobs and --rounds must be at least 1")
    current = load_bank()
    with tempfile.TemporaryDirectory(prefix="bank-before-") as folder:
        old_bank = load_bank(materialise_bank(args.before, Path(folder)))
    old_ids = {q.id for q in old_bank.questions if q.is_coding}
    ids = args.ids or [q.id for q in current.questions if q.is_coding and q.id in old_ids]
    print(f"seconds per submission, bank at {args.before} vs now; {args.submissions} "
          f"submissions per question, {args.jobs} jobs")
    print(f"{'question':<28} {'before':>11} {'after':>11} {'ratio':>6}")
    for qid in ids:
        new_q = current.get(qid)
        codes = codes_of(new_q)
        submissions = [(n, [Answer(task_id=qid, code=codes[n % len(codes)])])
                       for n in range(args.submissions)]
        old, new = measure([task_for(old_bank.get(qid))], [task_for(new_q)], submissions,
                           args.jobs, args.rounds)
        print(row(qid, old, new), flush=True)

    full_ids = [i for i in args.full.split(",") if i] or [
        q.id for q in current.questions if q.is_coding and q.id in old_ids][:8]
    questions = [current.get(qid) for qid in full_ids]
    kinds = [lambda q: q.reference, lambda q: q.decoys[0].code if q.decoys else q.reference,
             lambda q: q.starter]
    submissions = [(n, [Answer(task_id=q.id, code=kinds[n % len(kinds)](q)) for q in questions])
                   for n in range(args.submissions)]
    old, new = measure([task_for(old_bank.get(qid)) for qid in full_ids],
                       [task_for(q) for q in questions], submissions, args.jobs, args.rounds)
    print(f"\nfull {len(full_ids)}-question submission ({', '.join(full_ids)}):")
    print(row("all questions", old, new))


if __name__ == "__main__":
    main()
