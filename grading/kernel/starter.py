"""Starting candidate kernels, confined, and handing back a handle to each.

`ZygoteStarter` runs one warm zygote per Grader, inside the sandbox when bubblewrap is
present, and asks it to fork each kernel (~50 ms to ready instead of ~0.5 s for a fresh
interpreter; see grading/engine.py). Each child makes its own private scratch mounts, sets
its rlimits and drops to its own uid before any candidate code runs. The same in-sandbox
code backs the `workbook-confined` kernelspec (grading/kernel/launch.py), which Jupyter
clients use to run one confined kernel the ordinary way.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import select
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from grading.config import GradingConfig
from grading.errors import KernelStartError, SandboxError
from grading.kernel import sandbox
from grading.kernel.inside.protocol import KernelRequest
from grading.kernel.runqueue import RunQueueClock, host_pid_of

KERNEL_NAME = "workbook-confined"
REQUEST_ENV = "WORKBOOK_KERNEL_REQUEST"


@dataclass(frozen=True)
class Endpoints:
    """Where the grader reaches a kernel: IPC socket paths on the host, and the HMAC key."""

    shell: str
    iopub: str
    control: str
    key: bytes


class KernelHandle(Protocol):
    endpoints: Endpoints
    #: the kernel's pid in the grader's pid namespace, where it is known
    host_pid: int | None

    def exit_fd(self) -> int:
        """A descriptor that becomes readable when the kernel may have exited."""

    def exit_code(self) -> int | None:
        """The kernel's exit status once it has exited (negative: killed by that signal)."""

    def kill(self) -> bool:
        """Kill the kernel now, wait (a bounded time) until it and its processes are gone,
        and say whether they are known to be."""

    def run_queue(self) -> RunQueueClock | None:
        """The run-queue wait of the kernel's main thread, or None where it cannot be read
        (step deadlines are then wall-clock time: grading/kernel/runqueue.py)."""


def confinement_available(config: GradingConfig) -> bool:
    """Whether kernels will run under bubblewrap with this config; warns once if not."""
    has_bwrap = sandbox.bwrap_path() is not None
    if config.confined is True and not has_bwrap:
        raise SandboxError("confined=True but bubblewrap (bwrap) is not installed; "
                           "install it (apt-get install bubblewrap) or set confined=None")
    if config.confined is False:
        sandbox.warn_unconfined_once("confined=False in the grading config")
        return False
    if not has_bwrap:
        sandbox.warn_unconfined_once("bwrap not found")
        return False
    return True


def kernel_limits(config: GradingConfig) -> dict[str, int]:
    return {"as": config.memory_limit, "cpu": config.cpu_seconds,
            "nproc": config.max_processes, "fsize": config.file_size_limit,
            "nofile": 1024, "core": 0}


def _connection(ip: str) -> dict[str, Any]:
    return {"transport": "ipc", "ip": ip, "shell_port": 1, "iopub_port": 2, "stdin_port": 3,
            "control_port": 4, "hb_port": 5, "key": secrets.token_hex(16),
            "signature_scheme": "hmac-sha256", "kernel_name": KERNEL_NAME}


def _endpoints(host_prefix: str, connection: dict[str, Any]) -> Endpoints:
    return Endpoints(shell=f"{host_prefix}-1", iopub=f"{host_prefix}-2",
                     control=f"{host_prefix}-4", key=connection["key"].encode())


class RunFolder:
    """The grader's private folder for one Grader: zygote socket and kernel sockets."""

    def __init__(self) -> None:
        self.path = Path(tempfile.mkdtemp(prefix="wb-"))
        self.path.chmod(0o711)  # kernels must traverse it to reach their own socket folder
        (self.path / "control").mkdir(mode=0o700)
        (self.path / "k").mkdir()
        (self.path / "k").chmod(0o711)

    def remove(self) -> None:
        # rm, not shutil.rmtree: a kernel without its own uid may have left a tree there
        # deeper than Python's recursion limit, and RecursionError escapes ignore_errors
        subprocess.run(["rm", "-rf", "--one-file-system", "--", str(self.path)],
                       check=False, stdin=subprocess.DEVNULL, capture_output=True)


class ZygoteKernel:
    """A kernel forked by the zygote; the zygote connection is its process handle."""

    def __init__(self, conn: socket.socket, endpoints: Endpoints) -> None:
        self._conn = conn
        self._buffer = b""
        self._exit: int | None = None
        self._pidfds: list[int] = []
        self._run_queue: RunQueueClock | None = None
        self.endpoints = endpoints
        #: the kernel's pid in the grader's pid namespace, once the zygote has sent a
        #: pidfd of it (None before, or where the machine has no pidfds)
        self.host_pid: int | None = None

    def _read_line(self, timeout: float) -> str | None:
        deadline = time.monotonic() + timeout
        while b"\n" not in self._buffer:
            remaining = max(0.0, deadline - time.monotonic())
            ready, _, _ = select.select([self._conn], [], [], remaining)
            if not ready:
                return None
            try:
                chunk, fds, _flags, _address = socket.recv_fds(self._conn, 65536, 4)
            except OSError:
                chunk, fds = b"", []
            self._pidfds.extend(fds)
            if not chunk:
                self._buffer += b"exit -9\n"  # the zygote went away: so did its kernels
                continue
            self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        text = line.decode()
        if text.startswith("exit "):
            self._exit = int(text.split()[1])
        elif text.startswith("pid ") and self._pidfds:
            self._adopt_pidfd()
        return text

    def _adopt_pidfd(self) -> None:
        """Learn the kernel's host pid from the pidfd sent with `pid N`, open its
        run-queue clock, and let the pidfd go (the open clock is the kernel's own)."""
        pidfd, *extra = self._pidfds
        self._pidfds = []
        try:
            self.host_pid = host_pid_of(pidfd)
            if self.host_pid is not None:
                self._run_queue = RunQueueClock.open(self.host_pid, pidfd)
        finally:
            for fd in (pidfd, *extra):
                os.close(fd)

    def run_queue(self) -> RunQueueClock | None:
        return self._run_queue

    def wait_bound(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while True:
            line = self._read_line(max(0.0, deadline - time.monotonic()))
            if line == "bound":
                return
            if line is None:
                self.kill()
                raise KernelStartError(f"kernel did not start within {timeout:g} s")
            if line.startswith("error "):
                self.kill()
                raise KernelStartError(f"kernel failed to start: {json.loads(line[6:])}")
            if line.startswith("exit "):
                raise KernelStartError(f"kernel exited during start-up (status {line[5:]})")

    def exit_fd(self) -> int:
        return self._conn.fileno()

    def exit_code(self) -> int | None:
        while self._exit is None and self._read_line(0.0) is not None:
            pass
        return self._exit

    def kill(self) -> bool:
        if self._run_queue is not None:
            self._run_queue.close()
            self._run_queue = None
        for fd in self._pidfds:
            os.close(fd)
        self._pidfds = []
        if self._conn.fileno() < 0:
            return self._exit is not None
        if self._exit is None:
            with contextlib.suppress(OSError):
                self._conn.sendall(b"kill\n")
            deadline = time.monotonic() + 5.0
            while self._exit is None and time.monotonic() < deadline:
                self._read_line(deadline - time.monotonic())
        self._conn.close()  # a hang-up: the zygote kills the kernel if it has not yet
        return self._exit is not None


def _world_readable_python() -> bool:
    """Whether an unprivileged uid could run this interpreter outside the sandbox (a Python
    under /root is not: its folders are closed to other users)."""
    for prefix in {Path(sys.base_prefix).resolve(), Path(sys.prefix).resolve()}:
        for folder in [prefix, *prefix.parents]:
            if not folder.stat().st_mode & 0o001:
                return False
    return True


class ZygoteStarter:
    """Forks confined kernels from one warm zygote (see the module docstring)."""

    def __init__(self, config: GradingConfig, *, wait: bool = True) -> None:
        """Launch the zygote and, unless `wait` is false, wait until it is ready (then
        `wait_ready` must be called before the first kernel)."""
        self.config = config
        self.confined = confinement_available(config)
        self.run = RunFolder()
        # the uid drop needs root, and outside the sandbox a Python other users can read
        self.privileged = os.geteuid() == 0 and (self.confined or _world_readable_python())
        self._log = open(self.run.path / "control" / "zygote.log", "wb")  # noqa: SIM115
        socket_name = "control/zygote.sock"
        if self.confined:
            self._inside_run = sandbox.SANDBOX_RUN_DIR
            self._launch = sandbox.zygote_launch(config, run=self.run.path, socket=socket_name,
                                                 privileged=self.privileged)
        else:
            self._inside_run = str(self.run.path)
            self._launch = sandbox.ZygoteLaunch([
                sys.executable, "-I", str(sandbox.INSIDE_CODE / "zygote.py"),
                str(self.run.path / socket_name)])
        self._socket_path = str(self.run.path / socket_name)
        self._process = subprocess.Popen(self._launch.command, stdin=subprocess.DEVNULL,
                                         stdout=subprocess.PIPE, stderr=self._log,
                                         pass_fds=self._launch.fds)
        self._launch.started()
        self._ready = False
        if wait:
            self.wait_ready()

    def wait_ready(self) -> None:
        """Wait (at most the startup timeout) for the zygote to say it is ready."""
        if self._ready:
            return
        assert self._process.stdout is not None
        ready, _, _ = select.select([self._process.stdout], [], [],
                                    self.config.startup_timeout)
        line = self._process.stdout.readline() if ready else b""
        if line.strip() != b"ready":
            log = (self.run.path / "control" / "zygote.log").read_text(errors="replace")
            self.close()
            raise KernelStartError(f"the kernel zygote did not start: {log[-2000:].strip()}")
        self._ready = True

    def start(self, uid: int) -> ZygoteKernel:
        kernel_id = secrets.token_hex(6)
        inside_dir = f"{self._inside_run}/k/{kernel_id}"
        connection = _connection(f"{inside_dir}/s")
        request: KernelRequest = {"kernel_dir": inside_dir, "connection": connection,
                                  "output_limit": self.config.output_limit,
                                  "limits": kernel_limits(self.config),
                                  "uid": uid if self.privileged else None,
                                  "scratch": None, "workdir": f"{inside_dir}/work"}
        if self.confined and self.privileged:
            size = self.config.scratch_size
            request["scratch"] = {"/tmp": size, sandbox.SANDBOX_WORKDIR: size, "/dev/shm": size}
            request["workdir"] = sandbox.SANDBOX_WORKDIR
        conn = self._send(request)
        kernel = ZygoteKernel(conn, _endpoints(str(self.run.path / "k" / kernel_id / "s"),
                                               connection))
        kernel.wait_bound(self.config.startup_timeout)
        return kernel

    def _send(self, request: KernelRequest | dict[str, Any]) -> socket.socket:
        """A new connection to the zygote, with `request` sent on it as one JSON line."""
        conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            conn.connect(self._socket_path)
            conn.sendall(json.dumps(request).encode() + b"\n")
        except OSError as error:
            conn.close()
            raise KernelStartError(f"cannot reach the kernel zygote: {error}") from error
        return conn

    def precompile(self, checks: list[tuple[str, str]], *, shrinker: bool = False) -> int:
        """Have the zygote compile these (setup, code) check pairs once, for every kernel
        it forks afterwards, and with `shrinker` import what shrinking a generated input
        needs; returns how many sources compiled."""
        with self._send({"precompile": checks, "shrinker": shrinker}) as conn:
            conn.settimeout(self.config.startup_timeout)
            answer = b""
            try:
                while not answer.endswith(b"\n") and (chunk := conn.recv(4096)):
                    answer += chunk
            except OSError as error:
                raise KernelStartError(f"the kernel zygote did not answer: {error}") from error
        if not answer.startswith(b"compiled "):
            raise KernelStartError("the kernel zygote did not compile the checks")
        return int(answer.split()[1])

    def close(self) -> None:
        if self._process.poll() is None:
            self._process.kill()
        self._process.wait()
        if self._process.stdout is not None:
            self._process.stdout.close()
        self._log.close()
        self._launch.cleanup()
        self.run.remove()


# A zygote takes about as long to come up as the grader takes to import its gradebook and
# engine (SQLAlchemy, jupyter_client) and read the first submissions: a caller that knows
# it will grade locally launches one first, and the first Grader with the same config
# adopts it instead of launching its own and waiting for it.
_prestarted: ZygoteStarter | None = None
_prestarted_lock = threading.Lock()


def prestart(config: GradingConfig) -> None:
    """Launch a zygote for `config` now, without waiting for it to be ready, for the next
    `adopt_or_start(config)` to take; it stays until taken or `discard_prestarted()`."""
    global _prestarted
    with _prestarted_lock:
        if _prestarted is None:
            _prestarted = ZygoteStarter(config, wait=False)


def adopt_or_start(config: GradingConfig) -> ZygoteStarter:
    """A ready zygote for `config`: the prestarted one if it was launched with an equal
    config, else a new one."""
    global _prestarted
    with _prestarted_lock:
        starter, _prestarted = _prestarted, None
    if starter is not None and starter.config != config:
        starter.close()
        starter = None
    if starter is None:
        return ZygoteStarter(config)
    starter.wait_ready()  # closes it and raises when it did not start
    return starter


def discard_prestarted() -> None:
    """Stop the prestarted zygote if nothing took it."""
    global _prestarted
    with _prestarted_lock:
        starter, _prestarted = _prestarted, None
    if starter is not None:
        starter.close()
