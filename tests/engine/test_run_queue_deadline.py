"""A step is not charged for time its kernel waited for a CPU (grading/kernel/runqueue.py),
and no answer can stretch its own deadline past the allowance.

The verdict test makes contention deterministic: the kernel and a set of busy loops are
pinned to one CPU, so the kernel gets a fraction of it whatever else the machine does;
the reference of a timed question still passes and its slow decoy still fails. The
attack tests run answers that try to stretch their deadline (busy threads, forked busy
processes, starving their own main thread, sleeping, blocking reads): each still ends in
a timeout, with no more forgiven than the allowance."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bench.pinned_cpu import busy_loops, grader_on_one_cpu
from grading.config import GradingConfig
from grading.kernel.client import KernelClient
from grading.kernel.runqueue import (
    RUN_QUEUE_ALLOWANCE,
    Deadline,
    RunQueueClock,
    forgiven_wait,
)
from grading.results import EventKind
from grading.tasks import Answer
from workbook.bank import load_bank
from workbook.tasks import task_for

from .conftest import confined_only
from .kernels import KernelFactory

pytestmark = confined_only()

#: the limit the attack tests give each stretch: small, so a hostile step ends soon
ATTACK_LIMIT = 0.3
#: busy loops sharing the kernel's CPU in the verdict test: the kernel gets about a sixth
#: of it (less when the machine is busy)
BUSY_LOOPS = 5


class _Readings(RunQueueClock):
    """A clock that reads a given sequence of cumulative waits (the last one repeats)."""

    def __init__(self, waits: list[float]) -> None:
        super().__init__(-1)
        self._waits = waits

    def waited(self) -> float | None:
        return self._waits.pop(0) if len(self._waits) > 1 else self._waits[0]


@settings(max_examples=300, deadline=None)
@given(limit=st.floats(0.01, 100), start_wait=st.floats(0, 1e6),
       increments=st.lists(st.floats(0, 1e3), min_size=1, max_size=20),
       times=st.lists(st.floats(0, 1e3), min_size=1, max_size=20))
def test_a_deadline_never_falls_later_than_its_allowance_allows(
        limit: float, start_wait: float, increments: list[float], times: list[float]) -> None:
    waits = [start_wait]
    for increment in increments:
        waits.append(waits[-1] + increment)
    deadline = Deadline.start(0.0, limit, _Readings(waits))
    latest = limit * (1 + RUN_QUEUE_ALLOWANCE)
    previous = deadline.at
    for now in sorted(times):
        deadline.reached(now)
        assert previous <= deadline.at <= latest * (1 + 1e-9)
        previous = deadline.at
    assert deadline.reached(latest)


@given(limit=st.floats(0.01, 100), now=st.floats(0, 1e3))
def test_a_deadline_whose_kernel_never_waited_is_the_wall_clock(limit: float,
                                                                now: float) -> None:
    deadline = Deadline.start(0.0, limit, _Readings([5.0]))
    assert deadline.reached(now) == (now >= limit)
    assert Deadline.start(0.0, limit, None).reached(now) == (now >= limit)


@given(limit=st.floats(0.01, 100), waited=st.floats(0, 1e4), forgiven=st.floats(0, 1e4))
def test_forgiven_wait_grows_with_the_wait_up_to_the_allowance(limit: float, waited: float,
                                                                forgiven: float) -> None:
    forgiven = min(forgiven, limit * RUN_QUEUE_ALLOWANCE)
    result = forgiven_wait(limit, waited, forgiven)
    assert forgiven <= result <= limit * RUN_QUEUE_ALLOWANCE
    assert result >= min(waited, limit * RUN_QUEUE_ALLOWANCE)


# -- real kernels --------------------------------------------------------------------------

def _cpu_seconds(answer: str, check: str) -> float:
    """CPU seconds `check` takes on `answer` in this process (the kernel runs the same
    Python): what the test sizes its limit from, never what it asserts."""
    namespace: dict[str, object] = {"__name__": "__main__"}
    exec(compile(answer, "<answer>", "exec"), namespace)
    started = time.process_time()
    exec(compile(check, "<check>", "exec"), namespace)
    return time.process_time() - started


def test_a_timed_question_keeps_its_verdicts_when_its_kernel_gets_a_sixth_of_a_cpu() -> None:
    question = load_bank().get("ds-lru-cache")
    task = task_for(question)
    timed = next(check for check in task.hidden_checks
                 if check.name == "constant-time-operations")
    # The limit is a little under the wall time the reference needs at a sixth of a
    # CPU, so in wall-clock time it would fail; charged only its own time it passes while
    # its kernel gets 0.3 of that sixth or more (the allowance's 4x wall time), which
    # leaves room for other sessions on that CPU.
    limit = _cpu_seconds(task.reference, timed.code) * (BUSY_LOOPS + 1) / 1.2
    task = dataclasses.replace(task, hidden_checks=(timed,), public_checks="", timeout=limit)
    decoy = next(d for d in question.decoys if d.name == "list-tracks-recency")

    grader, cpu = grader_on_one_cpu([task], GradingConfig(timeout=limit, interrupt_grace=0.5))
    try:
        with busy_loops(cpu, BUSY_LOOPS):
            fair, = grader.grade([Answer(task_id=task.id, code=task.reference)])
            slow, = grader.grade([Answer(task_id=task.id, code=decoy.code)])
    finally:
        grader.close()
    assert fair.points == fair.max_points, fair
    assert slow.points == 0, slow
    assert [event.kind for event in slow.events] == [EventKind.TIMEOUT], slow


@pytest.fixture(scope="module")
def kernels() -> Iterator[KernelFactory]:
    factory = KernelFactory(GradingConfig(max_processes=48))
    yield factory
    factory.close()


SPINNING_THREADS = """
import threading, hashlib
def spin():
    block = b"x" * (1 << 20)
    while True:
        hashlib.sha256(block).digest()  # releases the GIL: every thread runnable at once
for _ in range(30):
    threading.Thread(target=spin, daemon=True).start()
threading.Event().wait()
"""
FORKED_SPINNERS = """
import os
for _ in range(30):
    if os.fork() == 0:
        while True:
            pass
while True:
    pass
"""
STARVED_MAIN_THREAD = """
import os
os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
for _ in range(6):
    if os.fork() == 0:
        while True:
            pass
os.setpriority(os.PRIO_PROCESS, 0, 19)
while True:
    pass
"""
ATTACKS = {
    "a busy loop": "while True:\n    pass\n",
    "thirty busy threads": SPINNING_THREADS,
    "thirty forked busy processes": FORKED_SPINNERS,
    "a main thread starved on purpose": STARVED_MAIN_THREAD,
    "a sleep": "import time\ntime.sleep(3600)\n",
    "a blocking read": "import os\nr, w = os.pipe()\nos.read(r, 1)\n",
    "a wait on a lock held by nobody who will release it":
        "import threading\nlock = threading.Lock()\nlock.acquire()\nlock.acquire()\n",
}


@pytest.mark.parametrize("attack", sorted(ATTACKS))
def test_an_answer_cannot_stretch_its_deadline_past_the_allowance(
        kernels: KernelFactory, attack: str) -> None:
    with kernels.kernel() as live:
        assert live.handle.run_queue() is not None, "schedstat unreadable: nothing to test"
        client = KernelClient(live.handle, hard_output_limit=1 << 24)
        try:
            run = client.execute(ATTACKS[attack], timeout=ATTACK_LIMIT, grace=0.5)
        finally:
            client.close()
    assert run.status == "timeout", run
    assert run.forgiven <= ATTACK_LIMIT * RUN_QUEUE_ALLOWANCE, run


def test_a_main_thread_starved_by_its_own_processes_is_forgiven_no_more_than_the_allowance(
        kernels: KernelFactory) -> None:
    with kernels.kernel() as live:
        client = KernelClient(live.handle, hard_output_limit=1 << 24)
        try:
            run = client.execute(STARVED_MAIN_THREAD, timeout=ATTACK_LIMIT, grace=0.5)
        finally:
            client.close()
    assert run.status == "timeout", run
    assert 0 < run.forgiven <= ATTACK_LIMIT * RUN_QUEUE_ALLOWANCE, run


def test_the_grader_knows_a_kernels_host_pid_from_the_zygote(kernels: KernelFactory) -> None:
    with kernels.kernel() as live:
        inside = live.value("import os", "os.getpid()")
        host_pid = live.handle.host_pid
        assert host_pid is not None
        with open(f"/proc/{host_pid}/status", encoding="ascii") as status:
            names = next(line for line in status if line.startswith("NSpid:")).split()[1:]
        assert names[0] == str(host_pid) and names[-1] == str(inside)


def test_a_process_whose_wait_cannot_be_read_has_a_wall_clock_deadline() -> None:
    with open("/proc/sys/kernel/pid_max", encoding="ascii") as pid_max:
        beyond = int(pid_max.read()) + 1  # no process can have this pid
    assert RunQueueClock.open(beyond) is None
    exited = subprocess.Popen([sys.executable, "-c", "pass"])
    exited.wait()
    assert RunQueueClock.open(exited.pid) is None
    deadline = Deadline.start(0.0, 1.0, RunQueueClock.open(beyond))
    assert not deadline.reached(0.999) and deadline.reached(1.0)
