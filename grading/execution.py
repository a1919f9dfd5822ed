"""One candidate's kernel over a whole submission: run its steps (answer cells and checks)
through the in-kernel harness, find the step a fault belongs to, and when a fault leaves
the kernel unusable, start a fresh one and replay the answer cells that ran so far, so the
next step finds the state it would have found.

All the steps go to the kernel in one request, because each request costs several ms of
fixed ipykernel and IPython work; the harness reports after every step, so the first step
without a report is the one a timeout, crash or flood belongs to, and the steps after it
go in a new request.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from grading.config import GradingConfig
from grading.kernel.client import OBSERVATION_BUDGET, CellRun, KernelClient
from grading.kernel.starter import KernelHandle, ZygoteStarter

#: the steps travel in the request's metadata: as literals in the cell, IPython would
#: tokenize and compile tens of kB of strings before running it (about 10 ms)
HARNESS_CALL = 'await __import__("_workbook_harness").run()'


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


class TooManyRestarts(Exception):
    """The submission used up its kernel restarts; `remaining` steps were not run."""

    def __init__(self, remaining: Sequence[Step]) -> None:
        super().__init__(f"{len(remaining)} steps not run")
        self.remaining = tuple(remaining)


#: what the engine is told after each request: a step and every report that claimed it
OnReports = Callable[[Step, list[dict[str, Any]]], None]
#: a step that ended without a report, and how the request ended
OnFault = Callable[[Step, CellRun], None]


class CandidateKernel:
    """A kernel for one submission, restarted (with replay) whenever a fault breaks it."""

    def __init__(self, starter: ZygoteStarter, uid: int, config: GradingConfig,
                 on_replay_fault: OnFault) -> None:
        self._starter = starter
        self._uid = uid
        self._config = config
        self._on_replay_fault = on_replay_fault
        self._handle: KernelHandle | None = None
        self._client: KernelClient | None = None
        #: answer cells that ran in this submission's kernels, in order
        self.history: list[Step] = []
        #: answer cells a fresh kernel has yet to replay
        self._to_replay: list[Step] = []
        self.starts = 0

    def _ready_client(self, pending: Sequence[Step]) -> KernelClient:
        if self._client is not None:
            return self._client
        if self.starts > self._config.max_restarts:
            raise TooManyRestarts(pending)
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

    def run(self, steps: Sequence[Step], *, wanted: Callable[[Step], bool],
            on_reports: OnReports, on_fault: OnFault) -> None:
        """Run `steps` in order, skipping those `wanted` refuses when their turn comes.

        Each step that reported is passed to `on_reports` (answer cells also join the
        history); the first that did not is passed to `on_fault` with how the request
        ended, and the rest run in a fresh request (in a fresh kernel if needed)."""
        pending = list(steps)
        one_at_a_time = False
        while True:
            pending = [step for step in pending if wanted(step)]
            if not pending:
                return
            client = self._ready_client(pending)
            replaying = list(self._to_replay)
            batch = replaying + pending
            if one_at_a_time:
                batch = batch[:1]
            reports: dict[int, list[dict[str, Any]]] = {}
            run = self._send(client, batch, reports)
            done = len(reports)  # the reports that count are those of the first `done`
            for position, step in enumerate(batch[:done]):
                if position < len(replaying):
                    self._to_replay.remove(step)
                    continue
                pending.remove(step)
                if step.is_answer:
                    self.history.append(step)
                on_reports(step, reports[position])
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
                self._on_replay_fault(culprit, run)
                continue
            pending.remove(culprit)
            on_fault(culprit, run)

    def _send(self, client: KernelClient, batch: list[Step],
              reports: dict[int, list[dict[str, Any]]]) -> CellRun:
        """One request for `batch`; `reports` collects each position's reports, kept
        only while they arrive in order (a report out of order is a forgery)."""
        nonce = secrets.token_hex(8)
        items = [(position, "answer" if step.is_answer else "check", step.setup, step.code)
                 for position, step in enumerate(batch)]

        def accept(payload: dict[str, Any]) -> float | None:
            position = payload.get("index")
            if payload.get("nonce") != nonce or type(position) is not int:
                return None
            if position in reports:
                reports[position].append(payload)
                return None
            if position != len(reports):
                return None
            reports[position] = [payload]
            following = position + 1
            return batch[min(following, len(batch) - 1)].timeout

        return client.execute(HARNESS_CALL, timeout=batch[0].timeout,
                              metadata={"workbook": {"nonce": nonce, "steps": items}},
                              grace=self._config.interrupt_grace,
                              total_timeout=sum(step.timeout for step in batch) + 1.0,
                              on_observation=accept)

    def close(self, on_gone: Callable[[], None]) -> threading.Thread | None:
        """Let the kernel go without waiting for it: the zygote kills it and every process
        of its uid; `on_gone` runs (in another thread) once that is done, so the uid is
        reused only when nothing of this candidate is left."""
        if self._client is not None:
            self._client.close()
            self._client = None
        handle, self._handle = self._handle, None
        if handle is None:
            on_gone()
            return None

        def finish() -> None:
            try:
                handle.kill()
            finally:
                on_gone()

        reaper = threading.Thread(target=finish, name="kernel-reaper", daemon=True)
        reaper.start()
        return reaper
