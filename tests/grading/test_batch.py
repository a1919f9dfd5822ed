"""The batch loop on real kernels: grouping, duplicates, failures that the next run retries."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from grading.batch import Prepared, grade_batch
from grading.config import GradingConfig
from grading.gradebook import Gradebook
from grading.results import SubmissionStatus
from grading.submission import NotebookFile, Refusal
from grading.tasks import Check
from tests.grading.notebooks import Kept, workbook_json, write
from workbook.grade import preparer
from workbook.model import Bank

CLAMP = "def clamp(value, low, high):\n    if low > high:\n        raise ValueError(low)\n" \
        "    return max(low, min(value, high))\n"
DEDUPE = "def dedupe(items):\n    return list(dict.fromkeys(items))\n"
CONFIG = GradingConfig(timeout=10)


@pytest.fixture
def gradebook(tmp_path: Path) -> Gradebook:
    book = Gradebook.open(tmp_path / "gb.sqlite")
    yield book  # type: ignore[misc]
    book.close()


def test_an_engine_failure_marks_submissions_failed_and_the_next_run_grades_them(
        grading_bank: Bank, gradebook: Gradebook, tmp_path: Path) -> None:
    path = write(tmp_path / "ada.ipynb", workbook_json(
        grading_bank, list(grading_bank.questions),
        answers={"clamp-value": CLAMP, "dedupe-keep-order": DEDUPE}))
    prepare = preparer(grading_bank)

    def with_broken_reference(notebook: NotebookFile) -> Prepared | Refusal:
        prepared = prepare(notebook)
        assert isinstance(prepared, Prepared)
        # a check whose reference observation is not plain data: the key cannot be built
        broken = replace(prepared.tasks[0],
                         hidden_checks=(Check(name="opaque", code="object()", points=1),))
        return replace(prepared, tasks=(broken, *prepared.tasks[1:]))

    kept_first, kept_second = Kept(), Kept()
    first = grade_batch([path], prepare=with_broken_reference, gradebook=gradebook,
                        config=CONFIG, jobs=1, progress=False, on_result=kept_first)
    second = grade_batch([path], prepare=prepare, gradebook=gradebook, config=CONFIG,
                         jobs=1, progress=False, on_result=kept_second)

    [failed] = kept_first.results
    assert first.count(SubmissionStatus.FAILED) == 1
    assert failed.status is SubmissionStatus.FAILED
    assert "retried on the next run" in failed.events[-1].detail
    assert (second.graded, second.skipped) == (1, 0)
    assert kept_second.results[0].points == 8


def test_notebooks_built_for_different_questions_are_graded_in_one_batch(
        grading_bank: Bank, gradebook: Gradebook, tmp_path: Path) -> None:
    clamp_only = [grading_bank.get("clamp-value")]
    both = [grading_bank.get("clamp-value"), grading_bank.get("dedupe-keep-order")]
    paths = [write(tmp_path / "one.ipynb", workbook_json(grading_bank, clamp_only,
                                                         answers={"clamp-value": CLAMP})),
             write(tmp_path / "two.ipynb", workbook_json(
                 grading_bank, both, answers={"clamp-value": CLAMP, "dedupe-keep-order": DEDUPE}))]

    report = grade_batch(paths, prepare=preparer(grading_bank), gradebook=gradebook,
                         config=CONFIG, jobs=2, progress=False, on_result=(kept := Kept()))

    assert report.graded == 2
    assert [(r.candidate, r.points, r.max_points) for r in kept.results] == [
        ("one", 4, 4), ("two", 8, 8)]


def test_the_same_file_named_twice_is_graded_once(grading_bank: Bank, gradebook: Gradebook,
                                                  tmp_path: Path) -> None:
    path = write(tmp_path / "ada.ipynb", workbook_json(
        grading_bank, list(grading_bank.questions), answers={"clamp-value": CLAMP}))

    report = grade_batch([path, path], prepare=preparer(grading_bank), gradebook=gradebook,
                         config=CONFIG, jobs=1, progress=False, on_result=(kept := Kept()))

    assert (report.graded, report.submissions, len(kept.results)) == (1, 1, 1)


def test_a_notebook_of_discussion_questions_only_is_graded_without_a_kernel(
        grading_bank: Bank, gradebook: Gradebook, tmp_path: Path) -> None:
    path = write(tmp_path / "talker.ipynb",
                 workbook_json(grading_bank, [grading_bank.get("logging-levels")]))

    report = grade_batch([path], prepare=preparer(grading_bank), gradebook=gradebook,
                         config=CONFIG, jobs=1, progress=False, on_result=(kept := Kept()))

    [result] = kept.results
    assert report.submissions == 1
    assert (result.status, result.tasks) == (SubmissionStatus.GRADED, ())


def test_a_notebook_naming_questions_the_bank_lacks_is_refused(
        grading_bank: Bank, gradebook: Gradebook, tmp_path: Path) -> None:
    data = workbook_json(grading_bank, list(grading_bank.questions))
    data["metadata"]["workbook"]["questions"].append("no-such-question")
    path = write(tmp_path / "odd.ipynb", data)

    report = grade_batch([path], prepare=preparer(grading_bank), gradebook=gradebook,
                         config=CONFIG, jobs=1, progress=False, on_result=(kept := Kept()))

    [result] = kept.results
    assert report.submissions == 1
    assert result.status is SubmissionStatus.REFUSED
    assert "not in the bank 'grading test bank' (no-such-question)" in result.events[0].detail


def test_a_notebook_from_another_bank_version_is_graded_with_a_note(
        grading_bank: Bank, gradebook: Gradebook, tmp_path: Path) -> None:
    data = workbook_json(grading_bank, list(grading_bank.questions))
    data["metadata"]["workbook"]["bank_version"] = "0+older"
    path = write(tmp_path / "old.ipynb", data)

    report = grade_batch([path], prepare=preparer(grading_bank), gradebook=gradebook,
                         config=CONFIG, jobs=1, progress=False, on_result=(kept := Kept()))

    [result] = kept.results
    assert report.submissions == 1
    assert result.status is SubmissionStatus.GRADED
    assert any("built from bank version 0+older" in e.detail for e in result.events)


def test_the_progress_bar_goes_to_stderr_with_a_rate_and_time_left(
        grading_bank: Bank, gradebook: Gradebook, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    paths = [write(tmp_path / f"c{i}.ipynb", workbook_json(
        grading_bank, list(grading_bank.questions), answers={"clamp-value": CLAMP}))
        for i in range(2)]

    grade_batch(paths, prepare=preparer(grading_bank), gradebook=gradebook, config=CONFIG,
                jobs=1, progress=True)

    captured = capsys.readouterr()
    assert captured.out == ""
    assert "grading: 100%" in captured.err
    assert "2/2 [" in captured.err  # elapsed<remaining, rate
    assert "notebook/s]" in captured.err or "s/notebook]" in captured.err


def test_a_rerun_matches_only_the_notebooks_the_gradebook_does_not_hold(
        grading_bank: Bank, gradebook: Gradebook, tmp_path: Path) -> None:
    prepare = preparer(grading_bank)
    matched: list[str] = []

    def counting(notebook: NotebookFile) -> Prepared | Refusal:
        matched.append(notebook.source)
        return prepare(notebook)

    first = write(tmp_path / "ada.ipynb", workbook_json(
        grading_bank, list(grading_bank.questions), answers={"clamp-value": CLAMP}))
    grade_batch([first], prepare=counting, gradebook=gradebook, config=CONFIG, jobs=1,
                progress=False)
    second = write(tmp_path / "ben.ipynb", workbook_json(
        grading_bank, list(grading_bank.questions), answers={"dedupe-keep-order": DEDUPE}))
    matched.clear()

    report = grade_batch([first, second], prepare=counting, gradebook=gradebook,
                         config=CONFIG, jobs=1, progress=False, on_result=(kept := Kept()))

    assert matched == [str(second)]
    assert (report.graded, report.skipped) == (1, 1)
    assert [r.candidate for r in kept.results] == ["ada", "ben"]
    assert kept.results[0].points == 4


def test_a_rerun_skips_an_old_format_notebook_it_graded_and_reports_its_result(
        grading_bank: Bank, gradebook: Gradebook, tmp_path: Path) -> None:
    import nbformat

    data = workbook_json(grading_bank, list(grading_bank.questions),
                         answers={"clamp-value": CLAMP, "dedupe-keep-order": DEDUPE})
    path = tmp_path / "old.ipynb"
    path.write_text(nbformat.writes(nbformat.convert(nbformat.from_dict(data), 3)),
                    encoding="utf-8")
    prepare = preparer(grading_bank)
    first = grade_batch([path], prepare=prepare, gradebook=gradebook, config=CONFIG, jobs=1,
                        progress=False, on_result=(kept_first := Kept()))

    again = grade_batch([path], prepare=prepare, gradebook=gradebook, config=CONFIG, jobs=1,
                        progress=False, on_result=(kept_again := Kept()))

    assert (first.graded, again.graded, again.skipped) == (1, 0, 1)
    [before], [after] = kept_first.results, kept_again.results
    assert after.points == before.points == 8
    assert after.content_hash == before.content_hash


@pytest.mark.parametrize("at_once", [1, 2, 200])
def test_a_rerun_reports_every_known_file_at_its_place_whatever_it_reads_at_once(
        grading_bank: Bank, gradebook: Gradebook, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch, at_once: int) -> None:
    import grading.batch

    talk = [grading_bank.get("logging-levels")]
    paths = [write(tmp_path / f"{name}.ipynb", workbook_json(grading_bank, talk))
             for name in ("ann", "bob", "cy", "di", "ed")]
    grade_batch(paths[:2] + paths[3:], prepare=preparer(grading_bank), gradebook=gradebook,
                config=CONFIG, jobs=1, progress=False)
    monkeypatch.setattr(grading.batch, "KNOWN_READ_AT_ONCE", at_once)

    report = grade_batch(paths, prepare=preparer(grading_bank), gradebook=gradebook,
                         config=CONFIG, jobs=1, progress=False, on_result=(kept := Kept()))

    assert (report.submissions, report.skipped, report.graded) == (5, 4, 1)
    assert [r.candidate for r in kept.results] == ["ann", "bob", "cy", "di", "ed"]
    assert all(r.status is SubmissionStatus.GRADED for r in kept.results)


def test_a_file_that_changes_before_its_task_sets_turn_is_an_error_a_rerun_grades(
        grading_bank: Bank, gradebook: Gradebook, tmp_path: Path) -> None:
    clamp_only = [grading_bank.get("clamp-value")]
    both = [grading_bank.get("clamp-value"), grading_bank.get("dedupe-keep-order")]
    one = write(tmp_path / "one.ipynb", workbook_json(grading_bank, clamp_only,
                                                      answers={"clamp-value": CLAMP}))
    two = write(tmp_path / "two.ipynb", workbook_json(grading_bank, both,
                                                      answers={"clamp-value": CLAMP}))
    prepare = preparer(grading_bank)
    edited: list[str] = []

    def edits_two_once_read(notebook: NotebookFile) -> Prepared | Refusal:
        prepared = prepare(notebook)
        if notebook.candidate == "two" and not edited:  # its set waits for the first's
            write(two, workbook_json(grading_bank, both, answers={
                "clamp-value": CLAMP, "dedupe-keep-order": DEDUPE}))
            edited.append(notebook.source)
        return prepared

    first = grade_batch([one, two], prepare=edits_two_once_read, gradebook=gradebook,
                        config=CONFIG, jobs=1, progress=False, on_result=(kept := Kept()))
    again = grade_batch([one, two], prepare=prepare, gradebook=gradebook, config=CONFIG,
                        jobs=1, progress=False, on_result=(kept_again := Kept()))

    assert [(r.candidate, r.status) for r in kept.results] == [
        ("one", SubmissionStatus.GRADED), ("two", SubmissionStatus.ERROR)]
    assert "changed while the batch was being graded" in kept.results[1].reason
    assert (first.graded, again.skipped, again.graded) == (1, 1, 1)
    assert kept_again.results[1].points == 8
