"""Answers read as plain rows (`Gradebook.iter_answers`): those of `iter_results`, in order."""

from __future__ import annotations

from dataclasses import replace

from grading.gradebook import Gradebook
from grading.results import SubmissionResult, SubmissionStatus
from tests.grading.test_gradebook import gradebook, graded

__all__ = ["gradebook"]  # a fixture, used by name

# answers a query could trip on: placeholders, quotes, percent signs, non-ASCII, empty
ODD = ("x = '?' if a % 2 else \"%s\"", "", "print('é ☃ 你好')\n" * 3, "-- ; DROP TABLE x")


def _recorded(book: Gradebook) -> None:
    for i, answer in enumerate(ODD):
        base = graded(candidate=f"cand-{i}", content_hash=f"h-{i}")
        tasks = tuple(replace(task, answer=answer + task.answer) for task in base.tasks)
        book.record_submission(replace(base, tasks=tasks), workbook_meta={})
    # one candidate with two files, one of them refused (no questions), and a regrade
    book.record_submission(replace(graded(candidate="cand-1", content_hash="h-1b"),
                                   source="in/cand-1-again.ipynb"), workbook_meta={})
    book.record_submission(SubmissionResult(candidate="cand-2", source="in/cand-2-bad.ipynb",
                                            content_hash="h-2b",
                                            status=SubmissionStatus.REFUSED),
                           workbook_meta={})
    book.record_submission(graded(candidate="cand-3", content_hash="h-3", points=4),
                           workbook_meta={})


def test_answers_as_rows_are_every_results_answers_in_the_same_order(
        gradebook: Gradebook) -> None:
    _recorded(gradebook)
    expected = []
    for result in gradebook.iter_results():
        expected += [(result.candidate, result.source, task.task_id, task.answer)
                     for task in result.tasks] or [(result.candidate, result.source, None,
                                                    None)]
    assert list(gradebook.iter_answers(page=2)) == expected
    assert list(gradebook.iter_answers()) == expected
    assert ("cand-2", "in/cand-2-bad.ipynb", None, None) in expected
