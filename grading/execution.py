"""One candidate's kernel over a whole submission: run its steps (answer cells and checks)
through the in-kernel harness, find the step a fault belongs to, and when a fault leaves
the kernel unusable, start a fresh one and replay the answer cells that ran so far, so the
next step finds the state it would have found.

All the steps go to the kernel in one request, because each request costs several ms of
fixed ipykernel and IPython work; the harness reports after every step, so the first step
without a report is the one a timeout, crash, flood or protocol violation belongs to, and
the steps after it go in a new request.

Data flows one way: `CandidateKernel.run` yields an `Outcome` per step (Reported, Faulted,
or GaveUp for the steps left when the restart budget is spent), as nbclient's execute loop
hands back each cell, and the engine folds them into its records. Nothing here calls back
into the engine.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from grading.config import GradingConfig
from grading.kernel.client import CellRun, KernelClient
from grading.kernel.inside.protocol import (
    HARNESS_CALL,
    OBSERVATION_BUDGET,
    HarnessRequest,
    ProtocolViolation,
    Report,
    StepRequest,
    read_report,
)
from grading.kernel.starter import KernelHandle, ZygoteStarter

#: how a step can end without a report and leave the kernel's state unknown: the task's
#: answer did not finish, so its checks have nothing to check and are not run
_ABANDONING = frozenset({"timeout", "died", "flood", "violation"})


@dataclass(frozen=True, eq=False)
class Step:
    """An answer cell (`check` None) or one check of a task (0: its public checks,
    1...: its hidden checks, in order)."""

    task_id: str
    code: str
    timeout: float
    check: int | None = None
    setup: str = ""

    @property
    def is_answer(self) -> bool:
        return self.check is None


@dataclass(frozen=True)
class Reported:
    """A step ran to its report; `reports` holds every report that claimed it (the harness
    sends one: more is a forgery, for the engine to judge)."""

    step: Step
    reports: tuple[Report, ...]


@dataclass(frozen=True)
class Faulted:
    """A step ended without a report, and how the request ended (`run`). `replay`: the
    step was an earlier answer cell replayed in a fresh kernel."""

    step: Step
    run: CellRun
    replay: bool = False

    @property
    def abandons_task(self) -> bool:
        """Whether the task's answer did not finish, so its checks are not run."""
        return self.step.is_answer and not self.replay and self.run.status in _ABANDONING


@dataclass(frozen=True)
class GaveUp:
    """The submission used up its kernel restarts; `steps` were not run."""

    steps: tuple[Step, ...]


#: what running a submission yields, step by step, for the engine to fold
Outcome = Reported | Faulted | GaveUp


class CandidateKernel:
    """A kernel for one submission, restarted (with replay) whenever a fault breaks it."""

    def __init__(self, starter: ZygoteStarter, uid: int, config: GradingConfig) -> None:
        self._starter = starter
        self._uid = uid
        self._config = config
        self._handle: KernelHandle | None = None
        self._client: KernelClient | None = None
        #: answer cells that ran in this submission's kernels, in order
        self.history: list[Step] = []
        #: answer cells a fresh kernel has yet to replay
        self._to_replay: list[Step] = []
        self.starts = 0

    def _ready_client(self) -> KernelClient:
        if self._client is not None:
            return self._client
        self.starts += 1
        self._handle = self._starter.start(self._uid)
        hard_limit = 4 * self._config.output_limit + OBSERVATION_BUDGET + (1 << 20)
        self._client = KernelClient(self._handle, hard_output_limit=hard_limit)
        self._client.wait_ready(self._config.startup_timeout)
        self._to_replay = list(self.history)
        return self._client

    def _discard(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None
        if self._handle is not None:
            self._handle.kill()
            self._handle = None

    def run(self, steps: Sequence[Step]) -> Iterator[Outcome]:
        """Run `steps` in order and yield what became of each.

        Each step that reported is `Reported` (answer cells also join the history); the
        first that did not is `Faulted`, with how the request ended, and the rest run in a
        fresh request (in a fresh kernel if needed). When an answer cell's fault leaves its
        task without a finished answer, that task's checks are dropped. Past the restart
        budget the steps left are `GaveUp`."""
        pending = list(steps)
        abandoned: set[str] = set()
        one_at_a_time = False
        while True:
            pending = [step for step in pending
                       if step.is_answer or step.task_id not in abandoned]
            if not pending:
                return
            if self._client is None and self.starts > self._config.max_restarts:
                yield GaveUp(tuple(pending))
                return
            client = self._ready_client()
            replaying = list(self._to_replay)
            batch = replaying + pending
            if one_at_a_time:
                batch = batch[:1]
            reports: dict[int, list[Report]] = {}
            run = self._send(client, batch, reports)
            done = len(reports)  # the reports that count are those of the first `done`
            for position, step in enumerate(batch[:done]):
                if position < len(replaying):
                    self._to_replay.remove(step)
                    continue
                pending.remove(step)
                if step.is_answer:
                    self.history.append(step)
                yield Reported(step, tuple(reports[position]))
            if not run.kernel_usable:
                self._discard()
            if done == len(batch):
                continue
            if run.status == "died" and not one_at_a_time:
                # Reports sent just before a crash can die with the process, so the first
                # step without one is only a suspect. From here on, one step per request:
                # a crash can then only be the step that was running.
                one_at_a_time = True
                continue
            culprit = batch[done]
            one_at_a_time = False  # the crash is explained: back to whole batches
            if done < len(replaying):
                self.history.remove(culprit)
                self._to_replay.remove(culprit)
                yield Faulted(culprit, run, replay=True)
                continue
            pending.remove(culprit)
            fault = Faulted(culprit, run)
            if fault.abandons_task or (self._config.stop_task_after_fault
                                       and not culprit.is_answer):
                # a mutation proof needs one failure per task: skip the checks after it
                abandoned.add(culprit.task_id)
            yield fault

    def _send(self, client: KernelClient, batch: list[Step],
              reports: dict[int, list[Report]]) -> CellRun:
        """One request for `batch`; `reports` collects each position's reports. Every
        report is read through the protocol: one that does not follow it, or that claims a
        step out of order (only a forgery can), ends the request as a violation."""
        request = HarnessRequest(nonce=secrets.token_hex(8), steps=tuple(
            StepRequest(position, "answer" if step.is_answer else "check", step.setup,
                        step.code) for position, step in enumerate(batch)))
        kinds = [step.kind for step in request.steps]

        def accept(body: object) -> float | None:
            position = body.get("index") if isinstance(body, dict) else None
            if type(position) is not int or not 0 <= position < len(batch):
                raise ProtocolViolation("a report for a step that was not sent")
            report = read_report(body, nonce=request.nonce, kind=kinds[position])
            if position in reports:
                reports[position].append(report)
                return None
            if position != len(reports):
                raise ProtocolViolation(f"a report for step {position + 1} arrived before "
                                        f"step {len(reports) + 1} reported")
            reports[position] = [report]
            following = position + 1
            return batch[min(following, len(batch) - 1)].timeout

        return client.execute(HARNESS_CALL, timeout=batch[0].timeout,
                              metadata=request.metadata(),
                              grace=self._config.interrupt_grace,
                              total_timeout=sum(step.timeout for step in batch) + 1.0,
                              on_observation=accept)

    def close(self, on_gone: Callable[[], None]) -> threading.Thread | None:
        """Let the kernel go without waiting for it: the zygote kills it and every process
        of its uid; `on_gone` runs (in another thread) once that is done, so the uid is
        reused only when nothing of this candidate is left. A kernel not seen gone within
        the kill's bound never runs it: its uid is not reused, since the zygote's kill of
        every process of that uid may still come, and would end the next kernel's."""
        if self._client is not None:
            self._client.close()
            self._client = None
        handle, self._handle = self._handle, None
        if handle is None:
            on_gone()
            return None

        def finish() -> None:
            if handle.kill():
                on_gone()

        reaper = threading.Thread(target=finish, name="kernel-reaper", daemon=True)
        reaper.start()
        return reaper
