"""A memory cgroup folder delegated to one zygote, for one memory cgroup per kernel.

RLIMIT_AS bounds what a kernel maps, not what it pins elsewhere: tmpfs files, System V
segments, pipe and socket buffers. A memory cgroup counts all of it. The grader makes one
folder below its own cgroup (v1 `memory` hierarchy or v2 with the memory controller),
binds it into the sandbox, and the zygote makes a child folder per kernel with the limit
files named here. Where no writable memory cgroup exists, `delegate` returns None and the
caller warns.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

CGROUP_ROOT = Path("/sys/fs/cgroup")


@dataclass(frozen=True)
class MemoryCgroup:
    """A folder the zygote may fill with per-kernel cgroups, and what to write in each."""

    folder: Path
    limits: dict[str, int]

    def remove(self, timeout: float = 5.0) -> None:
        """Remove the per-kernel folders left, then this one (a cgroup goes only once its
        last process is gone, so try for a while)."""
        deadline = time.monotonic() + timeout
        while self.folder.exists():
            for child in [p for p in self.folder.iterdir() if p.is_dir()]:
                with contextlib.suppress(OSError):
                    child.rmdir()
            with contextlib.suppress(OSError):
                self.folder.rmdir()
            if not self.folder.exists() or time.monotonic() > deadline:
                return
            time.sleep(0.05)


def own_cgroup(controller: str) -> tuple[Path, bool] | None:
    """This process's cgroup folder for `controller` and whether it is cgroup v2."""
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        _number, controllers, path = line.split(":", 2)
        if controller in controllers.split(","):
            return CGROUP_ROOT / controller / path.lstrip("/"), False
    for line in lines:
        if line.startswith("0::"):
            folder = CGROUP_ROOT / line[3:].lstrip("/")
            with contextlib.suppress(OSError):
                if controller in (folder / "cgroup.controllers").read_text().split():
                    return folder, True
    return None


def remove_stale(parent: Path) -> None:
    """Remove the folders of graders and launchers that died without cleaning up (killed
    with SIGKILL, as Jupyter stops a kernel): their pid is in the folder's name."""
    for folder in parent.glob("workbook-*-*"):
        try:
            os.kill(int(folder.name.split("-")[1]), 0)
        except ProcessLookupError:
            MemoryCgroup(folder, {}).remove(timeout=0)
        except (ValueError, OSError):
            continue


def delegate(limit: int) -> tuple[MemoryCgroup | None, str]:
    """A fresh folder for per-kernel memory cgroups with `limit` bytes each, or None and
    why not."""
    found = own_cgroup("memory")
    if found is None:
        return None, "no memory cgroup controller is mounted"
    parent, unified = found
    remove_stale(parent)
    folder = parent / f"workbook-{os.getpid()}-{secrets.token_hex(4)}"
    try:
        folder.mkdir()
        if unified:
            # children of `folder` get the memory controller; `folder` holds no process
            (folder / "cgroup.subtree_control").write_text("+memory")
            limits = {"memory.max": limit, "memory.swap.max": 0}
        else:
            limits = {"memory.limit_in_bytes": limit}
            if (parent / "memory.memsw.limit_in_bytes").exists():  # swap counted too
                limits["memory.memsw.limit_in_bytes"] = limit
    except OSError as error:
        with contextlib.suppress(OSError):
            folder.rmdir()
        return None, f"cannot make a memory cgroup under {parent}: {error.strerror}"
    return MemoryCgroup(folder, limits), ""
