"""The zygote outlives anything a kernel leaves behind or a request holds: the next
kernel still starts (issue 10, class 1: a deep folder tree once stopped every kernel)."""

from __future__ import annotations

import os
import socket
import sys
import time
from collections.abc import Iterator

import pytest

from grading.config import GradingConfig
from grading.kernel.starter import RunFolder

from .conftest import confined_only
from .kernels import KernelFactory

pytestmark = confined_only()

DEEP_TREE = ("import os\n"
             "def deep(folder, depth):\n"
             "    made = 0\n"
             "    try:\n"
             "        os.chdir(folder)\n"
             "        for _ in range(depth):\n"
             "            os.mkdir('d')\n"
             "            os.chdir('d')\n"
             "            made += 1\n"
             "    except OSError:\n"
             "        pass\n"
             "    os.chdir('/sandbox')\n"
             "    return made\n")


@pytest.fixture(scope="module")
def factory() -> Iterator[KernelFactory]:
    opened = KernelFactory(GradingConfig(confined=True))
    yield opened
    opened.close()


def _still_serves(factory: KernelFactory) -> None:
    with factory.kernel() as kernel:
        assert kernel.value("", "6 * 7") == 42


def test_folder_trees_deeper_than_any_recursion_limit_do_not_stop_the_zygote(
        factory: KernelFactory) -> None:
    with factory.kernel() as kernel:
        kernel.value(DEEP_TREE)
        made = {folder: kernel.value("", f"deep({folder!r}, 5000)")
                for folder in ("/sandbox", "/tmp", "/dev/shm")}
        assert all(count == 5000 for count in made.values()), made
        # and in its own folder (found by its sockets) or any other of the run: none
        # lets it write
        own = kernel.value(
            "own = sorted({os.path.dirname(line.split()[-1]) for line in "
            "open('/proc/net/unix').read().splitlines()[1:] "
            "if line.split()[-1].startswith('/run/workbook/k/')})", "own")
        assert len(own) == 1
        folders = [*own, "/run/workbook", "/run/workbook/k", "/opt/workbook"]
        left = kernel.value("", f"[deep(folder, 50) for folder in {folders!r}]")
        assert left == [0, 0, 0, 0]
    _still_serves(factory)
    host_folder = factory.starter.run.path / "k" / own[0].rsplit("/", 1)[1]
    deadline = time.monotonic() + 30
    while host_folder.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not host_folder.exists()


@pytest.mark.parametrize("request_bytes", [
    b"not json\n", b"[1, 2, 3]\n", b"{}\n", b'{"kernel_dir": 7}\n', b"\xff\xfe\x00\n",
    b'{"precompile": "nonsense"}\n', b'{"kernel_dir": "/run/workbook/k/x", "connection": {}}\n',
])
def test_a_malformed_request_ends_that_request_only(factory: KernelFactory,
                                                   request_bytes: bytes) -> None:
    with socket.socket(socket.AF_UNIX) as conn:
        conn.connect(str(factory.starter.run.path / "control" / "zygote.sock"))
        conn.sendall(request_bytes)
        conn.settimeout(30)
        answer = b""
        while chunk := conn.recv(4096):
            answer += chunk
    assert not answer.startswith(b"bound")
    _still_serves(factory)


def test_the_graders_run_folder_goes_even_with_a_tree_deeper_than_the_recursion_limit() -> None:
    """Without root, kernels share the grader's uid and work in the run folder."""
    run = RunFolder()
    fd = os.open(run.path / "k", os.O_RDONLY)
    for _ in range(sys.getrecursionlimit() + 500):
        os.mkdir("d", dir_fd=fd)
        deeper = os.open("d", os.O_RDONLY, dir_fd=fd)
        os.close(fd)
        fd = deeper
    os.close(fd)
    run.remove()
    assert not run.path.exists()
