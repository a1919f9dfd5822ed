"""Where the Python installation appears inside the sandbox, wherever the repo is cloned."""

from __future__ import annotations

from pathlib import Path

from grading.kernel.sandbox import RELOCATED_PYTHON, bwrap_command, python_placements

from .conftest import confined_only


def test_a_python_outside_the_sandbox_mounts_keeps_its_path() -> None:
    prefix = Path("/root/.pyenv/versions/3.11.7")
    assert python_placements([prefix]) == [(prefix, str(prefix))]


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
