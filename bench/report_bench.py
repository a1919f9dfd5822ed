"""What reports add to grading, and what a rerun on a graded folder costs, as ratios.

    .venv/bin/python bench/report_bench.py [--candidates N] [--rounds R] [--jobs J]
                                           [--breakdown] [--kernel-sample K]

Writes N returned copies of the shipped junior workbook (each coding answer the reference,
a decoy or the starter, in rotation), then in the same run, R rounds each (medians):

- `workbook grade --no-report` and `workbook grade` (graded copies, their HTML, the cohort
  page and exports) on the same batch into fresh folders, as the commands a user runs:
  the reports-vs-no-reports ratio (issue 13 asks for at most 1.25x);
- `workbook grade` again on the folder it graded (nothing to grade, nothing to render),
  against `python -c pass` and `workbook --help`: the start-up of a rerun, as ratios and
  in seconds (the aim is under 0.5 s on an idle machine).

`--breakdown` adds the old per-part figures in-process: graded copies rendered serially
and by one worker per core, the cohort page with CSV/JSON/ATS, and K copies by papermill
running the template in a kernel each, all per candidate against grading alone.
The machine's load average is printed: every figure that matters is a ratio.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from workbook.bank import load_bank  # noqa: E402
from workbook.model import Bank, Level  # noqa: E402
from workbook.notebook import ROLE_ANSWER, BuildOptions, build_notebook, cell_id  # noqa: E402
from workbook.selection import select_questions  # noqa: E402


def write_submissions(bank: Bank, folder: Path, count: int) -> None:
    import nbformat

    questions = select_questions(bank, level=Level.JUNIOR)
    template = json.loads(nbformat.writes(build_notebook(bank, questions,
                                                         BuildOptions(level=Level.JUNIOR))))
    coding = [q for q in questions if q.is_coding]
    folder.mkdir(parents=True)
    for i in range(count):
        data = json.loads(json.dumps(template))
        data["metadata"]["workbook"]["candidate"] = f"candidate-{i:04d}"
        for j, question in enumerate(coding):
            choice = (i + j) % 3
            code = (question.reference, question.decoys[0].code, question.starter)[choice]
            for cell in data["cells"]:
                if cell.get("id") == cell_id(question.id, ROLE_ANSWER):
                    cell["source"] = code
        (folder / f"candidate-{i:04d}.ipynb").write_text(json.dumps(data), encoding="utf-8")


def _seconds(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   cwd=REPO)
    return time.perf_counter() - started


def _workbook(*args: str) -> list[str]:
    return [sys.executable, "-m", "workbook", *args]


def commands(root: Path, rounds: int, jobs: int | None) -> None:
    """The commands a user runs, timed in alternation so load drifts hit both alike."""
    returned = root / "returned"
    extra = ["--jobs", str(jobs)] if jobs else []
    plain: list[float] = []
    full: list[float] = []
    for i in range(rounds):
        plain.append(_seconds(_workbook("grade", str(returned), "-o", str(root / f"plain{i}"),
                                        "--no-report", *extra)))
        full.append(_seconds(_workbook("grade", str(returned), "-o", str(root / f"full{i}"),
                                       *extra)))
    graded_again = [_seconds(_workbook("grade", str(returned), "-o", str(root / "full0"),
                                       *extra)) for _ in range(max(rounds, 3))]
    bare = [_seconds([sys.executable, "-c", "pass"]) for _ in range(max(rounds, 3))]
    helped = [_seconds(_workbook("--help")) for _ in range(max(rounds, 3))]
    n = len(list(returned.glob("*.ipynb")))
    p, f = statistics.median(plain), statistics.median(full)
    again, b, h = (statistics.median(graded_again), statistics.median(bare),
                   statistics.median(helped))
    print(f"workbook grade --no-report:  {p:7.2f} s  {p / n:6.3f} s/candidate  (1.00x)")
    print(f"workbook grade (reports):    {f:7.2f} s  {f / n:6.3f} s/candidate  "
          f"({f / p:.2f}x --no-report; target <= 1.25x)")
    print(f"rerun on the graded folder:  {again:7.2f} s  "
          f"({again / b:.1f}x python -c pass at {b:.3f} s, {again / h:.1f}x workbook --help "
          f"at {h:.3f} s; target < 0.5 s idle)")


def breakdown(root: Path, n: int, jobs: int | None, kernel_sample: int) -> None:
    from grading.gradebook import Gradebook
    from workbook.grade import RESULTS_ONLY, grade_submissions
    from workbook.report.from_gradebook import load_reports
    from workbook.report.graded_copy import CopySettings, execute_copy
    from workbook.report.stage import bank_folder, write_copies, write_reports

    bank = load_bank()
    outdir = root / "out"
    started = time.perf_counter()
    grade_submissions(bank, [root / "returned"], outdir=outdir, jobs=jobs,
                      progress=False, after=RESULTS_ONLY)
    grading = time.perf_counter() - started

    with Gradebook.open(outdir / "gradebook.sqlite") as gradebook:
        reports = load_reports(gradebook, bank)
        settings = CopySettings(gradebook=gradebook.url, date="2030-01-02",
                                bank=bank_folder(bank))
        timed = {}
        for label, workers in (("serial", 1), ("parallel", None)):
            started = time.perf_counter()
            written = write_copies(reports, outdir / label, settings, jobs=workers,
                                   progress=False)
            timed[label] = (time.perf_counter() - started) / n
            assert written == n

        started = time.perf_counter()
        write_reports(gradebook, bank, outdir / "cohort-only", copies=False, progress=False)
        cohort_only = time.perf_counter() - started

        sample = reports[:kernel_sample]
        started = time.perf_counter()
        for report in sample:
            execute_copy(report, outdir / "kernel", settings)
        kernel = (time.perf_counter() - started) / max(len(sample), 1)

    per_grading = grading / n
    print(f"grading alone (in-process):   {per_grading:7.3f} s/candidate  (1.00x)")
    for label, seconds in timed.items():
        print(f"graded copies, inline {label:8} {seconds:7.3f} s/candidate  "
              f"({seconds / per_grading:.2f}x grading)")
    print(f"cohort page + CSV/JSON + ATS: {cohort_only / n:7.3f} s/candidate  "
          f"({cohort_only / n / per_grading:.2f}x grading; {cohort_only:.2f} s in all)")
    best = min(timed.values())
    print(f"graded copies, kernel:        {kernel:7.3f} s/candidate  "
          f"({kernel / per_grading:.2f}x grading; {kernel / best:.0f}x inline) "
          f"[{len(sample)} sampled]")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--candidates", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=None)
    parser.add_argument("--breakdown", action="store_true")
    parser.add_argument("--kernel-sample", type=int, default=2)
    args = parser.parse_args()

    n = args.candidates
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        write_submissions(load_bank(), root / "returned", n)
        print(f"candidates: {n} (shipped junior workbook), jobs: {args.jobs or 'all cores'}, "
              f"load average at start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
        commands(root, args.rounds, args.jobs)
        if args.breakdown:
            breakdown(root, n, args.jobs, args.kernel_sample)
        print(f"load average at end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
