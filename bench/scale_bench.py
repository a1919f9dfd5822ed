"""How grading grows with the batch: seconds per submission and the grader's peak memory.

    .venv/bin/python bench/scale_bench.py [--sizes 100,1000,10000] [--jobs 0,1] [--reports]

For each size N, writes N returned copies of the shipped junior workbook (each coding
answer the reference, a decoy or the starter, in rotation; written one at a time, never
held together) and runs `workbook grade --no-report` on them (`--reports`: with the
graded copies and cohort page) as a user would, once per `--jobs` value (0: all cores).
While it runs, the grader process's peak resident memory (VmHWM in /proc, the kernels
are processes of their own) is sampled. Printed per size: seconds per submission and
peak RSS, each also as a ratio to the smallest size measured in the same run: time
should grow linearly (ratio near 1.0) and memory stay flat. The load average is printed
too: on a shared machine only the ratios mean anything.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from report_bench import write_submissions  # noqa: E402

from workbook.bank import load_bank  # noqa: E402


def _peak_rss_kib(pid: int) -> int | None:
    try:
        status = Path(f"/proc/{pid}/status").read_text(encoding="ascii")
    except OSError:
        return None
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return None


def grade(folder: Path, outdir: Path, *, jobs: int, reports: bool) -> tuple[float, int]:
    """Seconds `workbook grade` took, and the grader's peak RSS in KiB."""
    command = [sys.executable, "-m", "workbook", "grade", str(folder), "-o", str(outdir)]
    command += [] if reports else ["--no-report"]
    command += ["--jobs", str(jobs)] if jobs else []
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               cwd=REPO)
    peak = 0

    def sample() -> None:
        nonlocal peak
        while process.poll() is None:
            peak = max(peak, _peak_rss_kib(process.pid) or 0)
            time.sleep(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    code = process.wait()
    seconds = time.perf_counter() - started
    sampler.join()
    if code not in (0,):
        raise SystemExit(f"workbook grade exited {code} on {folder}")
    return seconds, peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,1000,10000")
    parser.add_argument("--jobs", default="0,1",
                        help="comma-separated --jobs values; 0 means all cores")
    parser.add_argument("--reports", action="store_true")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    jobs_values = [int(j) for j in args.jobs.split(",")]

    bank = load_bank()
    print(f"load average at start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; "
          f"{'with' if args.reports else 'without'} reports")
    print(f"{'jobs':>5} {'submissions':>11} {'seconds':>9} {'s/submission':>12} "
          f"{'vs smallest':>11} {'peak RSS MiB':>12} {'vs smallest':>11}")
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        for jobs in jobs_values:
            first: tuple[float, int] | None = None
            for size in sizes:
                folder = root / f"returned-{size}"
                if not folder.exists():
                    write_submissions(bank, folder, size)
                seconds, peak = grade(folder, root / f"out-{jobs}-{size}", jobs=jobs,
                                      reports=args.reports)
                per = seconds / size
                first = first or (per, peak)
                print(f"{jobs or 'all':>5} {size:>11} {seconds:9.1f} {per:12.3f} "
                      f"{per / first[0]:10.2f}x {peak / 1024:12.1f} {peak / first[1]:10.2f}x",
                      flush=True)
    print(f"load average at end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
