"""Grade every mutant of a question's reference against its hidden checks and properties.

All mutants of one question share one Grader: one zygote (the started, warmed kernel with
every check compiled) and one answer key, and each mutant runs in a child forked from it,
`jobs` at a time, so a mutant costs a fork and its checks, not a kernel start. The Grader
stops a mutant's checks at the first that faults: a mutant that loops forever costs one
timeout, not one per check. A mutant is killed when any hidden check or property fails,
or its answer cell faults; a surviving mutant is explained when the question records it
as equivalent, with a reason.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field

from grading.config import GradingConfig
from grading.engine import Grader
from grading.errors import GradingError
from grading.results import TaskResult
from grading.tasks import Answer
from workbook.model import Question
from workbook.mutation.operators import Mutant, mutants
from workbook.tasks import task_for


@dataclass(frozen=True, kw_only=True)
class MutationReport:
    """The mutation proof of one question."""

    question: str
    mutants: int
    killed: int
    #: surviving mutants the question records as equivalent
    equivalent: tuple[Mutant, ...] = ()
    #: surviving mutants nobody explained: each needs a check, or a reason
    survivors: tuple[Mutant, ...] = ()
    #: ids recorded as equivalent that no surviving mutant has (killed now, or gone)
    stale: tuple[str, ...] = ()
    #: mutant id -> the check that killed it (first failed), for reports
    killed_by: dict[str, str] = field(default_factory=dict)

    @property
    def score(self) -> float:
        """Killed among the mutants that can be killed at all."""
        killable = self.mutants - len(self.equivalent)
        return 1.0 if killable == 0 else self.killed / killable

    @property
    def ok(self) -> bool:
        return not self.survivors and not self.stale


def _killer(result: TaskResult) -> str | None:
    """The first check a mutant failed (an answer cell that faults fails them all), or
    None if it passed every check."""
    return next((c.name for c in result.checks if not c.passed), None)


def prove_mutants(question: Question, *, config: GradingConfig | None = None,
                  jobs: int = 2) -> MutationReport:
    """Grade each mutant of `question`'s reference; see MutationReport."""
    stopping = dataclasses.replace(config or GradingConfig(), stop_task_after_fault=True,
                                   shrink_counterexamples=False)
    with Grader([task_for(question)], config=stopping) as grader:
        return _graded(question, grader, jobs)


def _graded(question: Question, grader: Grader, jobs: int) -> MutationReport:
    found = mutants(question.reference)
    items = [(index, [Answer(task_id=question.id, code=mutant.code)])
             for index, mutant in enumerate(found)]
    killers: dict[int, str | None] = {}
    for index, results in grader.grade_many(items, jobs=jobs):
        if isinstance(results, GradingError):
            raise results
        killers[index] = _killer(results[0])
    recorded = {entry.id for entry in question.equivalent_mutants}
    surviving = [found[i] for i in sorted(killers) if killers[i] is None]
    return MutationReport(
        question=question.id, mutants=len(found),
        killed=sum(killer is not None for killer in killers.values()),
        equivalent=tuple(m for m in surviving if m.id in recorded),
        survivors=tuple(m for m in surviving if m.id not in recorded),
        stale=tuple(sorted(recorded - {m.id for m in surviving})),
        killed_by={found[i].id: killer for i, killer in killers.items() if killer})


def describe(report: MutationReport, *, seconds: float | None = None) -> list[str]:
    """Lines for the terminal: the score, then each unexplained survivor as a diff."""
    timing = f" in {seconds:.1f} s" if seconds is not None else ""
    lines = [f"{'ok  ' if report.ok else 'FAIL'}  {report.question:<34} mutants: "
             f"{report.killed} of {report.mutants} killed, {len(report.equivalent)} "
             f"equivalent, {len(report.survivors)} surviving (score "
             f"{report.score:.0%}){timing}"]
    for mutant in report.survivors:
        lines.append(f"      survivor {mutant.id} (line {mutant.line}): add a check that "
                     "kills it, or record it under '## Equivalent mutants' with the reason")
        lines += [f"        {line}" for line in mutant.diff.splitlines()]
    for mutant_id in report.stale:
        lines.append(f"      stale: {mutant_id} is recorded as equivalent, but no surviving "
                     "mutant has this id (a check kills it now, or the code changed): "
                     "remove it")
    return lines


def prove_all(questions: Sequence[Question], *, config: GradingConfig | None = None,
              jobs: int = 2) -> list[MutationReport]:
    return [prove_mutants(q, config=config, jobs=jobs) for q in questions if q.is_coding]
