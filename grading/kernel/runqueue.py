"""Time a kernel spent waiting for a CPU, and step deadlines that do not charge it.

A step's time limit is meant for the answer's own work. On a loaded machine a runnable
kernel can wait in the CPU run queue for most of a limit, and a fair answer then fails
because of everyone else's work: a verdict that depends on scheduling. Linux counts that
wait per task (`/proc/PID/schedstat`, second field, nanoseconds on a run queue; needs
CONFIG_SCHED_INFO, which schedstats or delay accounting select), so a step is charged
its wall-clock time less the run-queue wait of the kernel's main thread since it began:
running, sleeping and blocking are charged in full, so a busy loop, a sleep or a blocked
read times out as before.

Only the main thread is read (the harness runs every step there): threads the answer
starts extend nothing by waiting, however many there are, and the main thread's own CPU
time is always charged, so an answer slow in its own thread fails however contended the
machine. What an answer can still do is starve its main thread on purpose (other busy
processes, a lower priority for itself) while other threads or processes work; so the
wait forgiven is bounded per deadline, at RUN_QUEUE_ALLOWANCE times its limit, and a
hostile step holds its kernel at most (1 + RUN_QUEUE_ALLOWANCE) times its limit (then
the interrupt's grace). The price of reading one thread: a fair answer whose work runs
in threads its main thread blocks on (a pool it joins) is still charged their wait.

Where the wait cannot be read (no pid of the kernel on the host, no schedstat file), the
deadline is wall-clock time, as it was.
"""

from __future__ import annotations

import contextlib
import os
import select
from dataclasses import dataclass

#: run-queue wait forgiven per deadline, in multiples of its limit. Three: at the bank's
#: smallest margin (ds-lru-cache: a limit 16x its reference's CPU time, so 64x in all) a
#: fair answer still passes while its kernel gets a sixty-fourth of a CPU, and a hostile
#: step holds a kernel at most four times its limit
RUN_QUEUE_ALLOWANCE = 3.0

_NS = 1e-9


def host_pid_of(pidfd: int) -> int | None:
    """The pid, in this process's pid namespace, of the process `pidfd` refers to (from
    the pidfd's fdinfo, which the kernel translates); None if it cannot be read."""
    try:
        with open(f"/proc/self/fdinfo/{pidfd}", encoding="ascii") as info:
            for line in info:
                if line.startswith("Pid:"):
                    pid = int(line.split()[1])
                    return pid if pid > 0 else None
    except (OSError, ValueError, IndexError):
        return None
    return None


class RunQueueClock:
    """The run-queue wait of one process's main thread, read from a file held open, so a
    pid reused after the process is gone can never be read instead of it."""

    def __init__(self, fd: int) -> None:
        self._fd = fd

    @classmethod
    def open(cls, host_pid: int, pidfd: int | None = None) -> RunQueueClock | None:
        """A clock for `host_pid`, or None where schedstat cannot be read. With `pidfd`,
        the process is checked to be alive after the file is opened: then the file is
        surely its own, not a later process's that reused the pid."""
        try:
            fd = os.open(f"/proc/{host_pid}/schedstat", os.O_RDONLY | os.O_CLOEXEC)
        except OSError:
            return None
        clock = cls(fd)
        if (pidfd is not None and _has_exited(pidfd)) or clock.waited() is None:
            clock.close()
            return None
        return clock

    def waited(self) -> float | None:
        """Seconds the thread has spent runnable but waiting for a CPU, since it began;
        None once the process is gone or the file says nothing readable."""
        try:
            fields = os.pread(self._fd, 128, 0).split()
            return int(fields[1]) * _NS
        except (OSError, ValueError, IndexError):
            return None

    def close(self) -> None:
        if self._fd >= 0:
            with contextlib.suppress(OSError):
                os.close(self._fd)
            self._fd = -1


def _has_exited(pidfd: int) -> bool:
    readable, _, _ = select.select([pidfd], [], [], 0)
    return bool(readable)


@dataclass
class Deadline:
    """When a stretch of `limit` seconds that began at `started` (monotonic seconds, with
    the kernel's run-queue wait then `waited_at_start`) runs out: at `started + limit`
    plus the wait since, of at most RUN_QUEUE_ALLOWANCE x limit. `clock` None: wall
    clock only. Reading the wait costs one pread, done at the start and each time the
    deadline is reached, never in between."""

    started: float
    limit: float
    clock: RunQueueClock | None = None
    waited_at_start: float = 0.0
    #: the run-queue wait forgiven so far
    forgiven: float = 0.0

    @classmethod
    def start(cls, now: float, limit: float, clock: RunQueueClock | None) -> Deadline:
        waited = clock.waited() if clock is not None else None
        if waited is None:
            return cls(now, limit)
        return cls(now, limit, clock, waited)

    @property
    def latest(self) -> float:
        """The time after which no wait is forgiven any more."""
        return self.started + self.limit * (1 + RUN_QUEUE_ALLOWANCE)

    @property
    def at(self) -> float:
        """When the deadline falls, as far as is known now (it only moves later)."""
        return self.started + self.limit + self.forgiven

    def reached(self, now: float) -> bool:
        """Whether the stretch has used its limit by `now`: read the wait again if the
        deadline as known has passed, and forgive what the kernel waited since the start,
        up to the allowance."""
        if now < self.at:
            return False
        if self.clock is None:
            return True
        waited = self.clock.waited()
        if waited is None:  # the process is gone: nothing more to forgive
            return True
        self.forgiven = forgiven_wait(self.limit, waited - self.waited_at_start,
                                      self.forgiven)
        return now >= self.at


def forgiven_wait(limit: float, waited: float, forgiven: float) -> float:
    """The wait a deadline of `limit` forgives once the kernel has waited `waited` seconds
    since it began, having already forgiven `forgiven`: never less than before, never more
    than the allowance."""
    return max(forgiven, min(waited, limit * RUN_QUEUE_ALLOWANCE))
