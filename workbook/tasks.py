"""Turn coding questions into what the grading engine needs, and nothing more."""

from __future__ import annotations

from collections.abc import Iterable

from grading.tasks import Check, Task
from workbook.generated.checks import property_check
from workbook.model import Question


def task_for(question: Question, *, reference: str | None = None) -> Task:
    """The grading task of one coding question: its hidden checks, then one check per
    generated-input property. `reference` replaces the question's own (mutants, accepted
    alternatives: the answer key is then what that code observes)."""
    if not question.is_coding:
        raise ValueError(f"{question.id} is a discussion question; it has nothing to grade")
    hidden = tuple(Check(name=c.name, code=c.code, points=c.points, description=c.description,
                         exact_types=c.exact_types) for c in question.hidden_checks)
    return Task(
        id=question.id,
        reference=question.reference if reference is None else reference,
        starter=question.starter,
        hidden_checks=hidden + tuple(property_check(question, p) for p in question.properties),
        public_checks=question.public_checks,
        check_setup=question.check_setup,
        timeout=question.timeout,
    )


def tasks_for(questions: Iterable[Question]) -> list[Task]:
    """Grading tasks for the coding questions among `questions`, in order."""
    return [task_for(q) for q in questions if q.is_coding]
