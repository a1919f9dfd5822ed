"""The grading engine: run each submission's answers and the hidden checks in a fresh
confined kernel, judge the observations here, and return plain results.

    with Grader(tasks, config=GradingConfig()) as grader:   # builds the answer key once
        results = grader.grade(answers)                     # tuple[TaskResult, ...]
        for key, results in grader.grade_many(items, jobs=2):
            ...

How one submission runs. One fresh kernel per submission, never shared. Its answer cells
run in notebook order; right after a task's (last) answer cell come its public checks and
hidden checks, each in a shallow copy of the user namespace, each reporting one
observation. All of these steps go to the kernel as one request to the in-kernel harness
(kernel/inside/harness.py), which reports after every step; grading/execution.py reads
each report through the protocol (kernel/inside/protocol.py) and yields one outcome per
step (reported, faulted, gave up), which `_fold` takes into the task's record. The answer
key is made the same way with every task's reference in place of the answers, once per
Grader (and kept, by content, in a bounded AnswerKeyCache that Graders share unless given
their own, and in `stored_keys` when given: the gradebook keeps it for later runs, see
grading/answer_keys.py). Verdicts are made here (grading/judge.py); the kernel never sees
an expected value, so nothing it prints or patches can earn points.

Containment. Whatever goes wrong while grading one submission, in its kernel or in this
process, is that submission's own: `grade` raises it as a SubmissionError with a one-line
reason and `grade_many` yields it in place of the results, while the others go on.

Faults. Every answer cell and every check gets the task's timeout (Task.timeout, else the
config's), measured from the previous step's report. A timeout or an output flood
interrupts the kernel; if the step does not stop within `interrupt_grace`, or the kernel
died, or its output passed the grader's hard limit, or it sent a message the protocol
forbids (forged, unsigned, malformed), the kernel is replaced by a fresh one and the
earlier answer cells are replayed. A faulty answer cell costs its own task all points; a
faulty check costs that check, and the task's remaining checks run on. Each fault is an
Event on its task: timeout, memory, kernel-died, output-flood, protocol-violation, error.

Counterexamples. When a generated-input check (Check.shrink) fails on a value, the input
it names is shrunk before the kernel goes: after every step of the submission has
reported, one more step per such check runs the shrinker in the same kernel (the
reference joins the kernel only then, in a namespace of its own, when every observation
that earns points is in). What the shrinker reports is plain data judged here like any
observation, and it only changes which input the message names: the verdict and the
points come from the answer key alone. A shrink step that faults, or reports nonsense,
leaves the drawn input named.

Speed: why a zygote. Measured on this machine (2 cores, shared): a fresh confined
interpreter is ~0.5 s to ready; a child forked from a warm zygote that already imported
everything a starting kernel imports (found by a probe child), and compiled every check,
is ~0.04-0.05 s, including its private tmpfs mounts, rlimits and uid drop; the zygote
also builds the kernel application and its shell before forking, which takes ~11 ms of
CPU off each child's start (kernel/inside/kernel_app.py). The zygote
itself runs inside bubblewrap (no network, no grader files); each child confines itself
further before any candidate code runs (kernel/inside/zygote.py), so candidates share no
process, no uid at the same time, no scratch files. bench/grade_bench.py measures the
result against bare nbclient.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from types import TracebackType
from typing import TypeVar

from grading.answer_keys import (
    AnswerKey,
    AnswerKeyCache,
    StoredAnswerKeys,
    key_digest,
)
from grading.answer_keys import decode as decode_answer_key
from grading.answer_keys import encode as encode_answer_key
from grading.config import GradingConfig
from grading.errors import AnswerKeyError, GradingError, SubmissionError, UnknownTaskError
from grading.execution import CandidateKernel, Faulted, GaveUp, Outcome, Reported, Step
from grading.judge import (
    BadObservation,
    Observation,
    Shrunk,
    case_difference,
    case_label,
    decode,
    judge,
    short_repr,
    shrink_start,
)
from grading.kernel.client import CellRun
from grading.kernel.inside.protocol import (
    GENERATED_CASE_SECONDS,
    SHRINK_WALL_SECONDS,
    Report,
)
from grading.kernel.kernelspec import ensure_kernelspec
from grading.kernel.starter import ZygoteStarter, adopt_or_start
from grading.kernel.uids import UidLeases
from grading.results import CheckResult, Event, EventKind, TaskResult
from grading.tasks import Answer, Check, Task
from grading.text import one_line

K = TypeVar("K")
PUBLIC_CHECKS_NAME = "public checks"
_FAULT_KIND = {"timeout": EventKind.TIMEOUT, "died": EventKind.KERNEL_DIED,
               "flood": EventKind.OUTPUT_FLOOD, "violation": EventKind.PROTOCOL}
_log = logging.getLogger(__name__)
#: seconds a shrink step may run: its wall-clock bound, two inputs in their bounds, and
#: importing Hypothesis in the kernel (about 1 s under load)
SHRINK_STEP_TIMEOUT = SHRINK_WALL_SECONDS + 2 * GENERATED_CASE_SECONDS + 3.0
#: what grading one submission of a batch gave: its results, or why it has none
Graded = tuple[TaskResult, ...] | SubmissionError


#: the cache Graders share unless given their own
SHARED_ANSWER_KEYS = AnswerKeyCache()


@dataclass
class _Failure:
    """A check that produced no judgeable observation."""

    message: str
    kind: EventKind | None = None


@dataclass
class _TaskRecord:
    """Everything seen while running one task, before judging."""

    answer: str
    events: list[Event] = field(default_factory=list)
    answer_fault: str | None = None
    public: tuple[bool, str] | None = None
    seen: dict[int, Observation | _Failure] = field(default_factory=dict)
    #: smaller differing inputs the shrinker found, by check number
    shrunk: dict[int, Shrunk] = field(default_factory=dict)


def _fault_detail(run: CellRun, what: str, timeout: float) -> str:
    if run.status == "timeout":
        return f"{what} ran longer than {timeout:g} s and was stopped"
    if run.status == "flood":
        return f"{what} printed more output than allowed and was stopped"
    code = run.exit_code
    how = f"killed by signal {-code}" if code is not None and code < 0 else f"status {code}"
    return f"the kernel died during {what} ({how}); a fresh kernel took over"


def _ending(run: CellRun, what: str, timeout: float) -> tuple[EventKind, str]:
    """How a step that left no report ended: a fault, or an exception that stopped the
    harness (raised past it, or it was broken by the answer)."""
    kind = _FAULT_KIND.get(run.status)
    if kind is not None:
        if run.status == "violation":
            return kind, (f"{what} broke the grading protocol ({run.violation}); its kernel "
                          f"was replaced")
        return kind, _fault_detail(run, what, timeout)
    if run.error_name:
        value = f": {one_line(run.error_value)}" if run.error_value else ""
        return EventKind.ERROR, f"{what} raised {one_line(run.error_name, 100)}{value}"
    return EventKind.ERROR, (f"{what} reported nothing (the harness was broken or removed "
                             f"by the answer)")


def _shrunk(check: Check, report: Report, start: int) -> Shrunk | None:
    """What a shrink step found, read as untrusted plain data: None unless it names an
    input of the check's own names, written out not much longer than the drawn input
    `start` it shrank from, on which the two outcomes differ. (The answer's code could forge the
    report; the bounds keep a forgery to a short, wrong message about its own failure.)"""
    assert check.shrink is not None
    try:
        value = decode(report).value
    except BadObservation:
        return None
    if type(value) is not tuple or len(value) != 5:
        return None
    case, expected, actual, finished, _ = value
    if (type(case) is not dict or set(case) != set(check.shrink.inputs)
            or type(finished) is not bool):
        return None
    outcomes_ok = all(type(o) is tuple and len(o) == 2 and o[0] in ("value", "raised", "unplain")
                      for o in (expected, actual))
    if not outcomes_ok or case_difference(expected, actual, check.exact_types) is None:
        return None
    label = case_label(check.shrink.property_code, check.shrink.inputs, case,
                       check.shrink.label_limit)
    if len(label) > 2 * len(check.cases[start]) + 20:
        return None  # Hypothesis's order (on its choices) may lengthen the text a little
    return Shrunk(label=label, expected=expected, actual=actual, finished=finished)


class Grader:
    """Grades submissions of `tasks`; use as a context manager (see module docstring)."""

    def __init__(self, tasks: Sequence[Task], *, config: GradingConfig | None = None,
                 answer_keys: AnswerKeyCache = SHARED_ANSWER_KEYS,
                 stored_keys: StoredAnswerKeys | None = None,
                 key_in_background: bool = False) -> None:
        self.tasks = tuple(tasks)
        self.config = config or GradingConfig()
        self._answer_keys = answer_keys
        self._stored_keys = stored_keys
        self._by_id = {task.id: task for task in self.tasks}
        if len(self._by_id) != len(self.tasks):
            raise GradingError("two tasks share an id; task ids must be unique")
        self._starter: ZygoteStarter | None = None
        #: the answer key, being built (or fetched) by `_key_builder` once open
        self._answer_key: Future[AnswerKey] = Future()
        self._key_builder: threading.Thread | None = None
        self._key_in_background = key_in_background
        self._uids = UidLeases(self.config.uid_base)
        self._reapers: list[threading.Thread] = []
        self._lock = threading.Lock()

    # -- lifecycle -------------------------------------------------------------------
    def __enter__(self) -> Grader:
        self.open()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.close()

    def open(self) -> None:
        """Start the kernel zygote and build (or fetch) the answer key; raise its
        AnswerKeyError here, or, made with `key_in_background`, return at once and let
        submissions' kernels run while the key is built (`grade_many` raises its error;
        no submission is judged before the key exists)."""
        ensure_kernelspec()
        if self._starter is None:
            self._starter = adopt_or_start(self.config)
            self._starter.precompile(
                [(task.check_setup, check.code) for task in self.tasks
                 for check in task.hidden_checks]
                + [("", task.public_checks) for task in self.tasks],
                shrinker=self.config.shrink_counterexamples and any(
                    check.shrink is not None for task in self.tasks
                    for check in task.hidden_checks))
        if self._key_builder is None:
            self._key_builder = threading.Thread(target=self._keep_answer_key,
                                                 name="answer-key", daemon=True)
            self._key_builder.start()
        if self._key_in_background:
            return
        try:
            self._key()
        except BaseException:
            self.close()
            raise

    def _keep_answer_key(self) -> None:
        try:
            self._answer_key.set_result(self._build_answer_key())
        except BaseException as error:
            self._answer_key.set_exception(error)

    def _key(self) -> AnswerKey:
        """The answer key, once built; its build's error if it failed."""
        return self._answer_key.result()

    def close(self) -> None:
        if self._key_builder is not None:  # its kernel goes with the zygote below
            self._key_builder.join()
        for reaper in self._reapers:  # finished kernels still being cleaned up
            reaper.join(timeout=10)
        self._reapers.clear()
        if self._starter is not None:
            self._starter.close()
            self._starter = None
        self._uids.close()

    # -- public API ----------------------------------------------------------------------
    def expected(self, task_id: str) -> dict[str, Observation]:
        """What the reference observed in each hidden check of `task_id` (the answer key)."""
        task = self._by_id.get(task_id)
        key = self._key()
        if task is None or task_id not in key:
            raise UnknownTaskError(f"no task '{task_id}' in this grader")
        return {check.name: key[task_id][index]
                for index, check in enumerate(task.hidden_checks, 1)}

    def grade(self, answers: Sequence[Answer]) -> tuple[TaskResult, ...]:
        """Grade one submission; results in the order the tasks ran.

        Whatever goes wrong while grading it, in the kernel or in this process, is raised
        as a SubmissionError with a one-line reason: it belongs to this submission only."""
        if self._starter is None:
            raise GradingError("the Grader is not open; use `with Grader(...) as grader:`")
        for answer in answers:
            if answer.task_id not in self._by_id:
                raise UnknownTaskError(f"answer for unknown task '{answer.task_id}'")
        try:
            records, order = self._run(self._plan(answers), with_public=True,
                                       against=self._key)
            return tuple(self._judge(self._by_id[task_id], records[task_id])
                         for task_id in order)
        except (SubmissionError, AnswerKeyError):
            raise
        except Exception as error:
            raise SubmissionError.caused_by(error) from error

    def grade_many(self, items: Iterable[tuple[K, Sequence[Answer]]], *,
                   jobs: int = 2) -> Iterator[tuple[K, Graded]]:
        """Grade submissions on `jobs` kernels at once; yields each as it finishes, with
        its results or the SubmissionError that says why it has none (the others go on)."""
        if jobs < 1:
            raise GradingError(f"jobs must be at least 1, got {jobs}")
        pending: dict[Future[tuple[TaskResult, ...]], K] = {}
        source = iter(items)
        with ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="grade") as pool:
            while True:
                while len(pending) < 2 * jobs:
                    item = next(source, None)
                    if item is None:
                        break
                    key, answers = item
                    pending[pool.submit(self.grade, answers)] = key
                if not pending:
                    return
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    key = pending.pop(future)
                    outcome: Graded
                    try:
                        outcome = future.result()
                    except AnswerKeyError:
                        raise  # no submission can be judged: the batch's error
                    except Exception as error:
                        outcome = (error if isinstance(error, SubmissionError)
                                   else SubmissionError.caused_by(error))
                        _log.debug("submission %r not graded", key, exc_info=error)
                    yield key, outcome

    # -- running -------------------------------------------------------------------------
    def _plan(self, answers: Sequence[Answer]) -> list[tuple[Task, str]]:
        """Cells in notebook order; a task without an answer gets its starter, placed
        after the task that precedes it in the task list."""
        plan = [(self._by_id[a.task_id], a.code) for a in answers]
        present = {a.task_id for a in answers}
        for position, task in enumerate(self.tasks):
            if task.id in present:
                continue
            earlier = {t.id for t in self.tasks[:position]}
            at = max((i + 1 for i, (t, _) in enumerate(plan) if t.id in earlier), default=0)
            plan.insert(at, (task, task.starter))
            present.add(task.id)
        return plan

    def _run(self, plan: list[tuple[Task, str]], *, with_public: bool,
             against: Callable[[], AnswerKey]) -> tuple[dict[str, _TaskRecord], list[str]]:
        """Run `plan` in a fresh kernel; observations are decoded against the key
        `against` gives (asked for only once the kernel has reported, so a submission's
        kernel runs while the key is still being built)."""
        assert self._starter is not None
        records: dict[str, _TaskRecord] = {}
        for task, code in plan:
            records.setdefault(task.id, _TaskRecord(answer=code)).answer = code
        uid = self._uids.take()
        kernel = CandidateKernel(self._starter, uid, self.config)
        try:
            for outcome in kernel.run(self._steps(plan, with_public=with_public)):
                self._fold(records, outcome, against)
            if with_public and self.config.shrink_counterexamples:
                self._shrink(kernel, records)
        finally:
            reaper = kernel.close(on_gone=lambda: self._uids.give_back(uid))
            with self._lock:
                self._reapers = [r for r in self._reapers if r.is_alive()]
                if reaper is not None:
                    self._reapers.append(reaper)
        return records, list(records)

    def _shrink(self, kernel: CandidateKernel, records: dict[str, _TaskRecord]) -> None:
        """Shrink the input each failed generated-input check names, in this kernel."""
        steps: list[Step] = []
        starts: dict[tuple[str, int], int] = {}
        for task_id, record in records.items():
            task = self._by_id[task_id]
            for index, check in enumerate(task.hidden_checks, 1):
                seen = record.seen.get(index)
                if (check.shrink is None or record.answer_fault is not None
                        or not isinstance(seen, Observation)):
                    continue
                start = shrink_start(self._key()[task_id][index], seen, check.cases,
                                     exact_types=check.exact_types)
                if start is not None:
                    steps.append(Step(task_id, f"_wb_start = {start}\n{check.shrink.code}",
                                      SHRINK_STEP_TIMEOUT, check=index,
                                      setup=task.check_setup))
                    starts[(task_id, index)] = start
        if not steps:
            return
        for outcome in kernel.run(steps):
            if not isinstance(outcome, Reported) or len(outcome.reports) != 1:
                continue  # a fault or a forgery: the drawn input stays named
            step = outcome.step
            assert step.check is not None
            check = self._by_id[step.task_id].hidden_checks[step.check - 1]
            shrunk = _shrunk(check, outcome.reports[0], starts[(step.task_id, step.check)])
            if shrunk is not None:
                records[step.task_id].shrunk[step.check] = shrunk

    def _fold(self, records: dict[str, _TaskRecord], outcome: Outcome,
              against: Callable[[], AnswerKey]) -> None:
        """Take one step's outcome into its task's record."""
        if isinstance(outcome, Reported):
            self._reported(records[outcome.step.task_id], outcome.step, outcome.reports,
                           against)
        elif isinstance(outcome, Faulted):
            record = records[outcome.step.task_id]
            if outcome.replay:
                self._replay_fault(record, outcome.step, outcome.run)
            else:
                self._fault(record, outcome)
        else:
            self._gave_up(records, outcome)

    def _steps(self, plan: list[tuple[Task, str]], *, with_public: bool) -> list[Step]:
        """Answer cells in notebook order; a task's checks right after its last one."""
        last_cell = {task.id: index for index, (task, _) in enumerate(plan)}
        steps: list[Step] = []
        for index, (task, code) in enumerate(plan):
            timeout = self.config.timeout_for(task.timeout)
            steps.append(Step(task.id, code, timeout))
            if index != last_cell[task.id]:
                continue
            if with_public and task.public_checks.strip():
                steps.append(Step(task.id, task.public_checks, timeout, check=0))
            steps += [Step(task.id, check.code, timeout, check=number, setup=task.check_setup)
                      for number, check in enumerate(task.hidden_checks, 1)]
        return steps

    def _reported(self, record: _TaskRecord, step: Step, reports: tuple[Report, ...],
                  against: Callable[[], AnswerKey]) -> None:
        if step.check is not None:
            task = self._by_id[step.task_id]
            record.seen[step.check] = self._observation(task, step.check, reports, record,
                                                        against)
            return
        if len(reports) > 1:
            record.events.append(Event(
                kind=EventKind.BAD_OBSERVATION, task_id=step.task_id,
                detail=f"the answer cell was reported {len(reports)} times; only the "
                       f"harness reports it"))
        report = reports[0]
        if report.status == "raised":
            name = one_line(report.type, 100)
            kind = EventKind.MEMORY if name == "MemoryError" else EventKind.ERROR
            record.events.append(Event(kind=kind, task_id=step.task_id,
                                       detail=f"the answer cell raised {name}: "
                                              f"{one_line(report.message)}"))

    def _fault(self, record: _TaskRecord, fault: Faulted) -> None:
        """A step ended without a report: it faulted, or it stopped the harness."""
        step = fault.step
        what = ("the answer cell" if step.check is None else
                f"check '{self._check_name(self._by_id[step.task_id], step.check)}'")
        kind, detail = _ending(fault.run, what, step.timeout)
        if step.check is not None:
            record.seen[step.check] = _Failure(detail, kind)
        elif fault.abandons_task:
            record.answer_fault = fault.run.status
        record.events.append(Event(kind=kind, task_id=step.task_id, detail=detail))

    def _gave_up(self, records: dict[str, _TaskRecord], outcome: GaveUp) -> None:
        for task_id in dict.fromkeys(step.task_id for step in outcome.steps):
            record = records[task_id]
            if record.answer_fault is None:
                record.answer_fault = "kernel-died"
                record.events.append(Event(
                    kind=EventKind.KERNEL_DIED, task_id=task_id,
                    detail=f"not graded: the kernel was restarted more than "
                           f"{self.config.max_restarts} times for this submission"))

    def _replay_fault(self, record: _TaskRecord, step: Step, run: CellRun) -> None:
        kind, detail = _ending(run, "the answer cell's replay", step.timeout)
        record.events.append(Event(kind=kind, task_id=step.task_id, detail=detail))

    def _check_name(self, task: Task, index: int) -> str:
        return PUBLIC_CHECKS_NAME if index == 0 else task.hidden_checks[index - 1].name

    def _observation(self, task: Task, index: int, reports: tuple[Report, ...],
                     record: _TaskRecord, against: Callable[[], AnswerKey]
                     ) -> Observation | _Failure:
        name = self._check_name(task, index)
        if len(reports) > 1:
            detail = f"check '{name}' reported {len(reports)} observations; only one is allowed"
            record.events.append(Event(kind=EventKind.BAD_OBSERVATION, task_id=task.id,
                                       detail=detail))
            return _Failure(detail, EventKind.BAD_OBSERVATION)
        report = reports[0]
        if report.status == "setup-raised":
            detail = (f"the setup of check '{name}' raised {one_line(report.type, 100)}: "
                      f"{one_line(report.message)}")
            record.events.append(Event(kind=EventKind.ERROR, task_id=task.id, detail=detail))
            return _Failure(detail, EventKind.ERROR)
        try:
            observation = decode(report, against().get(task.id, {}).get(index))
        except BadObservation as error:
            detail = f"check '{name}': {error}"
            record.events.append(Event(kind=EventKind.BAD_OBSERVATION, task_id=task.id,
                                       detail=detail))
            return _Failure(detail, EventKind.BAD_OBSERVATION)
        if observation.raised == "MemoryError":
            record.events.append(Event(kind=EventKind.MEMORY, task_id=task.id,
                                       detail=f"check '{name}' ran out of memory"))
        return observation

    # -- answer key and judging ----------------------------------------------------------
    def _build_answer_key(self) -> AnswerKey:
        digest = key_digest(self.tasks)
        cached = self._answer_keys.get(digest)
        if cached is None and self._stored_keys is not None:
            data = self._stored_keys.answer_key(digest)
            cached = None if data is None else decode_answer_key(data)
        if cached is not None:
            self._answer_keys.put(digest, cached)
            return cached
        records, _ = self._run([(task, task.reference) for task in self.tasks],
                               with_public=False, against=dict)
        key: AnswerKey = {}
        for task in self.tasks:
            record = records[task.id]
            # A reference that faults or raises would make a half-run answer key.
            if record.answer_fault is not None or record.events:
                raise AnswerKeyError(task.id, "(answer cell)", record.events[-1].detail)
            expected: dict[int, Observation] = {}
            for index, check in enumerate(task.hidden_checks, 1):
                seen = record.seen.get(index)
                if not isinstance(seen, Observation):
                    problem = seen.message if seen else "produced no observation"
                    raise AnswerKeyError(task.id, check.name, problem)
                expected[index] = seen
            key[task.id] = expected
        self._answer_keys.put(digest, key)
        if self._stored_keys is not None:
            self._stored_keys.keep_answer_key(digest, encode_answer_key(key))
        return key

    def _judge(self, task: Task, record: _TaskRecord) -> TaskResult:
        expected = self._key()[task.id]
        checks: list[CheckResult] = []
        for index, check in enumerate(task.hidden_checks, 1):
            seen = record.seen.get(index)
            if record.answer_fault is not None:
                message = f"not run: {record.events[-1].detail}" if record.events else "not run"
            elif seen is None:
                message = "not run"
            elif isinstance(seen, _Failure):
                message = seen.message
            else:
                problem = judge(expected[index], seen,
                                exact_types=check.exact_types, cases=check.cases,
                                shrunk=record.shrunk.get(index))
                message = "" if problem is None else problem
            passed = record.answer_fault is None and message == "" and seen is not None
            if not passed and check.description:
                message = f"{check.description.strip()} {message[:1].upper()}{message[1:]}"
            checks.append(CheckResult(name=check.name, passed=passed,
                                      points=check.points if passed else 0,
                                      max_points=check.points, message=message))
        public: tuple[CheckResult, ...] = ()
        if task.public_checks.strip():
            seen = record.seen.get(0)
            if isinstance(seen, Observation) and seen.raised is None:
                public = (CheckResult(name=PUBLIC_CHECKS_NAME, passed=True, points=0,
                                      max_points=0, hidden=False),)
            else:
                if isinstance(seen, Observation):
                    message = f"{seen.raised}: {short_repr(seen.message)}"
                elif isinstance(seen, _Failure):
                    message = seen.message
                else:
                    message = "not run"
                public = (CheckResult(name=PUBLIC_CHECKS_NAME, passed=False, points=0,
                                      max_points=0, message=message, hidden=False),)
        return TaskResult(task_id=task.id, points=sum(c.points for c in checks),
                          max_points=task.max_points, checks=tuple(checks),
                          public_checks=public, events=tuple(record.events),
                          answer=record.answer)
