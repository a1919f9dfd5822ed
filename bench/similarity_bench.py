"""How comparing answers grows with the cohort: 100, 1,000 and 10,000 distinct answers.

    .venv/bin/python bench/similarity_bench.py [--sizes 100,1000,10000] [--seed N]
                                               [--repeat R]

Each cohort answers the shipped bank's ds-merge-intervals with generated programs
(`tests/similarity/generated.py`: independent answers from a small grammar, one in twenty
a disguised copy of an earlier one), so nearly every answer is distinct: the hard case
for memory, where no two candidates share a fingerprint. Each size runs in a fresh process
through `compare_question` (fingerprints, subtraction of the given code, pairs, known
sources, the run's findings database) and reports its seconds (the best of --repeat runs
for cohorts under 10,000), its peak RSS and how many of the planted copies it found.
Printed: each figure and its ratio to the first size's, measured in the same run. Scoring
every pair would grow with the square of the cohort (x10,000 from 100 to 10,000); the
k-gram index (`workbook/similarity/index.py`) keeps it near x100 and finds the same pairs.

2026-12-02, fifth session (`--repeat 1`, load ~1):

     answers       method  seconds   ratio  peak MiB  ratio  cohort MiB  copies found
         100   every pair     0.16    1.0x      24.5  1.00x        22.5       3/3
       1,000 k-gram index     2.26   13.9x      35.5  1.45x        23.0      43/43
      10,000 k-gram index    24.11  148.2x      58.3  2.38x        35.0     448/448

The code before (MinHash LSH, every answer and pair held), same cohorts: 0.31, 3.44 and
41.15 s; peaks 85.8, 132.4 and 583.1 MiB with numpy and datasketch imported (487 MB
above the answers at 10,000).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

QUESTION = "ds-merge-intervals"


def one(size: int, seed: int, repeat: int) -> dict[str, object]:
    """In a fresh process: compare a cohort of `size`; what it took."""
    from tests.similarity.generated import cohort
    from workbook.bank import SHIPPED_BANK, load_bank
    from workbook.similarity.compare import compare_question
    from workbook.similarity.sources import known_sources, shared_kgrams

    question = load_bank(SHIPPED_BANK).get(QUESTION)
    known = known_sources(question, QUESTION, None)
    answers, copies = cohort(size, seed=seed)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    seconds = float("inf")
    for _ in range(repeat if size < 10_000 else 1):
        started = time.perf_counter()
        result = compare_question(QUESTION, iter(answers), known, shared_kgrams(question))
        seconds = min(seconds, time.perf_counter() - started)
    found = {frozenset((left, right)) for left, left_kind, right, right_kind, *_ in result.rows()
             if left_kind == right_kind == "candidate"}
    return {"seconds": seconds, "method": result.method,
            "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "before_mib": before / 1024, "found": len(found & copies), "copies": len(copies),
            "others": len(found - copies)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,1000,10000")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=3,
                        help="runs per size under 10,000 answers; the best is kept")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one(args.one, args.seed, args.repeat)))
        return
    first: dict[str, float] = {}
    print(f"{'answers':>8} {'method':>12} {'seconds':>8} {'ratio':>7} {'ms/answer':>9} "
          f"{'peak MiB':>9} {'ratio':>6} {'cohort MiB':>10} {'copies found':>13}")
    for size in (int(s) for s in args.sizes.split(",")):
        output = subprocess.run(
            [sys.executable, __file__, "--one", str(size), "--seed", str(args.seed),
             "--repeat", str(args.repeat)], check=True, capture_output=True, text=True,
            cwd=REPO).stdout
        run = json.loads(output.splitlines()[-1])
        seconds, peak = float(run["seconds"]), float(run["peak_mib"])
        first = first or {"seconds": seconds, "peak": peak}
        print(f"{size:>8} {run['method']:>12} {seconds:>8.2f} "
              f"{seconds / first['seconds']:>6.1f}x {1000 * seconds / size:>9.2f} "
              f"{peak:>9.1f} {peak / first['peak']:>5.2f}x {run['before_mib']:>10.1f} "
              f"{run['found']:>6}/{run['copies']:<6}"
              + (f" (+{run['others']} other pairs)" if run["others"] else ""))
    print("(peak MiB: the process's peak, the generated answers themselves included; "
          "cohort MiB: its peak before comparing)")


if __name__ == "__main__":
    main()
