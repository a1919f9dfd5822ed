"""The shipped sample submissions: fresh, and each read the way its name says."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from grading.assignment import AssignmentState
from grading.batch import Prepared
from grading.gradebook import Gradebook
from grading.results import SubmissionStatus
from grading.submission import Refusal, read_notebook
from workbook.grade import grade_submissions, preparer
from workbook.issue import read_ledger, record_ledger
from workbook.model import Bank
from workbook.samples import (
    BROKEN_DIR,
    LEDGER,
    STRIPPED,
    SUBMISSIONS_DIR,
    sample_path,
    sample_questions,
    write_samples,
)

BANK_VERSION = re.compile(r'"bank_version": "[^"]*"')


@pytest.fixture(scope="module")
def issued(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gradebook]:
    """A gradebook that recorded the samples' ledger, as `workbook grade --issued` does."""
    with Gradebook.open(tmp_path_factory.mktemp("issued") / "gradebook.sqlite") as gradebook:
        record_ledger(gradebook, read_ledger(SUBMISSIONS_DIR.parent / LEDGER))
        yield gradebook


def prepared(bank: Bank, name: str, gradebook: Gradebook) -> Prepared | Refusal:
    notebook = read_notebook(sample_path(name))
    return notebook if isinstance(notebook, Refusal) else preparer(bank, gradebook)(notebook)


def notes_of(bank: Bank, name: str, gradebook: Gradebook) -> str:
    item = prepared(bank, name, gradebook)
    assert isinstance(item, Prepared), item
    return "\n".join(note.detail for note in (*item.notebook.notes, *item.notes))


def _without_bank_version(path: Path) -> str:
    # the version digests every question file, so an edit to a question the samples do not
    # use changes it; grading only notes such a mismatch, so it is not staleness
    return BANK_VERSION.sub('"bank_version": "*"', path.read_text(encoding="utf-8"))


def test_shipped_samples_are_what_the_generator_writes_now(shipped_bank: Bank,
                                                            tmp_path: Path) -> None:
    written = write_samples(tmp_path / "submissions", shipped_bank)
    fresh = {p.relative_to(tmp_path).as_posix(): _without_bank_version(p) for p in written}
    shipped = {p.relative_to(SUBMISSIONS_DIR.parent).as_posix(): _without_bank_version(p)
               for folder in (SUBMISSIONS_DIR, BROKEN_DIR) for p in folder.glob("*.ipynb")}
    shipped[LEDGER] = _without_bank_version(SUBMISSIONS_DIR.parent / LEDGER)

    assert shipped == fresh, "run `python -m workbook.samples` and commit the result"


def test_samples_hold_three_coding_questions_and_a_discussion_question(
        shipped_bank: Bank) -> None:
    kinds = [q.is_coding for q in sample_questions(shipped_bank)]

    assert sorted(kinds) == [False, True, True, True]


def test_the_correct_sample_names_its_candidate_and_has_no_tampering_notes(
        shipped_bank: Bank, issued: Gradebook) -> None:
    item = prepared(shipped_bank, "ada-correct.ipynb", issued)

    assert isinstance(item, Prepared)
    assert item.notebook.candidate == "ada@example.com"
    assert item.assignment is AssignmentState.VERIFIED
    # a bank edited since the samples were made adds a version note; the freshness test
    # above is the one that asks for regeneration
    assert [n.detail for n in item.notes if "bank version" not in n.detail] == []


def test_the_deleted_cell_sample_restores_the_first_answer(shipped_bank: Bank,
                                                           issued: Gradebook) -> None:
    first = next(q for q in sample_questions(shipped_bank) if q.is_coding)

    assert f"answer cell for {first.id} is missing (deleted)" in notes_of(
        shipped_bank, "dan-deleted-cell.ipynb", issued)


def test_the_removed_question_sample_is_graded_against_its_assignment(
        shipped_bank: Bank, issued: Gradebook) -> None:
    last = [q for q in sample_questions(shipped_bank) if q.is_coding][-1]
    item = prepared(shipped_bank, "jo-removed-question.ipynb", issued)

    assert isinstance(item, Prepared)
    assert item.assignment is AssignmentState.EDITED
    assert last.id in [task.id for task in item.tasks]
    assert "assignment edited" in notes_of(shipped_bank, "jo-removed-question.ipynb", issued)


def test_the_stripped_sample_is_graded_from_its_cells_unverified(shipped_bank: Bank,
                                                                 issued: Gradebook) -> None:
    item = prepared(shipped_bank, STRIPPED, issued)

    assert isinstance(item, Prepared)
    assert item.assignment is AssignmentState.NOT_VERIFIED
    assert "was stripped" in notes_of(shipped_bank, STRIPPED, issued)


@pytest.mark.parametrize("note", ["(duplicated)", "re-identified", "not in the order",
                                  "extra code cell", "public-check cell"])
def test_the_tampered_sample_carries_each_kind_of_tampering(shipped_bank: Bank,
                                                            issued: Gradebook,
                                                            note: str) -> None:
    assert note in notes_of(shipped_bank, "eve-tampered.ipynb", issued)


def test_the_tampered_sample_still_answers_every_question_with_the_reference(
        shipped_bank: Bank, issued: Gradebook) -> None:
    item = prepared(shipped_bank, "eve-tampered.ipynb", issued)

    assert isinstance(item, Prepared)
    assert [a.code.strip() for a in item.answers] == [
        shipped_bank.get(a.task_id).reference.strip() for a in item.answers]


def test_the_nbformat_3_sample_is_converted(shipped_bank: Bank, issued: Gradebook) -> None:
    assert "saved in nbformat 3" in notes_of(shipped_bank, "finn-nbformat3.ipynb", issued)


@pytest.mark.parametrize(("name", "reason"), [
    ("hana-truncated.ipynb", "is not valid JSON"),
    ("ivan-foreign.ipynb", "was not built by workbook"),
])
def test_the_broken_samples_are_refused(shipped_bank: Bank, issued: Gradebook, name: str,
                                        reason: str) -> None:
    item = prepared(shipped_bank, name, issued)

    assert isinstance(item, Refusal)
    assert reason in item.reason


def test_the_shipped_samples_grade_as_their_names_say(shipped_bank: Bank,
                                                      tmp_path: Path) -> None:
    run = grade_submissions(shipped_bank, [SUBMISSIONS_DIR, BROKEN_DIR], outdir=tmp_path,
                            after=(), issued=[SUBMISSIONS_DIR.parent / LEDGER],
                            progress=False)

    records = json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))
    assert len(records) == run.report.submissions
    by_file = {Path(r["source"]).name: r for r in records}
    points = {name: [q["points"] for q in r["questions"]] for name, r in by_file.items()}
    full = [q["max"] for q in by_file["ada-correct.ipynb"]["questions"]]
    assert points["ada-correct.ipynb"] == full
    assert 0 < by_file["ben-partial.ipynb"]["total"] < sum(full)
    assert all(p < m for p, m in zip(points["cleo-wrong.ipynb"], full, strict=True))
    assert points["dan-deleted-cell.ipynb"] == [0, *full[1:]]
    assert points["eve-tampered.ipynb"] == full
    assert points["finn-nbformat3.ipynb"] == full
    assert points["gus-forged.ipynb"] == [0, 0, 0]
    assert points["jo-removed-question.ipynb"] == [*full[:-1], 0]
    assert points[STRIPPED] == full
    states = {name: r["assignment"] for name, r in by_file.items()
              if r["status"] == SubmissionStatus.GRADED}
    assert states == {**dict.fromkeys(states, "verified"),
                      "jo-removed-question.ipynb": "edited", STRIPPED: "not verified"}
    assert by_file["hana-truncated.ipynb"]["status"] == SubmissionStatus.REFUSED
    assert by_file["ivan-foreign.ipynb"]["status"] == SubmissionStatus.REFUSED
