"""How the cost of comparing answers grows with the cohort: 100, 1,000 and 10,000 answers.

    .venv/bin/python bench/similarity_bench.py [--sizes 100,1000,10000] [--seed N]

Each cohort answers the shipped bank's ds-merge-intervals with generated programs
(`tests/similarity/generated.py`: independent answers from a small grammar, one in twenty
a disguised copy of an earlier one). Each run is timed end to end through
`compare_question` (fingerprints, subtraction of the given code, pairs, known sources);
every figure is printed as seconds (the best of --repeat runs for cohorts under 10,000,
since the machine is shared) and as a ratio to the first size's, with seconds per answer
and how many of the planted copies were found. Scoring every pair would grow with the square
of the cohort (x10,000 from 100 to 10,000); MinHash LSH keeps it near x100.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.similarity.generated import cohort  # noqa: E402
from workbook.bank import SHIPPED_BANK, load_bank  # noqa: E402
from workbook.similarity.compare import compare_question  # noqa: E402
from workbook.similarity.sources import known_sources, shared_kgrams  # noqa: E402

QUESTION = "ds-merge-intervals"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,1000,10000")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=3,
                        help="runs per size under 10,000 answers; the best is kept")
    args = parser.parse_args()
    import datasketch  # noqa: F401  (imported once, before any timing: ~1-6 s here)

    question = load_bank(SHIPPED_BANK).get(QUESTION)
    known = known_sources(question, QUESTION, None)
    baseline = None
    print(f"{'answers':>8} {'method':>12} {'seconds':>8} {'ratio':>7} {'ms/answer':>9} "
          f"{'copies found':>13}")
    for size in (int(s) for s in args.sizes.split(",")):
        answers, copies = cohort(size, seed=args.seed)
        seconds = float("inf")
        for _ in range(args.repeat if size < 10_000 else 1):
            started = time.perf_counter()
            result = compare_question(QUESTION, answers, known, shared_kgrams(question))
            seconds = min(seconds, time.perf_counter() - started)
        baseline = baseline or seconds
        found = {frozenset((p.left.owner, p.right.owner)) for p in result.pairs
                 if p.right.kind == "candidate"}
        print(f"{size:>8} {result.method:>12} {seconds:>8.2f} {seconds / baseline:>6.1f}x "
              f"{1000 * seconds / size:>9.2f} "
              f"{len(found & copies):>6}/{len(copies):<6}"
              + (f" (+{len(found - copies)} other pairs)" if found - copies else ""))


if __name__ == "__main__":
    main()
