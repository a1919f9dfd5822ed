"""Prove questions sound (PRODUCT.md decision 5) by grading them for real.

For each coding question, through the grading engine and its confined kernel:
the reference passes every hidden and public check, the starter fails at least one check,
every decoy fails at least one hidden check or property, and every accepted alternative
passes everything the reference passes (its properties compare it with the reference on
the generated inputs, so a disagreement there is a bank error). With `repeat`, every
subject is graded that many times on more kernels than there are cores, and a verdict
that differs between runs fails the proof. With `mutants`, the question's mutation proof
(workbook/mutation) runs on the same Grader. Discussion questions were already checked
when the bank loaded (their rubric is complete or the file is refused).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from grading.config import GradingConfig
from grading.engine import Grader
from grading.errors import AnswerKeyError, GradingError
from grading.judge import Observation
from grading.results import CheckResult, TaskResult
from grading.tasks import Answer
from workbook.model import Bank, Question
from workbook.tasks import task_for

REFERENCE = "reference"
STARTER = "starter"
ALTERNATIVE = "alternative "


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
    elif subject.startswith(ALTERNATIVE):
        ok = not hidden_failed and not public_failed and not result.events
        rejection = next((c.message for c in (*result.checks, *result.public_checks)
                          if not c.passed), events)
        detail = "accepted: passes every check and agrees with the reference" if ok else (
            f"rejected by {', '.join(hidden_failed + public_failed) or 'an event'}: "
            f"{rejection} (a bank error: the reference or the "
            "alternative is wrong, or a check rejects a fair answer)")
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
            *[(f"decoy {decoy.name}", decoy.code) for decoy in question.decoys],
            *[(f"{ALTERNATIVE}{alt.name}", alt.code) for alt in question.alternatives]]


def _verdicts(result: TaskResult) -> tuple[tuple[str, bool], ...]:
    return tuple((c.name, c.passed) for c in (*result.checks, *result.public_checks))


def _unsteady(runs: Sequence[TaskResult]) -> str:
    """Which checks changed verdict between repeated runs of one subject, or ''."""
    if len({_verdicts(run) for run in runs}) <= 1:
        return ""
    changed = []
    for position, (name, _) in enumerate(_verdicts(runs[0])):
        passes = sum(_verdicts(run)[position][1] for run in runs)
        if 0 < passes < len(runs):
            changed.append(f"{name} passed {passes} of {len(runs)} runs")
    return "verdict depends on scheduling: " + "; ".join(changed)


def load_jobs(jobs: int, repeat: int) -> int:
    """Kernels at once: with repeats, more kernels than cores, so runs contend for them
    and a verdict that depends on scheduling shows."""
    return max(jobs, 2 * (os.cpu_count() or 1)) if repeat > 1 else jobs


#: called with each question and its open Grader after its proofs (the mutation proof)
AfterProofs = Callable[[Question, Grader], None]


def prove_questions(bank: Bank, question_ids: Sequence[str] | None = None, *,
                    config: GradingConfig | None = None, jobs: int = 2, repeat: int = 1,
                    after: AfterProofs | None = None) -> Iterator[Proof]:
    """Yield one Proof per reference, starter, decoy and alternative of each selected
    coding question; each graded `repeat` times (see the module docstring)."""
    questions = [bank.get(qid) for qid in question_ids] if question_ids else list(
        bank.questions)
    for question in questions:
        if not question.is_coding:
            continue
        variants = _variants(question)
        items = [((index, run), [Answer(task_id=question.id, code=code)])
                 for run in range(repeat) for index, (_, code) in enumerate(variants)]
        runs: dict[int, list[TaskResult]] = {}
        try:
            # verdicts are what a proof needs: the counterexamples are not shrunk
            chosen = config or GradingConfig(shrink_counterexamples=False)
            with Grader([task_for(question)], config=chosen) as grader:
                raising = _raising_reference_checks(grader.expected(question.id))
                for (index, _), results in grader.grade_many(items,
                                                             jobs=load_jobs(jobs, repeat)):
                    if isinstance(results, GradingError):
                        raise results
                    runs.setdefault(index, []).append(results[0])
                proofs = [_judge(question, variants[index][0], runs[index][0],
                                 raising if variants[index][0] == REFERENCE else ())
                          for index in sorted(runs)]
                for index, proof in enumerate(proofs):
                    unsteady = _unsteady(runs[index])
                    if unsteady:
                        proofs[index] = Proof(question=proof.question, subject=proof.subject,
                                              ok=False, detail=unsteady,
                                              public_passed=proof.public_passed)
                yield from proofs
                if after is not None:
                    after(question, grader)
        except AnswerKeyError as error:
            # The reference cannot even build the answer key: one failed proof, go on.
            yield Proof(question=question.id, subject=REFERENCE, ok=False,
                        detail=error.problem if error.check == "(answer cell)"
                        else f"check {error.check}: {error.problem}", public_passed=False)
            continue
