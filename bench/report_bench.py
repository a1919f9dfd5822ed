"""How much the report stage adds to grading: seconds per candidate, against grading alone.

    .venv/bin/python bench/report_bench.py [--candidates N] [--kernel-sample K] [--jobs J]

Writes N returned copies of the shipped junior workbook (each coding answer the reference,
a decoy or the starter, in rotation), grades them with `workbook.grade` (results files
only), then, in the same run and on the same gradebook:

- inline: graded copies (notebook + HTML) for all N from the papermill template
  (`prepare_only` plus pre-computed outputs), rendered in this process (serial) and by one
  worker process per core (parallel); then the cohort page, CSV/JSON and ATS exports;
- kernel: K graded copies by papermill executing the template in a fresh kernel each,
  the alternative the inline way is weighed against.

Every figure is printed as seconds per candidate and as a ratio to grading's.
"""

from __future__ import annotations

import argparse
import json
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--candidates", type=int, default=20)
    parser.add_argument("--kernel-sample", type=int, default=2)
    parser.add_argument("--jobs", type=int, default=None)
    args = parser.parse_args()

    from grading.gradebook import Gradebook
    from workbook.grade import RESULTS_ONLY, grade_submissions
    from workbook.report.from_gradebook import load_reports
    from workbook.report.graded_copy import CopySettings, execute_copy
    from workbook.report.stage import bank_folder, write_copies, write_reports

    bank = load_bank()
    n = args.candidates
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        write_submissions(bank, root / "returned", n)
        outdir = root / "out"

        started = time.perf_counter()
        grade_submissions(bank, [root / "returned"], outdir=outdir, jobs=args.jobs,
                          progress=False, after=RESULTS_ONLY)
        grading = time.perf_counter() - started

        with Gradebook.open(outdir / "gradebook.sqlite") as gradebook:
            reports = load_reports(gradebook, bank)
            settings = CopySettings(gradebook=gradebook.url, date="2030-01-02",
                                    bank=bank_folder(bank))
            timed = {}
            for label, jobs in (("serial", 1), ("parallel", None)):
                started = time.perf_counter()
                written = write_copies(reports, outdir / label, settings, jobs=jobs,
                                       progress=False)
                timed[label] = (time.perf_counter() - started) / n
                assert len(written) == n

            started = time.perf_counter()
            write_reports(gradebook, bank, outdir / "cohort-only", copies=False,
                          progress=False)
            cohort_only = time.perf_counter() - started

            sample = reports[: args.kernel_sample]
            started = time.perf_counter()
            for report in sample:
                execute_copy(report, outdir / "kernel", settings)
            kernel = (time.perf_counter() - started) / max(len(sample), 1)

    per_grading = grading / n
    print(f"candidates: {n} (shipped junior workbook, {args.jobs or 'all'} cores for grading)")
    print(f"grading alone:                {per_grading:7.3f} s/candidate  (1.00x)")
    for label, seconds in timed.items():
        print(f"graded copies, inline {label:8} {seconds:7.3f} s/candidate  "
              f"({seconds / per_grading:.2f}x grading)")
    print(f"cohort page + CSV/JSON + ATS: {cohort_only / n:7.3f} s/candidate  "
          f"({cohort_only / n / per_grading:.2f}x grading; {cohort_only:.2f} s in all)")
    best = min(timed.values())
    print(f"graded copies, kernel:        {kernel:7.3f} s/candidate  "
          f"({kernel / per_grading:.2f}x grading; {kernel / best:.0f}x inline) "
          f"[{len(sample)} sampled]")


if __name__ == "__main__":
    main()
