"""Run an ipykernel in this process with the engine's output cap and harness installed.

Used both by the zygote's forked children and by the kernelspec's one-shot launcher, so a
kernel behaves the same however it was started. Standard library and ipykernel only.

The output cap sits at the source: `Session.send` of this kernel counts the bytes of every
output message per request, restarting the count after each of the harness's step reports
(one request runs a whole submission), and past the limit drops them, sending one notice instead
(a display tagged FLOOD_MIME) so the grader can record the flood. Candidate code could undo
this; the grader keeps its own, larger, hard limit and restarts the kernel past it.
"""

from __future__ import annotations

import importlib.util
import json
import os
import random
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import confine
from kernel_app import initialized_kernel_app

if TYPE_CHECKING:
    from grading.kernel.inside import protocol
else:
    import protocol

FLOOD_MIME = protocol.FLOOD_MIME
OBSERVATION_MIME = protocol.OBSERVATION_MIME
#: observations have their own budget, so a flood of prints cannot hide them
OBSERVATION_BUDGET = protocol.OBSERVATION_BUDGET
_OUTPUT_TYPES = frozenset({"stream", "display_data", "update_display_data", "execute_result",
                           "error", "clear_output"})
HARNESS_MODULE = protocol.HARNESS_MODULE


def load_harness() -> None:
    """Import the in-kernel harness from next to this file as `_workbook_harness`."""
    if HARNESS_MODULE in sys.modules:
        return
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "harness.py")
    spec = importlib.util.spec_from_file_location(HARNESS_MODULE, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[HARNESS_MODULE] = module
    spec.loader.exec_module(module)


def disable_debugger() -> None:
    """No debugger in a grading kernel: importing debugpy costs ~70 ms per kernel and it
    would open one more socket for candidate code to play with."""
    sys.modules.setdefault("debugpy", None)  # type: ignore[arg-type]


def modules_loaded_by_a_kernel(scratch_dir: str) -> Callable[[], list[str]]:
    """Start finding the modules a kernel imports while starting, by starting one on
    throwaway sockets in a forked child; the zygote imports them once so its children need
    not. Returns the wait for that list, so the caller can import what does not depend on
    it meanwhile (the probe takes about 40 ms of a core)."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(read_end)
            devnull = os.open(os.devnull, os.O_RDWR)
            for fd in (0, 1, 2):
                os.dup2(devnull, fd)
            before = set(sys.modules)
            connection_file = os.path.join(scratch_dir, "probe.json")
            with open(connection_file, "w", encoding="utf-8") as handle:
                json.dump({"transport": "ipc", "ip": os.path.join(scratch_dir, "probe"),
                           "shell_port": 1, "iopub_port": 2, "stdin_port": 3,
                           "control_port": 4, "hb_port": 5, "key": "probe",
                           "signature_scheme": "hmac-sha256"}, handle)
            initialized_kernel_app(connection_file)
            os.write(write_end, "\n".join(sorted(set(sys.modules) - before)).encode())
        finally:
            os._exit(0)
    os.close(write_end)

    def found() -> list[str]:
        chunks = []
        while chunk := os.read(read_end, 65536):
            chunks.append(chunk)
        os.close(read_end)
        os.waitpid(pid, 0)
        return b"".join(chunks).decode().split()

    return found


def _size_of(content: Any) -> tuple[int, bool]:
    """Rough byte size of an output message's content, and whether it is an observation."""
    if not isinstance(content, dict):
        return 0, False
    if "text" in content:
        return len(str(content["text"])), False
    data = content.get("data")
    if isinstance(data, dict):
        size = sum(len(str(value)) for value in data.values())
        return size, OBSERVATION_MIME in data and len(data) == 1
    if "traceback" in content:
        return sum(len(str(line)) for line in content.get("traceback") or ()), False
    return len(str(content)), False


def install_output_cap(session: Any, limit: int) -> None:
    """Wrap `session.send` so each request's output stops at `limit` bytes."""
    original: Callable[..., Any] = session.send
    used: dict[str, list[int]] = {}  # parent msg_id -> [output bytes, observation bytes]

    def capped_send(stream: Any, msg_or_type: Any, content: Any = None, parent: Any = None,
                    *args: Any, **kwargs: Any) -> Any:
        if isinstance(msg_or_type, dict):
            msg_type = msg_or_type.get("header", {}).get("msg_type")
            body = msg_or_type.get("content")
            parent_header = msg_or_type.get("parent_header") or {}
        else:
            msg_type, body = msg_or_type, content
            parent_header = parent.get("header", parent) if isinstance(parent, dict) else {}
        if msg_type not in _OUTPUT_TYPES:
            return original(stream, msg_or_type, content, parent, *args, **kwargs)
        parent_id = str(parent_header.get("msg_id", ""))
        if parent_id not in used:
            if len(used) > 64:
                used.clear()
            used[parent_id] = [0, 0]
        counters = used[parent_id]
        size, is_observation = _size_of(body)
        slot, budget = (1, OBSERVATION_BUDGET) if is_observation else (0, limit)
        before = counters[slot]
        counters[slot] += size
        if counters[slot] <= budget:
            if is_observation:  # a step of the harness ended: the next one starts afresh
                counters[0] = counters[1] = 0
            return original(stream, msg_or_type, content, parent, *args, **kwargs)
        if before <= budget:  # first message over the limit: say so, once
            notice = {"data": {FLOOD_MIME: {"limit": budget}}, "metadata": {},
                      "transient": {}}
            original(stream, "display_data", notice, parent_header or None,
                     ident=kwargs.get("ident"))
        return None

    session.send = capped_send


def kernel_environment(workdir: str) -> dict[str, str]:
    """A kernel's whole environment: nothing of the grader's, its folders in `workdir`."""
    return {"HOME": workdir, "TMPDIR": workdir, "PATH": "/usr/local/bin:/usr/bin:/bin",
            "IPYTHONDIR": os.path.join(workdir, ".ipython"),
            "MPLCONFIGDIR": os.path.join(workdir, ".matplotlib"),
            "JUPYTER_RUNTIME_DIR": os.path.join(workdir, ".jupyter"),
            "PYTHONDONTWRITEBYTECODE": "1", "MPLBACKEND": "Agg"}


def start_kernel(connection_file: str, output_limit: int,
                 on_bound: Callable[[], None] | None = None) -> None:
    """Create the kernel app on `connection_file`, then serve until it is shut down."""
    disable_debugger()
    load_harness()
    app = initialized_kernel_app(connection_file)
    install_output_cap(app.session, output_limit)
    if on_bound is not None:
        on_bound()
    app.start()


def confine_and_run(request: protocol.KernelRequest,
                    on_bound: Callable[[], None] | None) -> None:
    """Confine this process as `request` (a protocol.KernelRequest) says, then become its
    kernel. The kernel's sockets live in request["kernel_dir"], which ends up owned by the
    kernel's uid and closed to everyone else."""
    uid = request.get("uid")
    kernel_dir = request["kernel_dir"]
    os.makedirs(kernel_dir, mode=0o700, exist_ok=True)
    cgroup_join = confine.isolate(request, uid if uid is not None else os.getuid())
    workdir = request["workdir"]
    os.makedirs(workdir, mode=0o700, exist_ok=True)
    connection_file = os.path.join(kernel_dir, "kernel-confined.json")
    with open(os.open(connection_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600),
              "w") as handle:
        json.dump(request["connection"], handle)
    if uid is not None:
        for path in (kernel_dir, workdir, connection_file):
            os.chown(path, uid, uid)
        os.chmod(kernel_dir, 0o700)
    os.environ.clear()
    os.environ.update(kernel_environment(workdir))
    os.chdir(workdir)
    confine.apply_limits(request["limits"])
    if uid is not None:
        confine.drop_privileges(uid)
    confine.seal(request)
    random.seed()  # children of one zygote would otherwise share the parent's state
    if cgroup_join is None:
        start_kernel(connection_file, request["output_limit"], on_bound=on_bound)
        return
    cgroup_join.start()  # overlaps the application's start below

    def in_cgroup_then_bound() -> None:
        cgroup_join.wait()  # before the grader is told it may send code
        if on_bound is not None:
            on_bound()

    start_kernel(connection_file, request["output_limit"], on_bound=in_cgroup_then_bound)


if __name__ == "__main__":  # one-shot kernel: python -I kernel_main.py REQUEST.json
    with open(sys.argv[1], encoding="utf-8") as request_file:
        loaded = json.load(request_file)
    os.unlink(sys.argv[1])
    confine.die_with_parent()
    confine_and_run(loaded, None)
