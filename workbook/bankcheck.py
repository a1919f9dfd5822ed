"""Prove questions sound (PRODUCT.md decision 5) by grading them for real.

For each coding question, through the grading engine and its confined kernel:
the reference passes every hidden and public check, the starter fails at least one check,
and every decoy fails at least one hidden check. Discussion questions were already checked
when the bank loaded (their rubric is complete or the file is refused).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from grading.config import GradingConfig
from grading.errors import AnswerKeyError
from grading.judge import Observation
from grading.results import CheckResult, TaskResult
from grading.tasks import Answer
from workbook.model import Bank, Question
from workbook.tasks import task_for

REFERENCE = "reference"
STARTER = "starter"


@dataclass(frozen=True, kw_only=True)
class Proof:
    """One line of the bank check: a question, what was run as its answer, and the outcome."""

    question: str
    subject: str  # "reference", "starter" or "decoy <name>"
    ok: bool
    detail: str
    #: whether the candidate-visible checks passed (decoys ideally pass them)
    public_passed: bool


def _failed(checks: Sequence[CheckResult]) -> list[str]:
    return [check.name for check in checks if not check.passed]


def _raising_reference_checks(expected: dict[str, Observation]) -> list[str]:
    """Hidden checks whose reference observation is an exception. A check that raises on
    the reference proves little (a broken check raises the same way for every answer), so
    the bank asks authors to observe expected exceptions explicitly with try/except."""
    return [f"{name} ({seen.describe()})" for name, seen in expected.items()
            if seen.raised is not None]


def _judge(question: Question, subject: str, result: TaskResult,
           raising: Sequence[str] = ()) -> Proof:
    hidden_failed = _failed(result.checks)
    public_failed = _failed(result.public_checks)
    events = "; ".join(f"{e.kind.value}: {e.detail}" for e in result.events)
    if subject == REFERENCE:
        ok = not hidden_failed and not public_failed and not result.events and not raising
        first = next((c.message for c in (*result.checks, *result.public_checks)
                      if not c.passed), "")
        if raising and not hidden_failed:
            detail = (f"raises in {', '.join(raising)}: observe expected exceptions with "
                      "try/except so a broken check cannot pass")
        else:
            detail = "passes every check" if ok else (
                f"fails {', '.join(hidden_failed + public_failed) or 'nothing'}"
                f"{': ' + first if first else ''}{'; ' + events if events else ''}")
    elif subject == STARTER:
        ok = bool(hidden_failed or public_failed)
        detail = (f"fails {len(hidden_failed)} hidden and {len(public_failed)} public checks"
                  if ok else "passes every check: the starter must not")
    else:
        ok = bool(hidden_failed)
        detail = (f"caught by {', '.join(hidden_failed)}" if ok
                  else "passes every hidden check: add a check that catches it")
        if events:
            detail += f" ({events})"
    return Proof(question=question.id, subject=subject, ok=ok, detail=detail,
                 public_passed=not public_failed)


def _variants(question: Question) -> list[tuple[str, str]]:
    return [(REFERENCE, question.reference), (STARTER, question.starter),
            *[(f"decoy {decoy.name}", decoy.code) for decoy in question.decoys]]


def prove_questions(bank: Bank, question_ids: Sequence[str] | None = None, *,
                    config: GradingConfig | None = None, jobs: int = 2) -> Iterator[Proof]:
    """Yield one Proof per reference, starter and decoy of each selected coding question."""
    from grading.engine import Grader

    questions = [bank.get(qid) for qid in question_ids] if question_ids else list(
        bank.questions)
    for question in questions:
        if not question.is_coding:
            continue
        variants = _variants(question)
        items = [(index, [Answer(task_id=question.id, code=code)])
                 for index, (_, code) in enumerate(variants)]
        proofs: dict[int, Proof] = {}
        try:
            with Grader([task_for(question)], config=config or GradingConfig()) as grader:
                raising = _raising_reference_checks(grader.expected(question.id))
                for index, results in grader.grade_many(items, jobs=jobs):
                    subject = variants[index][0]
                    proofs[index] = _judge(question, subject, results[0],
                                           raising if subject == REFERENCE else ())
        except AnswerKeyError as error:
            # The reference cannot even build the answer key: one failed proof, go on.
            yield Proof(question=question.id, subject=REFERENCE, ok=False,
                        detail=error.problem if error.check == "(answer cell)"
                        else f"check {error.check}: {error.problem}", public_passed=False)
            continue
        yield from (proofs[index] for index in sorted(proofs))
