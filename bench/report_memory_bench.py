"""The report stage's peak memory at 100 and 2,000 candidates, as a ratio: it should be flat.

    .venv/bin/python bench/report_memory_bench.py [--sizes 100,2000] [--graded 12]
                                                  [--no-copies] [--rounds R]

Grades `--graded` returned copies of the shipped junior workbook once (real kernels,
`workbook grade --no-report`), then writes a gradebook per size holding that many
candidates, each a recorded result of one of those submissions under a new name and hash
(the returned files are still there, so each report reads its candidate's outputs as
`workbook grade` would). For each size, a fresh process runs the report stage
(`stage.write_reports`: similarity, graded copies with their HTML rendered in that
process, the cohort page, CSV/JSON and ATS exports) and reports its peak RSS
(`ru_maxrss`) and its time; R rounds each (medians). Printed: each size's figures and
their ratios to the first size's, measured in the same run, and the load average.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))


def make_gradebook(source: Path, target: Path, size: int) -> None:
    """`target`: `size` candidates, each a copy of a submission recorded in `source`."""
    from sqlalchemy import select

    from grading.gradebook import Gradebook
    from grading.gradebook.models import SubmissionRow

    with Gradebook.open(source) as graded:
        results = graded.results()
        with graded.transaction("read the workbooks") as session:
            metas = {row.content_hash: dict(row.workbook_meta)
                     for row in session.scalars(select(SubmissionRow))}
    with Gradebook.open(target) as gradebook:
        for i in range(size):
            base = results[i % len(results)]
            digest = hashlib.sha256(f"{base.content_hash}-{i}".encode()).hexdigest()
            gradebook.record_submission(
                replace(base, candidate=f"candidate-{i:05d}", content_hash=digest),
                workbook_meta=metas[base.content_hash])


def stage(gradebook: Path, outdir: Path, copies: bool) -> None:
    """Run in a fresh process: the report stage alone, then its peak RSS and seconds."""
    from grading.gradebook import Gradebook
    from workbook.bank import load_bank
    from workbook.report.stage import write_reports

    bank = load_bank()
    started = time.perf_counter()
    with Gradebook.open(gradebook) as opened:
        write_reports(opened, bank, outdir, copies=copies, progress=False, jobs=1,
                      date="2030-01-02")
    seconds = time.perf_counter() - started
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"peak_mib": peak_kib / 1024, "seconds": seconds}))


def measure(gradebook: Path, outdir: Path, copies: bool) -> dict[str, float]:
    command = [sys.executable, __file__, "--stage", str(gradebook), str(outdir)]
    if not copies:
        command.append("--no-copies")
    done = subprocess.run(command, check=True, capture_output=True, text=True, cwd=REPO)
    figures: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,2000")
    parser.add_argument("--graded", type=int, default=12)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--no-copies", action="store_true")
    parser.add_argument("--stage", nargs=2, metavar=("GRADEBOOK", "OUTDIR"))
    args = parser.parse_args()
    if args.stage:
        stage(Path(args.stage[0]), Path(args.stage[1]), not args.no_copies)
        return

    from report_bench import write_submissions

    from workbook.bank import load_bank

    sizes = [int(s) for s in args.sizes.split(",")]
    print(f"sizes: {sizes}, from {args.graded} graded submissions, copies: "
          f"{not args.no_copies}, load average at start: {os.getloadavg()[0]:.1f} on "
          f"{os.cpu_count()} cores")
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        write_submissions(load_bank(), root / "returned", args.graded)
        subprocess.run([sys.executable, "-m", "workbook", "grade", str(root / "returned"),
                        "-o", str(root / "graded"), "--no-report"], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=REPO)
        figures: dict[int, list[dict[str, float]]] = {size: [] for size in sizes}
        for size in sizes:
            make_gradebook(root / "graded" / "gradebook.sqlite",
                           root / f"gradebook-{size}.sqlite", size)
        for i in range(args.rounds):
            for size in sizes:  # alternated, so load drifts hit every size alike
                figures[size].append(measure(root / f"gradebook-{size}.sqlite",
                                             root / f"out-{size}-{i}", not args.no_copies))
        base = sizes[0]
        peak = {s: statistics.median(f["peak_mib"] for f in figures[s]) for s in sizes}
        seconds = {s: statistics.median(f["seconds"] for f in figures[s]) for s in sizes}
        for size in sizes:
            print(f"{size:6d} candidates: peak RSS {peak[size]:7.1f} MiB "
                  f"({peak[size] / peak[base]:.2f}x {base}), {seconds[size]:7.1f} s "
                  f"({seconds[size] / size * 1000:.1f} ms/candidate, "
                  f"{seconds[size] / size / (seconds[base] / base):.2f}x per candidate)")
    print(f"load average at end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
