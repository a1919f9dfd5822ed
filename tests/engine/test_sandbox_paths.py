"""Where the Python installation appears inside the sandbox, wherever the repo is cloned."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from grading.config import GradingConfig
from grading.kernel.kernelspec import KERNEL_NAME, ensure_kernelspec
from grading.kernel.sandbox import RELOCATED_PYTHON, bwrap_command, python_placements

from .conftest import confined_only
from .kernels import KernelFactory

ROOT = Path(__file__).resolve().parents[2]


def test_a_python_outside_the_sandbox_mounts_keeps_its_path() -> None:
    prefix = Path("/root/.pyenv/versions/3.11.7")
    assert python_placements([prefix]) == [(prefix, str(prefix))]


def test_a_virtualenv_shows_under_opt_python_wherever_it_lives(tmp_path: Path) -> None:
    venv = tmp_path / "somewhere" / ".venv"
    venv.mkdir(parents=True)
    (venv / "pyvenv.cfg").write_text("home = /usr/bin\n")
    (inside,) = dict(python_placements([venv])).values()
    assert inside.startswith(f"{RELOCATED_PYTHON}/")


def test_a_venv_under_tmp_is_bound_elsewhere_so_the_tmpfs_cannot_hide_it() -> None:
    venv = Path("/tmp/clone/.venv")
    base = Path("/usr/local")
    placed = dict(python_placements([venv, base]))
    assert placed[venv].startswith(f"{RELOCATED_PYTHON}/")
    assert placed[base] == "/usr/local"


@confined_only()
def test_the_sandbox_mounts_come_before_the_python_binds() -> None:
    command = bwrap_command(["true"], writable={}, keep_capabilities=False)
    tmpfs = command.index("--tmpfs")
    binds = [i for i, arg in enumerate(command) if arg == "--ro-bind"]
    assert all(i > tmpfs for i in binds if command[i + 2] not in ("/usr", "/lib", "/lib64"))


HOST_PATH_PROBE = ("import json, os, sys\n"
                   "from ipykernel.kernelapp import IPKernelApp\n"
                   "SEEN = json.dumps([open('/proc/1/cmdline').read(), "
                   "open('/proc/self/cmdline').read(), dict(os.environ), sys.prefix, "
                   "sys.exec_prefix, sys.executable, sys.path, "
                   "IPKernelApp.instance().connection_file, "
                   "os.getcwd(), [open(f'/proc/{pid}/cmdline').read() for pid in "
                   "os.listdir('/proc') if pid.isdigit() and "
                   "os.access(f'/proc/{pid}/cmdline', os.R_OK)]])\n")


def _host_paths(*extra: Path) -> list[str]:
    """Paths of this machine that say where the grader's files are."""
    return [str(path) for path in (Path(sys.prefix).resolve(), ROOT, *extra)]


@confined_only()
def test_a_kernel_reads_no_host_path_in_its_processes_environment_or_python() -> None:
    factory = KernelFactory(GradingConfig(confined=True))
    try:
        with factory.kernel() as kernel:
            seen = kernel.value(HOST_PATH_PROBE, "SEEN")
    finally:
        factory.close()
    assert "/opt/workbook/zygote.py" in seen  # the probe read what it meant to read
    for path in _host_paths(factory.starter.run.path):
        assert path not in seen


@confined_only()
def test_the_kernelspec_kernel_reads_no_host_path_either(tmp_path: Path) -> None:
    from jupyter_client.manager import KernelManager

    assert ensure_kernelspec() is not None
    (tmp_path / "sockets").mkdir()
    manager = KernelManager(kernel_name=KERNEL_NAME, transport="ipc",
                            ip=str(tmp_path / "sockets" / "kernel"))
    manager.start_kernel()
    client = manager.client()
    try:
        client.start_channels()
        client.wait_for_ready(timeout=30)
        reply = client.execute_interactive(HOST_PATH_PROBE, timeout=30,
                                           user_expressions={"seen": "SEEN"})
        seen = reply["content"]["user_expressions"]["seen"]["data"]["text/plain"]
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)
    assert "kernel_main.py" in seen
    for path in _host_paths(tmp_path):
        assert path not in seen


def test_a_bubblewrap_too_old_to_ban_user_namespaces_is_told_once(tmp_path: Path) -> None:
    """bwrap 0.4 (Debian 11) knows neither --disable-userns nor --size."""
    old = tmp_path / "bwrap"
    old.write_text("#!/bin/sh\necho 'usage: bwrap [OPTIONS...] [--] COMMAND [ARGS...]'\n"
                   "echo '    --unshare-user               Create new user namespace'\n"
                   "echo '    --tmpfs DEST                 Mount new tmpfs on DEST'\n")
    old.chmod(0o755)
    code = ("from grading.kernel import sandbox\n"
            "print(sandbox.own_user_namespace_options(), sandbox.own_user_namespace_options(),"
            " sandbox.bwrap_supports('--size'))\n")
    shown = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           check=True, cwd=ROOT, env={**os.environ,
                                                      "PATH": f"{tmp_path}:/usr/bin:/bin"})
    assert shown.stdout.split() == ["['--unshare-user']", "['--unshare-user']", "False"]
    warnings = [line for line in shown.stderr.splitlines() if line.startswith("WARNING")]
    assert len(warnings) == 1 and "--disable-userns" in warnings[0]
