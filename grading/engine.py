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
(kernel/inside/harness.py), which reports after every step; grading/execution.py turns
the reports back into steps and faults. The answer key is made the same way with every
task's reference in place of the answers, once per Grader (and cached per process by
content). Verdicts are made here (grading/judge.py); the kernel never sees an expected
value, so nothing it prints or patches can earn points.

Faults. Every answer cell and every check gets the task's timeout (Task.timeout, else the
config's), measured from the previous step's report. A timeout or an output flood
interrupts the kernel; if the step does not stop within `interrupt_grace`, or the kernel
died, or its output passed the grader's hard limit, the kernel is replaced by a fresh one
and the earlier answer cells are replayed. A faulty answer cell costs its own task all
points; a faulty check costs that check, and the task's remaining checks run on. Each
fault is an Event on its task: timeout, memory, kernel-died, output-flood, error.

Speed: why a zygote. Measured on this machine (2 cores, shared): a fresh confined
interpreter is ~0.5 s to ready; a child forked from a warm zygote that already imported
everything a starting kernel imports (found by a probe child), and compiled every check,
is ~0.04-0.05 s, including its private tmpfs mounts, rlimits and uid drop. The zygote
itself runs inside bubblewrap (no network, no grader files); each child confines itself
further before any candidate code runs (kernel/inside/zygote.py), so candidates share no
process, no uid at the same time, no scratch files. bench/grade_bench.py measures the
result against bare nbclient.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, TypeVar

from grading.config import GradingConfig
from grading.errors import AnswerKeyError, GradingError, UnknownTaskError
from grading.execution import CandidateKernel, Step, TooManyRestarts
from grading.judge import BadObservation, Observation, decode, judge, short_repr
from grading.kernel.client import CellRun
from grading.kernel.kernelspec import ensure_kernelspec
from grading.kernel.starter import ZygoteStarter
from grading.kernel.uids import UidLeases
from grading.results import CheckResult, Event, EventKind, TaskResult
from grading.tasks import Answer, Task

K = TypeVar("K")
PUBLIC_CHECKS_NAME = "public checks"
_FAULT_KIND = {"timeout": EventKind.TIMEOUT, "died": EventKind.KERNEL_DIED,
               "flood": EventKind.OUTPUT_FLOOD}
_answer_keys: dict[str, dict[str, dict[int, Observation]]] = {}
_answer_keys_lock = threading.Lock()


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
        return kind, _fault_detail(run, what, timeout)
    if run.error_name:
        value = f": {run.error_value[:300]}" if run.error_value else ""
        return EventKind.ERROR, f"{what} raised {run.error_name}{value}"
    return EventKind.ERROR, (f"{what} reported nothing (the harness was broken or removed "
                             f"by the answer)")


class Grader:
    """Grades submissions of `tasks`; use as a context manager (see module docstring)."""

    def __init__(self, tasks: Sequence[Task], *, config: GradingConfig | None = None) -> None:
        self.tasks = tuple(tasks)
        self.config = config or GradingConfig()
        self._by_id = {task.id: task for task in self.tasks}
        if len(self._by_id) != len(self.tasks):
            raise GradingError("two tasks share an id; task ids must be unique")
        self._starter: ZygoteStarter | None = None
        self._answer_key: dict[str, dict[int, Observation]] = {}
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
        """Start the kernel zygote and build (or fetch) the answer key."""
        ensure_kernelspec()
        if self._starter is None:
            self._starter = ZygoteStarter(self.config)
            self._starter.precompile([(task.check_setup, check.code) for task in self.tasks
                                      for check in task.hidden_checks]
                                     + [("", task.public_checks) for task in self.tasks])
        try:
            self._answer_key = self._build_answer_key()
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
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
        if task is None or task_id not in self._answer_key:
            raise UnknownTaskError(f"no task '{task_id}' in this grader")
        return {check.name: self._answer_key[task_id][index]
                for index, check in enumerate(task.hidden_checks, 1)}

    def grade(self, answers: Sequence[Answer]) -> tuple[TaskResult, ...]:
        """Grade one submission; results in the order the tasks ran."""
        if self._starter is None:
            raise GradingError("the Grader is not open; use `with Grader(...) as grader:`")
        for answer in answers:
            if answer.task_id not in self._by_id:
                raise UnknownTaskError(f"answer for unknown task '{answer.task_id}'")
        records, order = self._run(self._plan(answers), with_public=True)
        return tuple(self._judge(self._by_id[task_id], records[task_id]) for task_id in order)

    def grade_many(self, items: Iterable[tuple[K, Sequence[Answer]]], *,
                   jobs: int = 2) -> Iterator[tuple[K, tuple[TaskResult, ...]]]:
        """Grade submissions on `jobs` kernels at once; yields each as it finishes."""
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
                    yield key, future.result()

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

    def _run(self, plan: list[tuple[Task, str]], *, with_public: bool
             ) -> tuple[dict[str, _TaskRecord], list[str]]:
        assert self._starter is not None
        records: dict[str, _TaskRecord] = {}
        for task, code in plan:
            records.setdefault(task.id, _TaskRecord(answer=code)).answer = code
        uid = self._uids.take()
        kernel = CandidateKernel(self._starter, uid, self.config,
                                 on_replay_fault=lambda step, run: self._replay_fault(
                                     records[step.task_id], step, run))
        try:
            kernel.run(self._steps(plan, with_public=with_public),
                       wanted=lambda step: (step.is_answer
                                            or records[step.task_id].answer_fault is None),
                       on_reports=lambda step, payloads: self._reported(
                           records[step.task_id], step, payloads),
                       on_fault=lambda step, run: self._fault(
                           records[step.task_id], step, run))
        except TooManyRestarts as stopped:
            for task_id in dict.fromkeys(step.task_id for step in stopped.remaining):
                record = records[task_id]
                if record.answer_fault is None:
                    record.answer_fault = "kernel-died"
                    record.events.append(Event(
                        kind=EventKind.KERNEL_DIED, task_id=task_id,
                        detail=f"not graded: the kernel was restarted more than "
                               f"{self.config.max_restarts} times for this submission"))
        finally:
            reaper = kernel.close(on_gone=lambda: self._uids.give_back(uid))
            with self._lock:
                self._reapers = [r for r in self._reapers if r.is_alive()]
                if reaper is not None:
                    self._reapers.append(reaper)
        return records, list(records)

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

    def _reported(self, record: _TaskRecord, step: Step,
                  payloads: list[dict[str, Any]]) -> None:
        if step.check is not None:
            task = self._by_id[step.task_id]
            record.seen[step.check] = self._observation(task, step.check, payloads, record)
            return
        if len(payloads) > 1:
            record.events.append(Event(
                kind=EventKind.BAD_OBSERVATION, task_id=step.task_id,
                detail=f"the answer cell was reported {len(payloads)} times; only the "
                       f"harness reports it"))
        payload = payloads[0]
        if payload.get("status") == "raised":
            name = str(payload.get("type"))[:100]
            kind = EventKind.MEMORY if name == "MemoryError" else EventKind.ERROR
            record.events.append(Event(kind=kind, task_id=step.task_id,
                                       detail=f"the answer cell raised {name}: "
                                              f"{str(payload.get('message'))[:300]}"))

    def _fault(self, record: _TaskRecord, step: Step, run: CellRun) -> None:
        """`step` ended without a report: it faulted, or it stopped the harness."""
        what = ("the answer cell" if step.check is None else
                f"check '{self._check_name(self._by_id[step.task_id], step.check)}'")
        kind, detail = _ending(run, what, step.timeout)
        if step.check is not None:
            record.seen[step.check] = _Failure(detail, kind)
        elif run.status in _FAULT_KIND:
            record.answer_fault = run.status
        record.events.append(Event(kind=kind, task_id=step.task_id, detail=detail))

    def _replay_fault(self, record: _TaskRecord, step: Step, run: CellRun) -> None:
        kind, detail = _ending(run, "the answer cell's replay", step.timeout)
        record.events.append(Event(kind=kind, task_id=step.task_id, detail=detail))

    def _check_name(self, task: Task, index: int) -> str:
        return PUBLIC_CHECKS_NAME if index == 0 else task.hidden_checks[index - 1].name

    def _observation(self, task: Task, index: int, payloads: list[dict[str, Any]],
                     record: _TaskRecord) -> Observation | _Failure:
        name = self._check_name(task, index)
        if len(payloads) > 1:
            detail = f"check '{name}' reported {len(payloads)} observations; only one is allowed"
            record.events.append(Event(kind=EventKind.BAD_OBSERVATION, task_id=task.id,
                                       detail=detail))
            return _Failure(detail, EventKind.BAD_OBSERVATION)
        payload = payloads[0]
        if payload.get("status") == "setup-raised":
            detail = (f"the setup of check '{name}' raised {str(payload.get('type'))[:100]}: "
                      f"{str(payload.get('message'))[:300]}")
            record.events.append(Event(kind=EventKind.ERROR, task_id=task.id, detail=detail))
            return _Failure(detail, EventKind.ERROR)
        try:
            observation = decode(payload)
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
    def _key_digest(self) -> str:
        digest = hashlib.sha256()
        for task in self.tasks:
            parts = [task.id, task.reference, task.check_setup, str(task.timeout),
                     *(c.code for c in task.hidden_checks)]
            for part in parts:
                digest.update(part.encode())
                digest.update(b"\0")
        return digest.hexdigest()

    def _build_answer_key(self) -> dict[str, dict[int, Observation]]:
        digest = self._key_digest()
        with _answer_keys_lock:
            if digest in _answer_keys:
                return _answer_keys[digest]
        records, _ = self._run([(task, task.reference) for task in self.tasks],
                               with_public=False)
        key: dict[str, dict[int, Observation]] = {}
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
        with _answer_keys_lock:
            _answer_keys[digest] = key
        return key

    def _judge(self, task: Task, record: _TaskRecord) -> TaskResult:
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
                problem = judge(self._answer_key[task.id][index], seen,
                                exact_types=check.exact_types, cases=check.cases)
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
