"""What claiming costs a batch: a claim, and its release in the recording, against recording.

    .venv/bin/python bench/claims_bench.py [--submissions N] [--gradebook URL]

Every submission a batch grades is claimed before the engine takes it (a transaction of
its own) and released in the transaction that records its result (`grading.claims`,
`Gradebook.record_submission(releasing=...)`). On a fresh gradebook (a SQLite file in a
temporary folder unless `--gradebook` names one), this times, in the same run, N claims,
N recordings of a typical result (three questions, nine checks, two events) that release
their claims, and N recordings of other results with no claim, and prints the claims'
cost as a ratio to the plain recordings. Grading one submission in a kernel costs far
more than either; the ratio says whether claims are noise next to the recording every
batch does anyway.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from grading.gradebook import Gradebook  # noqa: E402
from grading.results import (  # noqa: E402
    CheckResult,
    Event,
    EventKind,
    SubmissionResult,
    SubmissionStatus,
    TaskResult,
)


def typical(index: int) -> SubmissionResult:
    tasks = tuple(TaskResult(task_id=f"q{q}", points=2, max_points=3, answer="def f(): ...\n",
                             checks=tuple(CheckResult(name=f"c{c}", passed=c != 2, points=1,
                                                      max_points=1) for c in range(3)))
                  for q in range(3))
    return SubmissionResult(candidate=f"cand-{index}", source=f"in/cand-{index}.ipynb",
                            content_hash=f"{index:064x}", status=SubmissionStatus.GRADED,
                            tasks=tasks, seconds=1.0,
                            events=(Event(kind=EventKind.INTEGRITY, detail="note"),
                                    Event(kind=EventKind.TIMEOUT, detail="slow", task_id="q1")))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--submissions", type=int, default=300)
    parser.add_argument("--gradebook", help="SQLAlchemy URL (default: a temporary SQLite)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.gradebook or str(Path(folder) / "gradebook.sqlite")
        with Gradebook.open(url) as gradebook:
            lease = timedelta(seconds=120)
            n = args.submissions
            started = time.perf_counter()
            for index in range(n):
                assert gradebook.claim(f"{index:064x}", "bench:0:x", lease)
            claiming = time.perf_counter() - started
            started = time.perf_counter()
            for index in range(n):
                gradebook.record_submission(typical(index), workbook_meta={},
                                            releasing="bench:0:x")
            releasing = time.perf_counter() - started
            started = time.perf_counter()
            for index in range(n, 2 * n):
                gradebook.record_submission(typical(index), workbook_meta={})
            recording = time.perf_counter() - started
    print(f"claim:                      {1000 * claiming / n:.2f} ms per submission")
    print(f"record result, releasing:   {1000 * releasing / n:.2f} ms per submission")
    print(f"record result, no claim:    {1000 * recording / n:.2f} ms per submission")
    print(f"ratio (claim + release) / record: "
          f"{(claiming + releasing - recording) / recording:.2f}")

if __name__ == "__main__":
    main()
