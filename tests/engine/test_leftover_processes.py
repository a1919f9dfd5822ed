"""A process a candidate leaves running dies with its kernel, however it was detached: the
zygote kills every process of the kernel's uid unless the kernel's memory cgroup, which
holds every process it started, is already empty. Seen from the host's /proc."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from grading.config import GradingConfig

from .conftest import confined_only
from .kernels import KernelFactory

pytestmark = confined_only()

#: ways to leave a process behind, each detached from the kernel
LEFT_BEHIND = {
    "new-session": ("import subprocess\n"
                    "subprocess.Popen(['sleep', '1000'], start_new_session=True)"),
    "double-fork": ("import os\n"
                    "if os.fork() == 0:\n"
                    "    os.setsid()\n"
                    "    if os.fork() == 0:\n"
                    "        os.execvp('sleep', ['sleep', '1000'])\n"
                    "    os._exit(0)\n"),
    "ignores-signals": ("import subprocess\n"
                        "subprocess.Popen(['sh', '-c', 'trap \"\" TERM HUP INT; sleep 1000'],"
                        " start_new_session=True)"),
    "fork-walker": ("import os, time\n"
                    "if os.fork() == 0:\n"
                    "    os.setsid()\n"
                    "    while True:  # a new pid every round, never the same process\n"
                    "        time.sleep(0.01)\n"
                    "        if os.fork():\n"
                    "            os._exit(0)\n"),
}


@pytest.fixture(scope="module")
def factory() -> Iterator[KernelFactory]:
    opened = KernelFactory(GradingConfig(confined=True))
    yield opened
    opened.close()


def _living_processes_of(uid: int) -> list[str]:
    """Pids of the processes of `uid` that are not dead (a zombie waits to be reaped)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            state = (entry / "stat").read_text().rpartition(")")[2].split()[0]
            if entry.stat().st_uid == uid and state != "Z":
                found.append(entry.name)
        except (OSError, IndexError):
            continue
    return found


def wait_for(condition: Callable[[], bool], within: float = 10.0) -> bool:
    deadline = time.monotonic() + within
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)  # polling a condition, bounded by the deadline
    return True


def _all_gone(uid: int) -> bool:
    return wait_for(lambda: not _living_processes_of(uid))


@pytest.mark.parametrize("how", list(LEFT_BEHIND))
def test_a_process_left_running_dies_with_its_kernel(factory: KernelFactory, how: str) -> None:
    with factory.kernel() as kernel:
        uid = kernel.value("", "__import__('os').getuid()")
        kernel.value(LEFT_BEHIND[how])
        # the kernel's own process is found, then something besides it
        assert wait_for(lambda: len(_living_processes_of(uid)) >= 2), "nothing was left"
    assert _all_gone(uid), _living_processes_of(uid)
