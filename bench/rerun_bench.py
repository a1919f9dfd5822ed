"""`workbook grade` on a folder graded already: its time as ratios, and where it goes.

    .venv/bin/python bench/rerun_bench.py [--rounds R] [--no-breakdown]

The README's main job (`workbook grade notebooks/submissions -o OUT --issued
notebooks/issued-assignments.jsonl`) into a fresh folder, then the same command again R
times on that folder (nothing to grade, no report changed: issue 13 asks for under 0.5 s),
against two baselines measured in the same run: the interpreter's start-up
(`python -c pass`) and the first, full grade. Medians; the load average is printed, since
on a shared machine only the ratios compare between runs.

The breakdown runs one more rerun in a fresh interpreter with a timer around each part
(the imports it needs, loading the bank, the gradebook, the ledger, the batch loop, the
results files, each report step) and says which heavy libraries it imported: the rerun
should import none of SQLAlchemy, nbformat, nbconvert, papermill, matplotlib, jinja2 or
pandas.

Last breakdown (2026-12-02, second session, 2 cores at load average 23-34, so CPU
seconds; "before" is 9446041, "after" 5a81b60 and the two commits after it, both with
every module's bytecode written):

    part (CPU seconds)                    before    after
    imports of those parts                 0.455    0.077    no SQLAlchemy, no grader
    load the bank                          0.070    0.008    kept by digest (bank_cache.py)
    open the gradebook                     0.015    0.001    the driver, not an engine
    record the --issued ledger             0.018    0.001
    batch: read files, look up gradebook   0.039    0.006
    reports: read the gradebook            0.033    0.005
    reports: similarity                    0.017    0.004
    the rest                               0.047    0.021
    in all, after start-up                 0.694    0.123

The whole command (this bench, 5 rounds each, the two runs back to back at load 23-34):
the rerun took 0.698 s of CPU before (27.8x `python -c pass`), 0.191 s after (7.5x). At
the ~0.025 s an idle machine's `python -c pass` takes, that is ~0.19 s, from the 0.70 s
measured before on an idle machine.

What is left is importing this project's own modules (the report and similarity stages,
the model's dataclasses) and the interpreter. Where PYTHONDONTWRITEBYTECODE is set, every
module changed since bytecode was last written is compiled on every run; the commands
here run without it, as a user's do.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import inspect
import io
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
SUBMISSIONS = REPO / "notebooks" / "submissions"
LEDGER = REPO / "notebooks" / "issued-assignments.jsonl"
#: libraries a rerun with nothing to write has no use for
HEAVY = ("sqlalchemy", "nbformat", "nbconvert", "papermill", "matplotlib", "jinja2", "pandas",
         "jsonschema", "nbclient", "jupyter_client", "zmq", "hypothesis", "numpy")
#: (module, attribute, label): the parts of a rerun, timed where they are looked up
PARTS = (
    ("workbook.cli.grade", "load_bank_from", "load the bank"),
    ("grading.gradebook", "Gradebook.open", "open the gradebook"),
    ("workbook.issue", "record_ledger", "record the --issued ledger"),
    ("grading.batch", "grade_batch", "batch: read files, look up the gradebook"),
    ("grading.export", "ResultsWriter.write", "results.json / results.csv"),
    ("workbook.report.stage", "iter_reports", "reports: read the gradebook"),
    ("workbook.report.stage", "similarity_for_reports", "reports: similarity"),
    ("workbook.report.stage", "write_copies", "reports: graded copies"),
)


def _grade(outdir: Path) -> list[str]:
    return [sys.executable, "-m", "workbook", "grade", str(SUBMISSIONS), "-o", str(outdir),
            "--issued", str(LEDGER)]


#: the commands run as users run them: Python keeps the bytecode it compiles (a shell that
#: sets PYTHONDONTWRITEBYTECODE would have every changed module compiled on every run)
USERS_ENV = {name: value for name, value in os.environ.items()
             if name != "PYTHONDONTWRITEBYTECODE"}


def _seconds(command: list[str]) -> tuple[float, float]:
    """Wall seconds of `command`, and the CPU seconds it used (user and system): on a
    loaded machine the second says more about the code than the first."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   cwd=REPO, env=USERS_ENV)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def measure(outdir: Path, rounds: int) -> None:
    first, first_cpu = _seconds(_grade(outdir))
    rerun, bare = [], []
    for _ in range(rounds):  # alternated, so a change in load hits both alike
        rerun.append(_seconds(_grade(outdir)))
        bare.append(_seconds([sys.executable, "-c", "pass"]))
    again, start = (statistics.median(t[0] for t in rerun),
                    statistics.median(t[0] for t in bare))
    again_cpu, start_cpu = (statistics.median(t[1] for t in rerun),
                            statistics.median(t[1] for t in bare))
    print(f"{'':36}{'wall':>8}{'CPU':>9}")
    print(f"{'first grade (9 samples, reports):':36}{first:7.2f}s{first_cpu:8.2f}s")
    print(f"{'python -c pass:':36}{start:7.3f}s{start_cpu:8.3f}s")
    print(f"{'rerun on the graded folder:':36}{again:7.3f}s{again_cpu:8.3f}s")
    print(f"rerun, wall: {again / start:.1f}x python start-up, {again / first:.3f}x the first "
          f"grade; CPU: {again_cpu / start_cpu:.1f}x python start-up, "
          f"{again_cpu / first_cpu:.3f}x the first grade (aim: under 0.5 s on an idle machine)")


class _Clock:
    """Wall and CPU seconds since it was made."""

    def __init__(self) -> None:
        self.wall, self.cpu = time.perf_counter(), time.process_time()

    def read(self) -> tuple[float, float]:
        return time.perf_counter() - self.wall, time.process_time() - self.cpu


def _timed(parts: dict[str, tuple[float, float]], label: str, function: Callable[..., Any]
           ) -> Callable[..., Any]:
    """`function`, its time added to `parts[label]`; a generator's while it is walked."""
    def add(clock: _Clock) -> None:
        wall, cpu = clock.read()
        before = parts.get(label, (0.0, 0.0))
        parts[label] = (before[0] + wall, before[1] + cpu)

    def walked(generator: Iterator[Any]) -> Iterator[Any]:
        while True:
            clock = _Clock()
            try:
                item = next(generator)
            except StopIteration:
                return
            finally:
                add(clock)
            yield item

    def timed(*args: Any, **kwargs: Any) -> Any:
        clock = _Clock()
        try:
            result = function(*args, **kwargs)
        finally:
            add(clock)
        return walked(result) if inspect.isgenerator(result) else result
    return timed


def phases(outdir: Path) -> None:
    """In a fresh interpreter: one rerun with each part timed (see PARTS)."""
    clock = _Clock()
    parts: dict[str, tuple[float, float]] = {}
    for module_name, attribute, label in PARTS:
        module = importlib.import_module(module_name)
        owner_name, _, name = attribute.rpartition(".")
        owner = getattr(module, owner_name, None) if owner_name else module
        function = getattr(owner, name, None)
        if function is None:  # not in this version of the code: shown as 0
            continue
        if hasattr(function, "__self__"):  # a classmethod: keep it bound to its class
            setattr(owner, name, classmethod(_timed(parts, label, function.__func__)))
        else:  # a function, or a method looked up on its class
            setattr(owner, name, _timed(parts, label, function))
    imports = clock.read()
    from workbook.cli import main

    clock = _Clock()
    with contextlib.redirect_stdout(io.StringIO()):
        code = main(["grade", str(SUBMISSIONS), "-o", str(outdir), "--issued", str(LEDGER)])
    total = clock.read()
    assert code == 0, code
    print(f"  {'':44} {'wall':>7} {'CPU':>7}")
    rows = [("imports of those parts", imports),
            *((label, parts.get(label, (0.0, 0.0))) for _m, _a, label in PARTS)]
    rows.append(("the rest (cohort check, other imports)",
                 (total[0] - sum(wall for wall, _cpu in parts.values()),
                  total[1] - sum(cpu for _wall, cpu in parts.values()))))
    rows.append(("in all, after start-up", (imports[0] + total[0], imports[1] + total[1])))
    for label, (wall, cpu) in rows:
        print(f"  {label:44} {wall:6.3f}s {cpu:6.3f}s")
    loaded = sorted({m.split('.')[0] for m in sys.modules} & set(HEAVY))
    print(f"  heavy libraries imported: {', '.join(loaded) or 'none'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--no-breakdown", dest="breakdown", action="store_false")
    parser.add_argument("--phases", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phases:
        sys.path.insert(0, str(REPO))
        phases(args.phases)
        return
    print(f"load average at start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory() as scratch:
        outdir = Path(scratch) / "out"
        measure(outdir, args.rounds)
        if args.breakdown:
            print("one more rerun, by part:")
            sys.stdout.flush()
            subprocess.run([sys.executable, __file__, "--phases", str(outdir)], check=True,
                           cwd=REPO, env=USERS_ENV)
    print(f"load average at end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
