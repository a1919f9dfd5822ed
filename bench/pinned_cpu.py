"""Deterministic CPU contention for tests and benches: kernels and busy loops pinned to
one CPU, so a kernel gets about a known fraction of it, or less when the machine is busy."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from grading.config import GradingConfig
from grading.engine import Grader
from grading.tasks import Task


def grader_on_one_cpu(tasks: Sequence[Task], config: GradingConfig,
                      cpu: int | None = None) -> tuple[Grader, int]:
    """A grader for `tasks`, opened pinned to `cpu` (by default this process's last), so
    its zygote and every kernel it forks keep that affinity; this process gets its CPUs
    back afterwards. The caller closes the grader."""
    mine = os.sched_getaffinity(0)
    cpu = max(mine) if cpu is None else cpu
    os.sched_setaffinity(0, {cpu})
    try:
        grader = Grader(tasks, config=config)
        grader.open()
        return grader, cpu
    finally:
        os.sched_setaffinity(0, mine)


@contextmanager
def busy_loops(cpu: int, count: int) -> Iterator[None]:
    """`count` processes spinning on `cpu` for the duration, each running once it has
    said it is pinned (a condition, not a sleep)."""
    code = (f"import os, sys\nos.sched_setaffinity(0, {{{cpu}}})\n"
            "sys.stdout.write('pinned\\n'); sys.stdout.flush()\nwhile True:\n    pass\n")
    # each in a session of its own, as each kernel is: with autogroup scheduling a CPU
    # is shared between sessions first, and loops of one session would count as one
    loops = [subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE,
                              stdin=subprocess.DEVNULL, start_new_session=True)
             for _ in range(count)]
    try:
        for loop in loops:
            assert loop.stdout is not None and loop.stdout.readline() == b"pinned\n"
        yield
    finally:
        for loop in loops:
            loop.kill()
        for loop in loops:
            loop.wait()
            if loop.stdout is not None:
                loop.stdout.close()
