"""How grading grows with the batch: seconds per submission and the grader's peak memory.

    .venv/bin/python bench/scale_bench.py [--sizes 100,1000,10000] [--jobs 0,1] [--reports]
                                          [--dask WORKERS] [--workdir DIR]

For each size N, writes N returned copies of the shipped junior workbook (each coding
answer the reference, a decoy or the starter, in rotation; written one at a time, never
held together) and runs `workbook grade --no-report` on them (`--reports`: with the
graded copies and cohort page) as a user would, once per `--jobs` value (0: all cores).
`--dask W` grades instead through `--scheduler` on a local Dask cluster this bench starts
with the `dask scheduler` and `dask worker` commands (W worker processes, one thread
each), a fresh cluster per size. `--workdir` keeps the generated submissions there for
the next run (the graded output folders are always fresh).

While a run goes, the grader process's peak resident memory (VmHWM in /proc; the
kernels are processes of their own) is sampled, and with `--dask` each worker's too, and
with `--reports` the report worker's the grader starts (`workbook.report.ahead`).
Printed per size: seconds per submission and peak RSS, each also as a ratio to the
smallest size measured in the same run: time should grow linearly (ratio near 1.0) and
memory stay flat. The load average is printed too: on a shared machine only the ratios
mean anything.

With reports (2026-12-02, fifth session, `--sizes 100,1000,10000 --jobs 0 --reports
--workdir /tmp/scale-work`, load 1.5-4, tests running beside it for part of the time):

    size     s/sub  vs 100   RSS MiB  vs 100   report worker MiB  vs 100
    100      0.152  1.00x    49.1     1.00x     73.3              1.00x
    1,000    0.146  0.96x    51.0     1.04x     78.5              1.07x
    10,000   0.171  1.12x    55.9     1.14x     88.4              1.21x

The fourth session's run, before the similarity step moved to disk, gave the report
worker 86.5, 101.4 and 242.8 MiB (2.81x): ARCHITECTURE.md, "How a batch grows".

Earlier figures (2026-12-02, third session, `nice -n 5`, `--workdir /tmp/scale-work`; the
two runs shared the 2 cores with each other and a CI run for most of their time, after a
quiet 100, so the times are noise and the memory is what counts):

    --sizes 100,1000,10000 --jobs 1            (load 1.7 at start)
    size     s/sub  vs 100   RSS MiB  vs 100
    100      0.215  1.00x    46.8     1.00x
    1,000    0.301  1.40x    48.9     1.04x
    10,000   0.304  1.41x    52.2     1.11x

    --sizes 100,1000,10000 --dask 2, DASK_DISTRIBUTED__WORKER__PROFILE__ENABLED=False
    (load 1.7; driver, then each worker)
    100      0.195  1.00x    68.7     1.00x    worker 75.2   1.00x
    1,000    0.197  1.01x    71.9     1.05x    worker 77.8   1.03x
    10,000   0.181  0.93x    76.0     1.11x    worker 80.7   1.07x

Earlier (2026-12-02, 2 cores shared with five other engineers' work, every run
`nice -n 10`, several at once; load 10-40), before the grader stopped importing
SQLAlchemy:

    --sizes 100,1000,10000 --jobs 0            (load 9.7 at start)
    size     s/sub  vs 100   RSS MiB  vs 100
    100      1.196  1.00x    72.2     1.00x
    1,000    0.947  0.79x    75.6     1.05x
    10,000   0.371  0.31x    78.5     1.09x  (load fell from 40 to 4 meanwhile)

    the same before the three fixes below   (load 9.5)
    100      0.630  1.00x    71.7     1.00x
    1,000    0.632  1.00x    75.7     1.06x
    10,000   (a previous session, load 6-33: 0.382 s, 0.64x; 88.7 MiB, 1.17x)

    --sizes 100,1000,3000 --jobs 1             (load 9.7)
    100      1.965  1.00x    70.8     1.00x
    1,000    2.221  1.13x    74.0     1.05x
    3,000    0.612  0.31x    76.2     1.08x  (load fell to 5 meanwhile)

    --sizes 100,1000 --dask 2                  (load 9.7; driver, then each worker)
    100      1.328  1.00x    91.7     1.00x    worker 88.4   1.00x
    1,000    0.904  0.68x    96.2     1.05x    worker 127.4  1.44x
    with DASK_DISTRIBUTED__WORKER__PROFILE__ENABLED=False in the environment (load 20)
    100      1.390  1.00x    91.9     1.00x    worker 77.7   1.00x
    1,000    1.303  0.94x    96.6     1.05x    worker 81.6   1.05x

    --sizes 100,1000 --reports                 (load 19.0; grader, then report worker)
    100      1.765  1.00x    73.9     1.00x    reports 135.6  1.00x
    1,000    1.582  0.90x    77.6     1.05x    reports 160.6  1.18x
    the same on main before this session's report work (9446041, load 12.9)
    100      0.653  1.00x    74.5     1.00x    reports 153.7  1.00x
    1,000    0.632  0.97x    78.2     1.05x    reports 182.3  1.19x

What the grader held per submission before (tracemalloc): the sorted list of every path
found (375 bytes), the content hashes seen (260 bytes) and the results spool's index
(480 bytes); what is left is SQLite's page caches filling (the gradebook's, and the
scratch databases', now 512 KiB each: these runs had SQLite's 2 MiB).
A Dask worker's growth is Dask's statistical profiler: up to 1,000 one-second profiles.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from report_bench import write_submissions  # noqa: E402

from workbook.bank import load_bank  # noqa: E402

#: seconds a Dask scheduler or worker gets to come up
CLUSTER_START = 120
#: the module a grader runs its report worker as
REPORT_WORKER = "workbook.report.ahead"


def _peak_rss_kib(pid: int) -> int | None:
    try:
        status = Path(f"/proc/{pid}/status").read_text(encoding="ascii")
    except OSError:
        return None
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return None


def _children(pid: int, marker: str) -> list[int]:
    """The child processes of `pid` whose command line holds `marker`."""
    found = []
    for children in Path(f"/proc/{pid}/task").glob("*/children"):
        try:
            pids = [int(child) for child in children.read_text(encoding="ascii").split()]
        except OSError:
            continue
        for child in pids:
            try:
                command = Path(f"/proc/{child}/cmdline").read_bytes()
            except OSError:
                continue
            if marker.encode() in command:
                found.append(child)
    return found


class PeakSampler:
    """The highest VmHWM seen for each of some processes, sampled on a thread; also
    for the report worker a grader starts (`workbook.report.ahead`)."""

    def __init__(self) -> None:
        self.pids: list[int] = []
        self.peaks: dict[int, int] = {}
        self.helpers: dict[int, set[int]] = {}  # grader pid -> its report workers
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.05):
            for pid in list(self.pids):
                self.peaks[pid] = max(self.peaks.get(pid, 0), _peak_rss_kib(pid) or 0)
            for pid, helpers in list(self.helpers.items()):
                for child in _children(pid, REPORT_WORKER):
                    if child not in helpers:
                        helpers.add(child)
                        self.pids.append(child)

    def __enter__(self) -> PeakSampler:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def peak(self, pids: list[int]) -> int:
        return max((self.peaks.get(pid, 0) for pid in pids), default=0)


@contextmanager
def dask_cluster(root: Path, workers: int, sampler: PeakSampler
                 ) -> Iterator[tuple[str, list[int]]]:
    """A local cluster from the `dask scheduler` and `dask worker` commands: its address
    and its workers' pids (the nanny processes' children are the workers)."""
    dask = str(Path(sys.executable).with_name("dask"))
    info = root / f"scheduler-{time.monotonic_ns()}.json"
    log = (root / "dask.log").open("ab")
    with ExitStack() as stack:
        stack.callback(log.close)
        scheduler = subprocess.Popen([dask, "scheduler", "--host", "127.0.0.1", "--port", "0",
                                      "--no-dashboard", "--scheduler-file", str(info)],
                                     stdout=log, stderr=log, cwd=REPO)
        stack.callback(_stop, scheduler)
        _wait_for(lambda: info.exists() and info.stat().st_size > 0, "the Dask scheduler")
        worker = subprocess.Popen([dask, "worker", "--scheduler-file", str(info),
                                   "--nworkers", str(workers), "--nthreads", "1",
                                   "--no-dashboard", "--memory-limit", "0"],
                                  stdout=log, stderr=log, cwd=REPO)
        stack.callback(_stop, worker)
        from distributed import Client

        with Client(scheduler_file=str(info), timeout=CLUSTER_START) as client:
            client.wait_for_workers(workers, timeout=CLUSTER_START)
            address = client.scheduler.address
            pids = list(client.run(os.getpid).values())
        sampler.pids += pids
        yield address, pids


def _wait_for(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + CLUSTER_START
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit(f"{what} did not start in {CLUSTER_START} s")
        time.sleep(0.1)


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def grade(folder: Path, outdir: Path, sampler: PeakSampler, *, jobs: int, reports: bool,
          scheduler: str | None = None) -> tuple[float, int, int]:
    """Seconds `workbook grade` took, the grader's peak RSS in KiB and its report
    worker's (0 when it started none)."""
    command = [sys.executable, "-m", "workbook", "grade", str(folder), "-o", str(outdir)]
    command += [] if reports else ["--no-report"]
    command += ["--jobs", str(jobs)] if jobs else []
    command += ["--scheduler", scheduler] if scheduler else []
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               cwd=REPO)
    sampler.helpers[process.pid] = set()
    sampler.pids.append(process.pid)
    _out, err = process.communicate()
    seconds = time.perf_counter() - started
    if process.returncode != 0:
        tail = err.decode(errors="replace").strip().splitlines()[-3:]
        raise SystemExit(f"workbook grade exited {process.returncode} on {folder}: "
                         + " | ".join(tail))
    return seconds, sampler.peak([process.pid]), sampler.peak(list(sampler.helpers[process.pid]))


def submissions(root: Path, size: int) -> Path:
    """A folder of `size` generated submissions, written unless a complete one is there."""
    folder = root / f"returned-{size}"
    if folder.exists() and len(list(folder.glob("*.ipynb"))) == size:
        return folder
    if folder.exists():
        raise SystemExit(f"{folder} is incomplete: delete it and run again")
    write_submissions(load_bank(), folder, size)
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,1000,10000")
    parser.add_argument("--jobs", default="0,1",
                        help="comma-separated --jobs values; 0 means all cores")
    parser.add_argument("--reports", action="store_true")
    parser.add_argument("--dask", type=int, default=0, metavar="WORKERS",
                        help="grade on a local Dask cluster of this many worker processes")
    parser.add_argument("--workdir", type=Path,
                        help="keep the generated submissions here between runs")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    jobs_values = [0] if args.dask else [int(j) for j in args.jobs.split(",")]

    print(f"load average at start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; "
          f"{'with' if args.reports else 'without'} reports"
          + (f"; on a local Dask cluster of {args.dask} workers" if args.dask else ""))
    print(f"{'jobs':>5} {'submissions':>11} {'seconds':>9} {'s/submission':>12} "
          f"{'vs smallest':>11} {'peak RSS MiB':>12} {'vs smallest':>11}"
          + (f" {'worker MiB':>10} {'vs smallest':>11}" if args.dask else "")
          + (f" {'reports MiB':>11} {'vs smallest':>11}" if args.reports else ""))
    with ExitStack() as stack:
        scratch = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        inputs = args.workdir or scratch
        inputs.mkdir(parents=True, exist_ok=True)
        sampler = stack.enter_context(PeakSampler())
        for jobs in jobs_values:
            first: tuple[float, int, int, int] | None = None
            for size in sizes:
                folder = submissions(inputs, size)
                outdir = scratch / f"out-{jobs}-{size}"
                with ExitStack() as cluster:
                    scheduler: str | None = None
                    workers: list[int] = []
                    if args.dask:
                        scheduler, workers = cluster.enter_context(
                            dask_cluster(scratch, args.dask, sampler))
                    seconds, peak, reports_peak = grade(
                        folder, outdir, sampler, jobs=jobs, reports=args.reports,
                        scheduler=scheduler)
                    worker_peak = sampler.peak(workers)
                shutil.rmtree(outdir)  # 10,000 graded copies are gigabytes: one size at a time
                per = seconds / size
                first = first or (per, peak, worker_peak, reports_peak)
                line = (f"{jobs or 'all':>5} {size:>11} {seconds:9.1f} {per:12.3f} "
                        f"{per / first[0]:10.2f}x {peak / 1024:12.1f} {peak / first[1]:10.2f}x")
                if args.dask:
                    line += f" {worker_peak / 1024:10.1f} {worker_peak / first[2]:10.2f}x"
                if args.reports:
                    line += (f" {reports_peak / 1024:11.1f} "
                             f"{reports_peak / max(first[3], 1):10.2f}x")
                print(line, flush=True)
    print(f"load average at end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
