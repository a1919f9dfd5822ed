"""The zygote: a warm interpreter that has imported ipykernel and forks one kernel per
request, so a candidate's kernel starts in ~40 ms instead of ~0.5 s.

Run as `python -I zygote.py SOCKET_PATH [POLICY_PATH]`. The policy (JSON, written by the
grader) says what every kernel gets on top of its request (inode counts, IPC limits, the
seccomp filter, a memory cgroup per kernel) and whether the zygote first moves into a user
namespace that allows no further ones. It listens on a unix socket (in a folder only the
grader can enter; peers are also checked by uid). A request is one JSON line:

    {"kernel_dir": str, "connection": {...}, "output_limit": int, "limits": {...},
     "uid": int | null, "scratch": {"/tmp": bytes, ...} | null, "workdir": str}

and the zygote answers on the same connection with lines `pid N` (with a pidfd of the
kernel attached, so the grader learns its pid on the host, which this pid namespace cannot
name), `bound` (the kernel's sockets exist: connect now) and finally `exit STATUS` once
the kernel is gone and every process of its uid has been killed. A request {"precompile":
[[setup, code], ...]} compiles the grader's checks into the harness's cache before any
fork (answer: `compiled N`), so no kernel compiles them again. Writing `kill` or closing
the connection kills the kernel. The kernel application and its IPython shell are built
here once, before any fork, in an environment of the zygote's own (kernel_app.py): every
child starts from that pristine shell, which has never run code. Nothing per-candidate
exists before the fork: one thread, no zmq context, no session or key, no sockets
(asserted), and the child never returns into this loop.

The zygote outlives anything a kernel does or leaves behind: a fault while handling one
kernel ends that kernel, never the loop; a kernel's folder is handed back to root before
candidate code runs, so the kernel cannot fill it, and it is removed by a separate process
(`rm`), so no tree in it can make the zygote recurse or raise.
"""

from __future__ import annotations

import contextlib
import errno
import gc
import json
import os
import selectors
import signal
import socket
import struct
import sys
import threading
import traceback
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import confine
import kernel_app
import kernel_main

os.environ.pop("JPY_PARENT_PID", None)  # read at import time by ipykernel; we have no parent
kernel_main.disable_debugger()
import ipykernel.ipkernel  # noqa: E402 - the point of a zygote: import once, fork often
import ipykernel.kernelapp  # noqa: E402,F401
import IPython.core.interactiveshell  # noqa: E402,F401

kernel_main.load_harness()


#: standard modules interview answers often import; importing them here saves each kernel
COMMON_MODULES = ("asyncio", "bisect", "collections", "concurrent.futures", "contextlib",
                  "dataclasses", "datetime", "decimal", "enum", "fractions", "functools",
                  "heapq", "itertools", "json", "math", "operator", "queue", "random", "re",
                  "statistics", "string", "threading", "time", "typing", "weakref")
#: what the shrink step of a failed generated-input check imports (workbook/generated/
#: checks.py): about 140 ms of CPU in every kernel that shrinks, paid here once instead,
#: when the grader's checks can shrink (its precompile request says so): 120 ms of the
#: zygote's start that a bank without generated inputs does not wait for
SHRINKER_MODULES = ("hypothesis", "hypothesis.core", "hypothesis.database",
                    "hypothesis.errors")


def warm_up(scratch_dir: str) -> None:
    """Import what a starting kernel imports, so forked children skip it; the common
    modules while the probe child finds the kernel's own."""
    kernel_modules = kernel_main.modules_loaded_by_a_kernel(scratch_dir)
    _import_all(COMMON_MODULES)
    _import_all(kernel_modules())


def _import_all(names: Iterable[str]) -> None:
    import importlib

    for name in names:
        try:
            importlib.import_module(name)
        except Exception:
            continue


def prepare_kernels(scratch_dir: str) -> None:
    """Build the kernel application and shell every child starts from, with the
    environment a kernel gets but folders of the zygote's own (no kernel can enter
    `scratch_dir`); each child then makes its own profile folder and environment."""
    home = os.path.join(scratch_dir, "zygote-home")
    os.makedirs(home, mode=0o700, exist_ok=True)
    os.environ.clear()
    os.environ.update(kernel_main.kernel_environment(home))
    kernel_app.prepare()


@dataclass
class Kernel:
    conn: socket.socket
    request: dict[str, Any]
    pid: int = 0
    bound_fd: int = -1
    buffer: bytes = b""
    exited: bool = False
    status: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


def _send(conn: socket.socket, line: str) -> None:
    with contextlib.suppress(OSError):  # the grader went away: the kernel is killed anyway
        conn.sendall(line.encode() + b"\n")


def _send_pid(conn: socket.socket, pid: int) -> None:
    """Say `pid N`, with a pidfd of the kernel attached where the machine has them: the
    grader reads from it the kernel's pid on the host (for its run-queue wait, see
    grading/kernel/runqueue.py); N is only this namespace's name for it."""
    try:
        pidfd = os.pidfd_open(pid)
    except OSError:  # a kernel without pidfds (before Linux 5.3): the pid alone
        _send(conn, f"pid {pid}")
        return
    try:
        with contextlib.suppress(OSError):
            socket.send_fds(conn, [f"pid {pid}\n".encode()], [pidfd])
    finally:
        os.close(pidfd)


def _child(kernel: Kernel, bound_write: int, keep: list[int]) -> None:
    """In the forked child: confine, then become the kernel. Never returns."""
    status = 1
    bound_open = True
    try:
        request = kernel.request
        os.setsid()
        confine.die_with_parent()
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        devnull = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(devnull, fd)
        confine.close_fds_except([bound_write, *keep])

        def bound() -> None:
            nonlocal bound_open
            os.write(bound_write, b"b")
            os.close(bound_write)
            bound_open = False

        kernel_main.confine_and_run(request, bound)
        status = 0
    except BaseException:
        status = 70
        if bound_open:  # failed before serving: tell the grader why
            report = traceback.format_exc(limit=4)[-3000:]
            os.write(bound_write, b"e" + report.encode("utf-8", "replace"))
    finally:
        os._exit(status)


def _remove_folder(path: str) -> None:
    """Remove a kernel's folder in a process of its own: whatever it holds (a tree deeper
    than any recursion limit, names too long for one path) cannot raise into the zygote.
    The process is reaped with the kernels (its pid is not one of theirs)."""
    with contextlib.suppress(OSError):
        os.posix_spawn("/usr/bin/rm", ["rm", "-rf", "--one-file-system", "--", path], {})


def _hand_back_to_root(kernel_dir: str) -> None:
    """Once a kernel's sockets exist, it has no more to write in its folder: make the
    folder root's, so candidate code cannot create anything in it (its sockets stay)."""
    with contextlib.suppress(OSError):
        os.unlink(os.path.join(kernel_dir, "kernel-confined.json"))  # holds the key
    with contextlib.suppress(OSError):
        os.chown(kernel_dir, 0, 0)
        os.chmod(kernel_dir, 0o711)


class MemoryCgroups:
    """One memory cgroup per kernel under a folder the grader delegated to this zygote."""

    def __init__(self, policy: dict[str, Any] | None) -> None:
        self.root = policy["root"] if policy else None
        self.limits: dict[str, int] = policy["limits"] if policy else {}
        self.leftover: list[str] = []

    def make(self, name: str) -> str | None:
        if self.root is None:
            return None
        folder = os.path.join(self.root, name)
        os.mkdir(folder)
        for file, value in self.limits.items():
            with open(os.path.join(folder, file), "w", encoding="ascii") as handle:
                handle.write(str(value))
        return folder

    def remove_if_empty(self, folder: str | None) -> bool:
        """Remove this kernel's cgroup if no process is left in it, and say whether it
        was. Every process a kernel starts stays in its cgroup (the cgroup folders are
        hidden from it and it has no privilege to move), and the kernel cannot remove a
        cgroup that still holds a process, so True means nothing of the kernel is left."""
        if folder is None:
            return False
        try:
            os.rmdir(folder)
        except OSError:
            return False
        return True

    def remove(self, folder: str | None) -> None:
        """Remove this folder and any earlier one that was still busy (a cgroup goes only
        once its last process has been reaped)."""
        if folder is not None:
            self.leftover.append(folder)
        busy = []
        for path in self.leftover:
            try:
                os.rmdir(path)
            except FileNotFoundError:
                pass
            except OSError:
                busy.append(path)
        self.leftover = busy[-1000:]


def _kill_uid(uid: int) -> None:
    """Kill every process owned by `uid` (a kernel's leftovers: daemons, fork bombs)."""
    helper = os.fork()
    if helper == 0:
        try:
            os.setresuid(uid, uid, uid)
            for _ in range(1000):
                os.kill(-1, signal.SIGKILL)  # every process this uid may signal, bar itself
        except OSError:
            pass  # ESRCH: nothing left
        finally:
            os._exit(0)
    os.waitpid(helper, 0)


class Zygote:
    def __init__(self, path: str, policy: dict[str, Any]) -> None:
        self.kernel_policy: dict[str, Any] = policy.get("kernel", {})
        self.cgroups = MemoryCgroups(policy.get("memory_cgroup"))
        self.selector = selectors.DefaultSelector()
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.listener.bind(path)
        os.chmod(path, 0o600)
        self.listener.listen(64)
        self.listener.setblocking(False)
        self.wake_read, wake_write = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
        signal.set_wakeup_fd(wake_write)
        signal.signal(signal.SIGCHLD, lambda *_: None)
        self.selector.register(self.listener, selectors.EVENT_READ, ("accept", None))
        self.selector.register(self.wake_read, selectors.EVENT_READ, ("reap", None))
        self.by_pid: dict[int, Kernel] = {}

    def serve(self) -> None:
        gc.collect()
        gc.freeze()
        sys.stdout.write("ready\n")
        sys.stdout.flush()
        while True:
            for key, _ in self.selector.select():
                action, kernel = key.data
                try:
                    getattr(self, f"_on_{action}")(kernel)
                except Exception:  # one kernel's trouble must not end the others
                    traceback.print_exc()
                    if kernel is not None:
                        self._abandon(kernel)

    def _abandon(self, kernel: Kernel) -> None:
        """After a fault while handling `kernel`: kill it and drop its connection; its exit
        is still reaped and cleaned up as usual."""
        if kernel.pid and not kernel.exited:
            with contextlib.suppress(OSError):
                os.kill(kernel.pid, signal.SIGKILL)
        with contextlib.suppress(KeyError, ValueError):
            self.selector.unregister(kernel.conn)
        if not kernel.pid:
            kernel.conn.close()

    def _on_accept(self, _: None) -> None:
        conn, _address = self.listener.accept()
        creds = conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
        _pid, peer_uid, _gid = struct.unpack("3i", creds)
        if peer_uid != os.getuid():
            conn.close()
            return
        conn.setblocking(False)
        self.selector.register(conn, selectors.EVENT_READ, ("request", Kernel(conn, {})))

    def _on_request(self, kernel: Kernel) -> None:
        try:
            chunk = kernel.conn.recv(1 << 16)
        except BlockingIOError:
            return
        except OSError:
            chunk = b""
        if kernel.pid:  # a running kernel: any word or a hang-up means "kill it"
            if not chunk:
                self.selector.unregister(kernel.conn)
            if not kernel.exited:
                os.kill(kernel.pid, signal.SIGKILL)
                # and its process group at once: busy children could otherwise keep a
                # kernel that lowered its own priority from running long enough to exit
                with contextlib.suppress(OSError):
                    os.killpg(kernel.pid, signal.SIGKILL)
            return
        kernel.buffer += chunk
        if b"\n" not in kernel.buffer:
            if not chunk:
                self.selector.unregister(kernel.conn)
                kernel.conn.close()
            return
        kernel.request = json.loads(kernel.buffer.split(b"\n", 1)[0])
        if "precompile" in kernel.request:
            self._precompile(kernel)
        else:
            self._spawn(kernel)

    def _precompile(self, kernel: Kernel) -> None:
        """Compile the grader's checks here, once, so every kernel forked later has them."""
        harness = sys.modules[kernel_main.HARNESS_MODULE]
        count = harness.precompile([tuple(pair) for pair in kernel.request["precompile"]])
        if kernel.request.get("shrinker"):
            _import_all(SHRINKER_MODULES)
        gc.collect()
        gc.freeze()
        _send(kernel.conn, f"compiled {count}")
        self.selector.unregister(kernel.conn)
        kernel.conn.close()

    def _spawn(self, kernel: Kernel) -> None:
        assert threading.active_count() == 1, "the zygote must stay single-threaded"
        kernel.request = {**self.kernel_policy, **kernel.request}
        cgroup = self.cgroups.make(os.path.basename(kernel.request["kernel_dir"]))
        kernel.extra["cgroup"] = cgroup
        if cgroup is not None:
            kernel.request["memory_cgroup"] = cgroup
        bound_read, bound_write = os.pipe()
        pid = os.fork()
        if pid == 0:
            _child(kernel, bound_write, [])
        os.close(bound_write)
        kernel.pid, kernel.bound_fd = pid, bound_read
        self.by_pid[pid] = kernel
        _send_pid(kernel.conn, pid)
        self.selector.register(bound_read, selectors.EVENT_READ, ("bound", kernel))

    def _on_bound(self, kernel: Kernel) -> None:
        data = os.read(kernel.bound_fd, 8192)
        self.selector.unregister(kernel.bound_fd)
        os.close(kernel.bound_fd)
        kernel.bound_fd = -1
        if data == b"b":
            if kernel.request.get("uid") is not None:
                _hand_back_to_root(kernel.request["kernel_dir"])
            _send(kernel.conn, "bound")
        elif data.startswith(b"e"):
            _send(kernel.conn, "error " + json.dumps(data[1:].decode("utf-8", "replace")))

    def _on_reap(self, _: None) -> None:
        try:
            while os.read(self.wake_read, 4096):
                pass
        except BlockingIOError:
            pass
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            kernel = self.by_pid.pop(pid, None)
            if kernel is not None:
                try:
                    self._finish(kernel, status)
                except Exception:  # the other kernels' exits are still to be reaped
                    traceback.print_exc()

    def _finish(self, kernel: Kernel, status: int) -> None:
        kernel.exited = True
        uid = kernel.request.get("uid")
        cgroup = kernel.extra.get("cgroup")
        # an empty cgroup needs no killing (a fork of this process, saved per kernel)
        emptied = self.cgroups.remove_if_empty(cgroup)
        if uid is not None and not emptied:
            _kill_uid(uid)
        _remove_folder(kernel.request["kernel_dir"])
        self.cgroups.remove(None if emptied else cgroup)  # and retry earlier busy ones
        if kernel.bound_fd >= 0:
            self.selector.unregister(kernel.bound_fd)
            os.close(kernel.bound_fd)
        code = os.waitstatus_to_exitcode(status)
        _send(kernel.conn, f"exit {code}")
        with contextlib.suppress(KeyError, ValueError):
            self.selector.unregister(kernel.conn)
        kernel.conn.close()


def main() -> None:
    confine.die_with_parent()
    socket_path = sys.argv[1]
    policy: dict[str, Any] = {}
    if len(sys.argv) > 2:
        with open(sys.argv[2], encoding="utf-8") as handle:
            policy = json.load(handle)
    if policy.get("forbid_user_namespaces"):
        confine.forbid_user_namespaces()
    warm_up(os.path.dirname(socket_path))
    prepare_kernels(os.path.dirname(socket_path))
    try:
        Zygote(socket_path, policy).serve()
    except OSError as error:
        if error.errno != errno.EINTR:
            raise


if __name__ == "__main__":
    main()
