"""Run a question's public and hidden checks on the candidate's current answer.

The answer runs in a confined kernel started by the grading engine for this one run, never
in the interviewer's kernel: the candidate's code cannot see the rubric, the gradebook or
the interviewer's variables, and a runaway answer costs only that kernel.
"""

from __future__ import annotations

from datetime import datetime

from workbook.errors import SessionError
from workbook.live.answers import SavedAnswer
from workbook.live.state import LiveVerdict
from workbook.model import Question


def run_checks(question: Question, answer: SavedAnswer) -> LiveVerdict:
    """Grade `answer` against every check of `question`; a failing answer is a verdict."""
    from grading.config import GradingConfig
    from grading.engine import Grader
    from grading.errors import GradingError
    from grading.tasks import Answer
    from workbook.tasks import task_for

    if not question.is_coding:
        raise SessionError(f"'{question.id}' is a discussion question: it has no checks")
    task = task_for(question)
    try:
        with Grader([task], config=GradingConfig()) as grader:
            (result,) = grader.grade([Answer(task_id=task.id, code=answer.code,
                                             cell_id=answer.cell_id)])
    except GradingError as exc:
        raise SessionError(f"checks for '{question.id}' could not run: {exc}") from None
    return LiveVerdict(result=result, ran_at=datetime.now().astimezone().isoformat(
        timespec="seconds"), answer_source=str(answer.notebook),
        answer_saved_at=answer.saved_at.isoformat(timespec="seconds"))
