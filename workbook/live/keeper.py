"""The one background thread of a kernel's panels: a heartbeat each second, a sync every few.

Each second it tells the panels the time (timers, the interview clock and the heartbeat
that keeps the "kernel stopped" cover away); every `SYNC_SECONDS` it has them read the
session back, so a panel in another kernel (a second interviewer, a reopened notebook)
and the candidate's answer converge on what was written elsewhere.
"""

from __future__ import annotations

import threading
import time
from contextlib import suppress
from typing import Protocol

from grading.errors import GradingError
from workbook.errors import WorkbookError

#: seconds between two reads of the session from the gradebook
SYNC_SECONDS = 2.0
#: seconds between two heartbeats
TICK_SECONDS = 1.0


class Kept(Protocol):
    def tick(self, now: float) -> None: ...
    def sync(self) -> None: ...


class Keeper:
    """Runs `kept.tick` and `kept.sync` on a daemon thread until `stop`."""

    def __init__(self, kept: Kept) -> None:
        self._kept = kept
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def ensure_running(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(target=self._run, name="workbook-panels",
                                            daemon=True)
            self._thread.start()

    def _run(self) -> None:
        last_sync = time.monotonic()
        while not self._stop.wait(TICK_SECONDS):
            self._kept.tick(time.time())
            if time.monotonic() - last_sync >= SYNC_SECONDS:
                last_sync = time.monotonic()
                # the gradebook or the candidate's file may be away for a moment; the next
                # round tries again
                with suppress(GradingError, WorkbookError):
                    self._kept.sync()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
