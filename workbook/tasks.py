"""Turn coding questions into what the grading engine needs, and nothing more."""

from __future__ import annotations

from collections.abc import Iterable

from grading.tasks import Check, Task
from workbook.model import Question


def task_for(question: Question) -> Task:
    """The grading task of one coding question."""
    if not question.is_coding:
        raise ValueError(f"{question.id} is a discussion question; it has nothing to grade")
    return Task(
        id=question.id,
        reference=question.reference,
        starter=question.starter,
        hidden_checks=tuple(Check(name=c.name, code=c.code, points=c.points,
                                  description=c.description) for c in question.hidden_checks),
        public_checks=question.public_checks,
        check_setup=question.check_setup,
        timeout=question.timeout,
    )


def tasks_for(questions: Iterable[Question]) -> list[Task]:
    """Grading tasks for the coding questions among `questions`, in order."""
    return [task_for(q) for q in questions if q.is_coding]
