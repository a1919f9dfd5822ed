"""Candidate code runs confined: no network, none of the grader's files, no way to kill
the grader, bounded memory and processes. Probes are graded like answers: the reference
says what a confined kernel sees, so a probe scores only if confinement held; the same
probes in an unconfined grader show the tests can fail."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from grading.config import GradingConfig
from grading.engine import Grader
from grading.kernel.kernelspec import KERNEL_NAME, ensure_kernelspec
from grading.tasks import Answer, Check, Task

from .conftest import confined_only

pytestmark = confined_only()
REPO_FILE = Path(__file__).resolve().parents[2] / "grading" / "engine.py"


def probe_task(task_id: str, confined_value: str) -> Task:
    return Task(id=task_id, reference=f"def outcome():\n    return {confined_value!r}\n",
                hidden_checks=(Check(name="confined", code="outcome()", points=1),),
                timeout=5.0)


PROBES = (probe_task("network", "blocked"), probe_task("files", "hidden"),
          probe_task("parent", "denied"), probe_task("memory", "limited"),
          probe_task("processes", "bounded"))


@pytest.fixture(scope="module")
def listening_port() -> Iterator[int]:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    yield server.getsockname()[1]
    server.close()


@pytest.fixture(scope="module")
def confined_grader() -> Iterator[Grader]:
    with Grader(PROBES, config=GradingConfig(confined=True, timeout=5.0)) as opened:
        yield opened


def network_probe(port: int) -> str:
    return ("import socket\ntry:\n"
            f"    socket.create_connection(('127.0.0.1', {port}), timeout=2).close()\n"
            "    RESULT = 'connected'\nexcept OSError:\n    RESULT = 'blocked'\n"
            "def outcome():\n    return RESULT\n")


def files_probe(secret: Path) -> str:
    return ("readable = []\n"
            f"for path in ({str(secret)!r}, {str(REPO_FILE)!r}):\n"
            "    try:\n        open(path).read()\n        readable.append(path)\n"
            "    except OSError:\n        pass\n"
            "def outcome():\n    return 'read' if readable else 'hidden'\n")


def score(grader: Grader, task_id: str, code: str) -> int:
    answers = [Answer(task_id=t.id, code=code if t.id == task_id else t.reference)
               for t in grader.tasks]
    results = {r.task_id: r for r in grader.grade(answers)}
    others = [r for r in results.values() if r.task_id != task_id]
    assert all(r.points == r.max_points for r in others), others
    return results[task_id].points


def test_no_network_not_even_the_graders_loopback(confined_grader: Grader,
                                                  listening_port: int) -> None:
    assert score(confined_grader, "network", network_probe(listening_port)) == 1


def test_the_graders_files_are_not_visible(confined_grader: Grader, tmp_path: Path) -> None:
    secret = tmp_path / "gradebook-secret.txt"
    secret.write_text("answer key")
    assert score(confined_grader, "files", files_probe(secret)) == 1


def test_without_confinement_the_same_probes_get_through(listening_port: int,
                                                         tmp_path: Path) -> None:
    secret = tmp_path / "gradebook-secret.txt"
    secret.write_text("answer key")
    config = GradingConfig(confined=False, timeout=5.0)
    with Grader(PROBES, config=config) as unconfined:
        assert score(unconfined, "network", network_probe(listening_port)) == 0
        assert score(unconfined, "files", files_probe(secret)) == 0


def test_the_parent_cannot_be_killed(confined_grader: Grader) -> None:
    code = ("import os\ntry:\n    os.kill(os.getppid(), 9)\n    RESULT = 'killed'\n"
            "except PermissionError:\n    RESULT = 'denied'\n"
            "def outcome():\n    return RESULT\n")
    assert score(confined_grader, "parent", code) == 1
    assert score(confined_grader, "parent", code) == 1  # and the next kernel still starts


def test_memory_is_limited(confined_grader: Grader) -> None:
    code = ("try:\n    hog = bytearray(6 * 1024 ** 3)\n    RESULT = 'allocated'\n"
            "except MemoryError:\n    RESULT = 'limited'\n"
            "def outcome():\n    return RESULT\n")
    assert score(confined_grader, "memory", code) == 1


def test_processes_are_bounded(confined_grader: Grader) -> None:
    code = ("import subprocess\nstarted = []\ntry:\n    while len(started) < 300:\n"
            "        started.append(subprocess.Popen(['sleep', '30']))\nexcept OSError:\n"
            "    pass\n"
            "def outcome():\n    return 'bounded' if len(started) < 100 else len(started)\n")
    assert score(confined_grader, "processes", code) == 1


def test_the_kernelspec_is_installed_and_runs_confined(tmp_path: Path,
                                                       listening_port: int) -> None:
    from jupyter_client.manager import KernelManager

    assert ensure_kernelspec() is not None
    manager = KernelManager(kernel_name=KERNEL_NAME, transport="ipc",
                            ip=str(tmp_path / "sockets" / "kernel"))
    (tmp_path / "sockets").mkdir()
    manager.start_kernel()
    client = manager.client()
    try:
        client.start_channels()
        client.wait_for_ready(timeout=30)
        printed: list[str] = []
        code = ("import os, socket\nprint(os.getuid() != 0, "
                f"os.path.exists({str(REPO_FILE)!r}), end=' ')\n"
                f"try:\n    socket.create_connection(('127.0.0.1', {listening_port}), 2)\n"
                "    print('connected')\nexcept OSError:\n    print('blocked')\n")
        reply = client.execute_interactive(
            code, timeout=20,
            output_hook=lambda msg: printed.append(msg["content"].get("text", "")))
        assert reply["content"]["status"] == "ok"
        assert "".join(printed).split() == ["True", "False", "blocked"]
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


def test_tcp_transport_is_refused_with_a_clear_message(tmp_path: Path) -> None:
    connection = tmp_path / "kernel.json"
    connection.write_text('{"transport": "tcp", "ip": "127.0.0.1"}')
    launched = subprocess.run([sys.executable, "-m", "grading.kernel.launch", "-f",
                               str(connection)], capture_output=True, text=True,
                              env={**os.environ}, timeout=30)
    assert launched.returncode == 2
    assert "start it with transport='ipc'" in launched.stderr


def test_running_unconfined_is_announced_once_on_stderr() -> None:
    code = ("from grading.config import GradingConfig\n"
            "from grading.kernel.starter import confinement_available\n"
            "config = GradingConfig(confined=False)\n"
            "print(confinement_available(config), confinement_available(config))\n")
    ran = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=30)
    assert ran.stdout.split() == ["False", "False"]
    warnings = [line for line in ran.stderr.splitlines() if line.startswith("WARNING")]
    assert len(warnings) == 1
    assert "WITHOUT a sandbox" in warnings[0]
