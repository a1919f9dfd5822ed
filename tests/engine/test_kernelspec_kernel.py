"""The `workbook-confined` kernelspec kernel (live interviews) gets what a zygote child
gets: nothing it can write on the host's disk once it runs, and a memory cgroup that goes
with it."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from grading.kernel.cgroups import own_cgroup
from grading.kernel.kernelspec import KERNEL_NAME, ensure_kernelspec

from .conftest import confined_only

pytestmark = [confined_only(),
              pytest.mark.skipif(os.geteuid() != 0, reason="the supervising launcher is root's")]


@pytest.fixture()
def kernel(tmp_path: Path) -> Iterator[tuple[Any, Any, Path]]:
    from jupyter_client.manager import KernelManager

    assert ensure_kernelspec() is not None
    sockets = tmp_path / "sockets"
    sockets.mkdir(mode=0o755)
    manager = KernelManager(kernel_name=KERNEL_NAME, transport="ipc",
                            ip=str(sockets / "kernel"))
    manager.start_kernel()
    client = manager.client()
    client.start_channels()
    try:
        client.wait_for_ready(timeout=30)
        yield manager, client, sockets
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


def _value(client: Any, code: str, expression: str) -> Any:
    reply = client.execute_interactive(code, timeout=30, user_expressions={"v": expression})
    return reply["content"]["user_expressions"]["v"]["data"]["text/plain"]


def test_its_socket_folder_is_given_back_before_candidate_code_runs(
        kernel: tuple[Any, Any, Path]) -> None:
    _manager, client, sockets = kernel
    made = _value(client, "import os\nmade = []\n"
                          "for name in ('deep', 'deep2'):\n"
                          "    try:\n"
                          "        os.mkdir(f'/run/workbook/kernel/{name}')\n"
                          "        made.append(name)\n"
                          "    except OSError:\n"
                          "        pass\n", "made")
    assert made == "[]"
    owner = sockets.stat()
    assert owner.st_uid == os.geteuid() and not stat.S_IMODE(owner.st_mode) & 0o022
    for path in sockets.iterdir():  # its sockets, and its connection file made read-only
        assert path.is_socket() or (path.stat().st_uid == owner.st_uid
                                    and not stat.S_IMODE(path.stat().st_mode) & 0o222 & ~0o200)


def _start(sockets: Path) -> tuple[Any, Any]:
    from jupyter_client.manager import KernelManager

    sockets.mkdir()
    manager = KernelManager(kernel_name=KERNEL_NAME, transport="ipc",
                            ip=str(sockets / "kernel"))
    manager.start_kernel()
    client = manager.client()
    client.start_channels()
    client.wait_for_ready(timeout=30)
    return manager, client


def test_it_runs_in_a_memory_cgroup_removed_after_it_even_when_killed(tmp_path: Path) -> None:
    found = own_cgroup("memory")
    if found is None:
        pytest.skip("no memory cgroup controller")
    before = set(found[0].glob("workbook-*"))
    manager, client = _start(tmp_path / "first")
    try:
        (folder,) = set(found[0].glob("workbook-*")) - before
        limits = [name for name in ("memory.limit_in_bytes", "memory.max")
                  if (folder / "kernel" / name).exists()]
        assert limits and (folder / "kernel" / "cgroup.procs").read_text().split()
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=False)  # asked to stop: the launcher cleans up
    assert not folder.exists()
    manager, client = _start(tmp_path / "second")
    (killed,) = set(found[0].glob("workbook-*")) - before
    client.stop_channels()
    manager.shutdown_kernel(now=True)  # killed, launcher and all: the next one sweeps
    manager, client = _start(tmp_path / "third")
    try:
        assert not killed.exists()
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=False)
