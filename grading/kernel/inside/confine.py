"""Per-kernel confinement steps, applied in the kernel's process before any candidate code:
namespaces of its own (mounts, network, IPC), sized scratch mounts, small IPC limits, a
memory cgroup, resource limits, the drop to an unprivileged uid and a seccomp filter.

Standard library only (see the package docstring). Root is needed for the mounts and the
uid drop; without it (a developer's machine) only the limits apply.
"""

from __future__ import annotations

import ctypes
import errno
import fcntl
import os
import resource
import socket
import struct
import threading
from collections.abc import Iterable, Mapping

CLONE_NEWNS = 0x00020000
CLONE_NEWIPC = 0x08000000
CLONE_NEWNET = 0x40000000
MS_RDONLY = 0x1
MS_NOSUID = 0x2
MS_NODEV = 0x4
MS_REC = 0x4000
MS_PRIVATE = 1 << 18
PR_SET_PDEATHSIG = 1
PR_SET_DUMPABLE = 4
PR_SET_SECCOMP = 22
PR_SET_NO_NEW_PRIVS = 38
SECCOMP_MODE_FILTER = 2
SIOCGIFFLAGS = 0x8913
SIOCSIFFLAGS = 0x8914
IFF_UP = 0x1

_libc = ctypes.CDLL(None, use_errno=True)


def _check(result: int, what: str) -> None:
    if result != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def die_with_parent(signal_number: int = 9) -> None:
    """Have the kernel killed when whoever started it goes away."""
    _check(_libc.prctl(PR_SET_PDEATHSIG, signal_number, 0, 0, 0), "prctl(PDEATHSIG)")


CLONE_NEWUSER = 0x10000000
#: the whole id range, mapped onto itself: uids keep their meaning in the new namespace
_IDENTITY_MAP = b"0 0 4294967295\n"


def forbid_user_namespaces() -> None:
    """Move this process into a user namespace mapped 1:1 onto the one it was in, whose
    limit on further user namespaces is 0: neither it nor anything it starts can make one
    (so no tmpfs of a candidate's own, no root in a namespace of its own). bwrap's
    --disable-userns does the same, but needs --unshare-user, which maps a single uid,
    and each kernel has a uid of its own. Needs CAP_SETUID, CAP_SETGID and CAP_SETFCAP
    (mapping root needs the last). On a machine that allows no user namespace at all,
    there is nothing to forbid."""
    ready_read, ready_write = os.pipe()
    helper = os.fork()
    if helper == 0:  # writes our id maps from outside: only the parent namespace may
        status = 1
        try:
            os.close(ready_write)
            if os.read(ready_read, 1) == b"g":
                for name in ("uid_map", "gid_map"):
                    with open(f"/proc/{os.getppid()}/{name}", "wb") as handle:
                        handle.write(_IDENTITY_MAP)
            status = 0
        finally:
            os._exit(status)
    os.close(ready_read)
    made = _libc.unshare(CLONE_NEWUSER) == 0
    error = ctypes.get_errno()
    os.write(ready_write, b"g" if made else b"n")
    os.close(ready_write)
    _pid, status = os.waitpid(helper, 0)
    if not made:
        if error in (errno.EPERM, errno.ENOSPC, errno.EUSERS):
            return  # user namespaces are off on this machine: none to forbid
        raise OSError(error, f"unshare(user namespace): {os.strerror(error)}")
    if status != 0:
        raise OSError("could not map ids into the new user namespace")
    with open("/proc/sys/user/max_user_namespaces", "w", encoding="ascii") as handle:
        handle.write("0")


def own_namespaces() -> None:
    """Mount, network and IPC namespaces of this kernel's own: no abstract unix socket,
    System V or POSIX IPC object is shared with another kernel, and all of them vanish with
    this one. The kernel's own sockets are files, reachable across network namespaces."""
    _check(_libc.unshare(CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWIPC), "unshare(namespaces)")
    _check(_libc.mount(b"none", b"/", None, MS_REC | MS_PRIVATE, None), "mount(private /)")
    _loopback_up()


def _loopback_up() -> None:
    """A new network namespace starts with `lo` down; candidates may still talk to
    themselves over 127.0.0.1 (an asyncio server and its client, say)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        request = struct.pack("16sH14x", b"lo", 0)
        flags = struct.unpack("16sH14x", fcntl.ioctl(probe, SIOCGIFFLAGS, request))[1]
        fcntl.ioctl(probe, SIOCSIFFLAGS, struct.pack("16sH14x", b"lo", flags | IFF_UP))


def private_scratch(mounts: Mapping[str, int], uid: int, *, inodes: int) -> None:
    """A fresh tmpfs on each folder (size in bytes, at most `inodes` files and folders),
    owned by `uid`, in this kernel's own mount namespace: what one kernel writes there, no
    other kernel sees, and it vanishes with it."""
    for folder, size in mounts.items():
        options = f"size={size},nr_inodes={inodes},mode=0700,uid={uid},gid={uid}".encode()
        _check(_libc.mount(b"tmpfs", folder.encode(), b"tmpfs", MS_NOSUID | MS_NODEV, options),
               f"mount(tmpfs on {folder})")


def limit_ipc(limits: Mapping[str, int]) -> None:
    """Set this IPC namespace's System V and POSIX queue limits, e.g.
    {"kernel/shmall": pages, "fs/mqueue/queues_max": 4}: memory held by IPC objects is not
    counted by RLIMIT_AS, so the namespace itself must be small."""
    for name, value in limits.items():
        with open(f"/proc/sys/{name}", "w", encoding="ascii") as handle:
            handle.write(str(value))


class CgroupJoin:
    """Moving this process (and so everything it starts) into the memory cgroup at
    `folder`, in a thread, while the kernel application starts.

    A move waits for an RCU grace period whenever no other move happened in the last few
    milliseconds: about 10 ms, which was a quarter of a kernel's start, spent asleep on
    the kernel's critical path (issue 13). The file is opened here, with the privileges
    the move needs (the kernel checks the opener's credentials, not the writer's), so the
    write can happen after the uid drop, in a thread started after the seccomp filter
    (which it inherits). `wait` must return before any candidate code can run: it raises
    if the move failed, and closes the file."""

    def __init__(self, folder: str) -> None:
        self._fd = os.open(os.path.join(folder, "cgroup.procs"), os.O_WRONLY | os.O_CLOEXEC)
        self._error: OSError | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._move, name="cgroup-join", daemon=True)
        self._thread.start()

    def _move(self) -> None:
        try:
            os.write(self._fd, b"0")  # 0: the writer's own process, every thread of it
        except OSError as error:
            self._error = error

    def wait(self) -> None:
        if self._thread is None:
            self._move()
        else:
            self._thread.join()
        os.close(self._fd)
        if self._error is not None:
            raise OSError(self._error.errno, f"joining the memory cgroup: "
                                             f"{self._error.strerror}")


def load_syscall_filter(program: bytes) -> None:
    """Install a seccomp BPF program (built grader-side with libseccomp) on this thread,
    for good: every thread and process the kernel starts inherits it."""
    if not program or len(program) % 8:
        raise ValueError("a seccomp program is a non-empty list of 8-byte instructions")

    class SockFprog(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]

    instructions = ctypes.create_string_buffer(program, len(program))
    fprog = SockFprog(len(program) // 8, ctypes.addressof(instructions))
    _check(_libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "prctl(NO_NEW_PRIVS)")
    _check(_libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(fprog), 0, 0),
           "prctl(SECCOMP)")


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


#: files and folders one scratch tmpfs may hold, unless the request says otherwise
DEFAULT_INODES = 20_000


def isolate(request: Mapping[str, object], uid: int) -> CgroupJoin | None:
    """The confinement steps a kernel's request asks for, before the uid drop: own
    namespaces, sized scratch mounts, IPC limits and the memory cgroup (the move into it
    is returned, to be started and waited for: `CgroupJoin`). Without "scratch" (no
    privileges to mount) only the later rlimits apply."""
    if request.get("forbid_user_namespaces"):
        forbid_user_namespaces()
    scratch = request.get("scratch")
    if not isinstance(scratch, Mapping) or not scratch:
        return None
    own_namespaces()
    inodes = request.get("inodes")
    private_scratch(scratch, uid, inodes=inodes if isinstance(inodes, int) else DEFAULT_INODES)
    ipc_limits = request.get("ipc_limits")
    if isinstance(ipc_limits, Mapping):
        limit_ipc(ipc_limits)
    cgroup = request.get("memory_cgroup")
    if not isinstance(cgroup, str):
        return None
    join = CgroupJoin(cgroup)
    # then hide the cgroup folders (its own and its neighbours') behind an empty mount
    # on the folder bound in for them (/run/workbook-memory); the open file stays usable
    cover = os.path.join("/", *cgroup.strip("/").split("/")[:2])
    _check(_libc.mount(b"tmpfs", cover.encode(), b"tmpfs",
                       MS_NOSUID | MS_NODEV | MS_RDONLY, b"size=4k,mode=0555"),
           f"mount(empty tmpfs on {cover})")
    return join


def seal(request: Mapping[str, object]) -> None:
    """The last step before the kernel starts: the request's seccomp filter, if any."""
    program = request.get("syscall_filter")
    if isinstance(program, str) and program:
        import base64

        load_syscall_filter(base64.b64decode(program))
