"""Verdicts of the bank's timed checks when the kernel gets a fraction of a CPU: charged
without its run-queue wait (grading/kernel/runqueue.py) against wall-clock time, in the
same run.

    .venv/bin/python bench/runqueue_bench.py [--loops 0,3,7,15] [ID:CHECK ...]

The zygote (and so every kernel) and N busy loops, each in a session of its own, are
pinned to one CPU, so a kernel gets about 1/(N+1) of it over a long run (less when the
machine is busy: the load is printed; a short burst after a sleep gets more, as the
scheduler lets a task that slept run ahead). For each timed check (by default the three
whose slow decoys only its timeout catches: ds-lru-cache constant-time-operations,
ds-top-k-frequent large-stream, code-build-order deep-chain-and-wide-graph), with the
question's own timeout, the reference, every accepted alternative and every decoy that
check catches by its timeout are graded on that check alone, once with the run-queue
allowance of the product and once with none (wall-clock deadlines). A line per subject:
pass or timeout, and the seconds the grading took (a figure of this run, not a
measurement to compare across machines).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import time
from pathlib import Path

from grading.config import GradingConfig
from grading.kernel import runqueue
from grading.tasks import Answer
from workbook.bank import load_bank
from workbook.tasks import task_for

sys.path.insert(0, str(Path(__file__).resolve().parent))

from pinned_cpu import busy_loops, grader_on_one_cpu

TIMED = ("ds-lru-cache:constant-time-operations", "ds-top-k-frequent:large-stream",
         "code-build-order:deep-chain-and-wide-graph")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--loops", default="0,3,7,15")
    parser.add_argument("checks", nargs="*", default=list(TIMED))
    options = parser.parse_args()
    counts = [int(part) for part in options.loops.split(",")]
    bank = load_bank()
    cpu = max(os.sched_getaffinity(0))
    print(f"load: {os.getloadavg()[0]:.1f}; kernels pinned to CPU {cpu}; "
          f"allowance {runqueue.RUN_QUEUE_ALLOWANCE:g}x the limit")
    product_allowance = runqueue.RUN_QUEUE_ALLOWANCE
    for spec in options.checks:
        question_id, _, check_name = spec.partition(":")
        question = bank.get(question_id)
        task = task_for(question)
        check = next(c for c in task.hidden_checks if c.name == check_name)
        task = dataclasses.replace(task, hidden_checks=(check,), public_checks="")
        subjects = [("reference", question.reference),
                    *((f"alternative {a.name}", a.code) for a in question.alternatives),
                    *((f"decoy {d.name}", d.code) for d in question.decoys)]
        grader, _cpu = grader_on_one_cpu(
            [task], GradingConfig(shrink_counterexamples=False), cpu)
        try:
            # keep the decoys this check catches by its timeout (the others fail it anyway)
            caught = []
            for name, code in subjects:
                result, = grader.grade([Answer(task_id=task.id, code=code)])
                timed_out = any(event.kind == "timeout" for event in result.events)
                if not name.startswith("decoy") or timed_out:
                    caught.append((name, code))
            print(f"\n{spec} (timeout {task.timeout:g} s)")
            for count in counts:
                with busy_loops(cpu, count):
                    for label, allowance in (("charged", product_allowance), ("wall", 0.0)):
                        runqueue.RUN_QUEUE_ALLOWANCE = allowance
                        line = []
                        for name, code in caught:
                            started = time.monotonic()
                            result, = grader.grade([Answer(task_id=task.id, code=code)])
                            took = time.monotonic() - started
                            verdict = "pass" if result.points == result.max_points else (
                                "timeout" if result.events else "fail")
                            line.append(f"{name}: {verdict} {took:.1f}s")
                        runqueue.RUN_QUEUE_ALLOWANCE = product_allowance
                        print(f"  1/{count + 1} CPU, {label:7}  " + "; ".join(line), flush=True)
        finally:
            grader.close()
    print(f"\nload at the end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
