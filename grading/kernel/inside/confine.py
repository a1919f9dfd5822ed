"""Per-kernel confinement steps, applied in the kernel's process before any candidate code:
private scratch mounts, resource limits, and the drop to an unprivileged uid.

Standard library only (see the package docstring). Root is needed for the mounts and the
uid drop; without it (a developer's machine) only the limits apply.
"""

from __future__ import annotations

import ctypes
import os
import resource
from collections.abc import Iterable, Mapping

CLONE_NEWNS = 0x00020000
MS_NOSUID = 0x2
MS_NODEV = 0x4
MS_REC = 0x4000
MS_PRIVATE = 1 << 18
PR_SET_PDEATHSIG = 1
PR_SET_DUMPABLE = 4

_libc = ctypes.CDLL(None, use_errno=True)


def _check(result: int, what: str) -> None:
    if result != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def die_with_parent(signal_number: int = 9) -> None:
    """Have the kernel killed when whoever started it goes away."""
    _check(_libc.prctl(PR_SET_PDEATHSIG, signal_number, 0, 0, 0), "prctl(PDEATHSIG)")


def private_scratch(mounts: Mapping[str, int], uid: int) -> None:
    """A mount namespace of our own with a fresh tmpfs (size in bytes) on each folder, owned
    by `uid`: what one kernel writes there, no other kernel sees, and it vanishes with it."""
    _check(_libc.unshare(CLONE_NEWNS), "unshare(mount namespace)")
    _check(_libc.mount(b"none", b"/", None, MS_REC | MS_PRIVATE, None), "mount(private /)")
    for folder, size in mounts.items():
        options = f"size={size},mode=0700,uid={uid},gid={uid}".encode()
        _check(_libc.mount(b"tmpfs", folder.encode(), b"tmpfs", MS_NOSUID | MS_NODEV, options),
               f"mount(tmpfs on {folder})")


def apply_limits(limits: Mapping[str, int]) -> None:
    """Set rlimits by name: as, cpu, nproc, fsize, nofile, core."""
    for name, value in limits.items():
        which = getattr(resource, f"RLIMIT_{name.upper()}")
        resource.setrlimit(which, (value, value))


def drop_privileges(uid: int) -> None:
    """Become `uid` (and gid `uid`) with no supplementary groups and no capabilities."""
    os.setgroups([])
    os.setresgid(uid, uid, uid)
    os.setresuid(uid, uid, uid)
    # changing uid marks the process undumpable, which hides /proc/self from itself
    _check(_libc.prctl(PR_SET_DUMPABLE, 1, 0, 0, 0), "prctl(DUMPABLE)")


def close_fds_except(keep: Iterable[int]) -> None:
    """Close every inherited descriptor but stdio and `keep`."""
    kept = sorted({0, 1, 2, *keep})
    low = 0
    for fd in [*kept, 1 << 20]:
        if fd > low:
            os.closerange(low, min(fd, resource.getrlimit(resource.RLIMIT_NOFILE)[0]))
        low = fd + 1
