"""Memory a kernel pins outside RLIMIT_AS (tmpfs files, System V segments, buffers) is
charged to a memory cgroup of its own, where the machine offers one (issue 10, class 7)."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from grading.config import GradingConfig
from grading.kernel.cgroups import own_cgroup

from .conftest import confined_only
from .kernels import KernelFactory

GiB = 1 << 30
found = own_cgroup("memory")
pytestmark = [confined_only(),
              pytest.mark.skipif(os.geteuid() != 0 or found is None,
                                 reason="needs root and a memory cgroup controller")]


def _kernel_cgroups() -> list[Path]:
    assert found is not None
    return sorted(found[0].glob(f"workbook-{os.getpid()}-*/*/"))


def test_each_kernel_is_in_a_memory_cgroup_of_its_own_with_the_memory_limit() -> None:
    config = GradingConfig(confined=True)
    factory = KernelFactory(config)
    try:
        with factory.kernel(), factory.kernel():
            folders = _kernel_cgroups()
            assert len(folders) == 2
            for folder in folders:
                limit_file = "memory.max" if found and found[1] else "memory.limit_in_bytes"
                assert int((folder / limit_file).read_text()) == config.memory_limit
                assert (folder / "cgroup.procs").read_text().split()  # the kernel is there
    finally:
        factory.close()
    assert _kernel_cgroups() == []  # removed with the zygote


def test_tmpfs_files_beyond_the_memory_limit_end_the_kernel_not_the_machine() -> None:
    """Three scratch mounts of 512 MiB could pin 1.5 GiB that RLIMIT_AS never sees; the
    cgroup's 1 GiB stops the kernel first."""
    factory = KernelFactory(GradingConfig(confined=True, memory_limit=GiB,
                                          scratch_size=512 << 20,
                                          file_size_limit=512 << 20))
    try:
        with factory.kernel() as kernel:
            kernel.client.execute(
                "chunk = b'x' * (1 << 20)\n"
                "for folder in ('/tmp', '/dev/shm', '/sandbox'):\n"
                "    with open(f'{folder}/fill', 'wb') as handle:\n"
                "        for _ in range(500):\n"
                "            handle.write(chunk)\n"
                "            handle.flush()\n")
            deadline = time.monotonic() + 120
            while kernel.handle.exit_code() is None and time.monotonic() < deadline:
                time.sleep(0.2)
            assert kernel.handle.exit_code() is not None
    finally:
        factory.close()



def test_a_kernel_sees_no_cgroup_folder_its_own_or_its_neighbours() -> None:
    factory = KernelFactory(GradingConfig(confined=True))
    try:
        with factory.kernel(), factory.kernel() as kernel:
            shown = kernel.value("import os", "os.listdir('/run/workbook-memory')")
            memory_line = kernel.value("", "[line for line in open('/proc/self/cgroup') "
                                           "if 'memory' in line]")
    finally:
        factory.close()
    assert shown == []
    assert memory_line and "workbook-" in memory_line[0]  # yet it is in its cgroup


def test_the_file_the_kernel_joined_its_cgroup_through_is_closed_before_any_code_runs(
        ) -> None:
    """The move into the cgroup is written through a file opened before the uid drop
    (confine.CgroupJoin); candidate code must not find it open (it would let the kernel
    move processes of its own uid into that cgroup later)."""
    factory = KernelFactory(GradingConfig(confined=True))
    try:
        with factory.kernel() as kernel:
            targets = kernel.value(
                "import os\n"
                "def _targets():\n"
                "    found = []\n"
                "    for fd in os.listdir('/proc/self/fd'):\n"
                "        try:\n"
                "            found.append(os.readlink(f'/proc/self/fd/{fd}'))\n"
                "        except OSError:\n"
                "            pass\n"
                "    return found\n",
                "_targets()")
            memory_line = kernel.value("", "[line for line in open('/proc/self/cgroup') "
                                           "if 'memory' in line]")
    finally:
        factory.close()
    assert targets and not [target for target in targets if "cgroup" in target]
    assert memory_line and "workbook-" in memory_line[0]
