"""What the engine is asked to grade: tasks with checks, and the answers a submission gives.

A *task* is one gradable unit (the interview side makes one per coding question). Its
hidden checks are snippets run in the candidate's kernel after the answer code; the value
of a snippet's last expression is its *observation*. Observations must be plain data of
exact built-in types (None, bool, int, float, complex, str, bytes, and tuples, lists,
sets, frozensets and dicts of those). Check code may use top-level `await`, as in a
notebook cell (ipykernel runs an event loop in the cell's thread). The engine judges a
candidate's observation against the observation the task's reference answer produced,
in the grader process.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, kw_only=True)
class Shrink:
    """How to shrink a generated-input check's differing input, in the candidate's kernel.

    `code` is check code the engine runs after every other step of the submission, with
    `_wb_start` bound to the index of the drawn input to start from; it observes None or
    (input, reference's outcome, answer's outcome, finished, inputs tried). The input is
    labelled by writing its values into `property_code` (see judge.case_label)."""

    code: str
    property_code: str
    inputs: tuple[str, ...]
    label_limit: int = 400


@dataclass(frozen=True, kw_only=True)
class Check:
    """One hidden check: observe-only code worth `points`."""

    name: str
    code: str
    points: int
    description: str = ""
    #: compare numbers by exact type (1 is not 1.0); False compares ints and floats by value
    exact_types: bool = True
    #: when the check observes many cases (a list of per-case outcomes, see judge.py), one
    #: label per case, e.g. "merge([(1, 3), (3, 3)])"; failures name the smallest case
    cases: tuple[str, ...] = ()
    #: how to shrink the input that differs to a smaller one, when the check has cases
    shrink: Shrink | None = None


@dataclass(frozen=True, kw_only=True)
class Task:
    """One gradable unit and everything the grader needs to judge it."""

    id: str
    #: trusted code that answers the task correctly; source of the expected observations
    reference: str
    hidden_checks: tuple[Check, ...]
    #: the code a candidate starts from; restored when an answer cell is missing
    starter: str = ""
    #: the candidate-visible asserts; graded separately, worth no points
    public_checks: str = ""
    #: run before every hidden check in the same namespace copy (fixtures, fake clocks)
    check_setup: str = ""
    #: seconds one check (or the answer cell) may run; None means the grader's default
    timeout: float | None = None

    @property
    def max_points(self) -> int:
        return sum(check.points for check in self.hidden_checks)


@dataclass(frozen=True, kw_only=True)
class Answer:
    """The code a submission gives for one task, and where it came from."""

    task_id: str
    code: str
    cell_id: str | None = None
