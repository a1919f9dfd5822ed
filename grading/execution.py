"""One candidate's kernel over a whole submission: start it, run cells and check batches,
and when a fault leaves it unusable, start a fresh one and replay the cells that ran so
far, so the next task finds the state it would have found."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from grading.config import GradingConfig
from grading.kernel.client import OBSERVATION_BUDGET, CellRun, KernelClient
from grading.kernel.starter import KernelHandle, ZygoteStarter

HARNESS_CALL = 'await __import__("_workbook_harness").run({nonce}, {items})'


class TooManyRestarts(Exception):
    """The submission used up its kernel restarts; the remaining tasks are given up."""


@dataclass(frozen=True)
class ReplayedCell:
    task_id: str | None
    code: str
    timeout: float


class CandidateKernel:
    """A kernel for one submission, restarted (with replay) whenever a fault breaks it."""

    def __init__(self, starter: ZygoteStarter, uid: int, config: GradingConfig,
                 on_replay_fault: Callable[[ReplayedCell, CellRun], None]) -> None:
        self._starter = starter
        self._uid = uid
        self._config = config
        self._on_replay_fault = on_replay_fault
        self._handle: KernelHandle | None = None
        self._client: KernelClient | None = None
        self.history: list[ReplayedCell] = []
        self.starts = 0

    def _ready_client(self) -> KernelClient:
        if self._client is not None:
            return self._client
        if self.starts > self._config.max_restarts:
            raise TooManyRestarts
        self.starts += 1
        self._handle = self._starter.start(self._uid)
        hard_limit = 4 * self._config.output_limit + OBSERVATION_BUDGET + (1 << 20)
        self._client = KernelClient(self._handle, hard_output_limit=hard_limit)
        self._client.wait_ready(self._config.startup_timeout)
        for cell in list(self.history):
            run = self._client.execute(cell.code, timeout=cell.timeout,
                                       grace=self._config.interrupt_grace)
            if run.status in ("timeout", "died", "flood"):
                self.history.remove(cell)
                self._on_replay_fault(cell, run)
                if not run.kernel_usable:
                    self._discard()
                    return self._ready_client()
        return self._client

    def _discard(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None
        if self._handle is not None:
            self._handle.kill()
            self._handle = None

    def run_cell(self, cell: ReplayedCell) -> CellRun:
        """Run an answer cell; remembered for replay unless it broke the kernel."""
        client = self._ready_client()
        run = client.execute(cell.code, timeout=cell.timeout,
                             grace=self._config.interrupt_grace)
        if run.status in ("ok", "error"):
            self.history.append(cell)
        if not run.kernel_usable:
            self._discard()
        return run

    def run_checks(self, nonce: str, items: list[tuple[int, str, str]], timeout: float,
                   on_observation: Callable[[dict[str, Any]], bool]) -> CellRun:
        """Run check items through the in-kernel harness, `timeout` s per item."""
        client = self._ready_client()
        code = HARNESS_CALL.format(nonce=json.dumps(nonce), items=repr(items))
        run = client.execute(code, timeout=timeout, grace=self._config.interrupt_grace,
                             total_timeout=timeout * (len(items) + 1),
                             on_observation=on_observation)
        if not run.kernel_usable:
            self._discard()
        return run

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
