"""A real graded cohort for the report suites: three returned notebooks, graded for real.

- `ada`: correct answers, with saved outputs (one of them HTML that fetches from the web),
  and a live interview that scored the discussion question;
- `ben`: a partial answer to each coding question;
- `cleo`: a running total that never returns (a timeout) and a correct division;
- `dora`: a file cut short, which is refused.

They are graded by `workbook grade` (real kernels, a real SQLite gradebook, graded copies
and cohort report included); the interview is recorded afterwards, and `rendered`
renders the reports again with it, on a fixed date.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from grading.gradebook import Gradebook
from workbook.bank import load_bank
from workbook.live.store import open_live, set_field
from workbook.model import Bank, Level
from workbook.notebook import ROLE_ANSWER, BuildOptions, build_notebook, cell_id

REPORT_BANK = Path(__file__).resolve().parent / "bank"
REPORT_DATE = "2030-01-02"
SESSION = "panel-2030-01-02"

CORRECT = {
    "running-total": "from itertools import accumulate\n\n\ndef running_total(numbers):\n"
                     "    return list(accumulate(numbers))\n",
    "safe-divide": "def safe_divide(a, b):\n    if b == 0:\n        return None\n"
                   "    return a / b\n",
}
PARTIAL = {
    "running-total": "def running_total(numbers):\n    out, total = [], 0\n"
                     "    for i in range(len(numbers)):\n        total += numbers[i]\n"
                     "        out.append(total)\n    return out\n",
    "safe-divide": "def safe_divide(a, b):\n    return a / b\n",
}
FAULTY = {
    "running-total": "def running_total(numbers):\n    while True:\n        pass\n",
    "safe-divide": CORRECT["safe-divide"],
}
#: ada's saved outputs: text the copy must show, and HTML it must not carry
ADA_STDOUT = "checked by hand: [1, 3, 6]\n"
HOSTILE_HTML = '<img src="https://tracker.example/pixel.png">'


@dataclass(frozen=True)
class GradedCohort:
    bank: Bank
    outdir: Path
    gradebook_path: Path
    submissions: Path

    def gradebook(self) -> Gradebook:
        return open_live(str(self.gradebook_path))


def returned_notebook(bank: Bank, answers: dict[str, str], candidate: str) -> dict[str, Any]:
    import nbformat

    nb = build_notebook(bank, list(bank.questions), BuildOptions(level=Level.JUNIOR))
    data: dict[str, Any] = json.loads(nbformat.writes(nb))
    data["metadata"]["workbook"]["candidate"] = candidate
    for question_id, code in answers.items():
        answer_cell(data, question_id)["source"] = code
    return data


def answer_cell(data: dict[str, Any], question_id: str) -> dict[str, Any]:
    wanted = cell_id(question_id, ROLE_ANSWER)
    found: dict[str, Any] = next(c for c in data["cells"] if c.get("id") == wanted)
    return found


def write_submissions(bank: Bank, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    ada = returned_notebook(bank, CORRECT, "ada")
    answer_cell(ada, "running-total")["outputs"] = [
        {"output_type": "stream", "name": "stdout", "text": ADA_STDOUT},
        {"output_type": "display_data", "metadata": {},
         "data": {"text/html": HOSTILE_HTML, "text/plain": "<tracker>"}}]
    for name, data in (("ada", ada), ("ben", returned_notebook(bank, PARTIAL, "ben")),
                       ("cleo", returned_notebook(bank, FAULTY, "cleo"))):
        (folder / f"{name}.ipynb").write_text(json.dumps(data, indent=1), encoding="utf-8")
    (folder / "dora.ipynb").write_text(json.dumps(ada)[:200], encoding="utf-8")
    return folder


def record_interview(gradebook: Gradebook) -> None:
    """What the live panel writes when ada's interviewer scores the discussion question."""
    fields = {"score": 3, "signal:0": True, "signal:1": False, "red_flag:1": True,
              "notes": "Explained definition-time evaluation; needed a hint for the fix."}
    for name, value in fields.items():
        set_field(gradebook, session=SESSION, candidate="ada", question="mutable-default",
                  field=name, value=value)


@pytest.fixture(scope="session")
def report_bank() -> Bank:
    return load_bank(REPORT_BANK)


@pytest.fixture(scope="session")
def graded_cohort(report_bank: Bank, tmp_path_factory: pytest.TempPathFactory
                  ) -> Iterator[GradedCohort]:
    from workbook.cli import main

    root = tmp_path_factory.mktemp("cohort")
    submissions = write_submissions(report_bank, root / "returned")
    outdir = root / "out"
    code = main(["grade", str(submissions), "-o", str(outdir), "--jobs", "2",
                 "--bank", str(REPORT_BANK)])
    assert code == 1, "dora's refusal makes `workbook grade` exit non-zero"
    cohort = GradedCohort(bank=report_bank, outdir=outdir,
                          gradebook_path=outdir / "gradebook.sqlite", submissions=submissions)
    with cohort.gradebook() as gradebook:
        record_interview(gradebook)
    yield cohort


@pytest.fixture(scope="session")
def rendered(graded_cohort: GradedCohort) -> GradedCohort:
    """The cohort with its graded copies, cohort report and exports written."""
    from workbook.report.stage import write_reports

    with graded_cohort.gradebook() as gradebook:
        write_reports(gradebook, graded_cohort.bank, graded_cohort.outdir, date=REPORT_DATE,
                      progress=False)
    return graded_cohort
