"""The `workbook-confined` kernelspec's launcher: `python -m grading.kernel.launch -f CONN`.

Runs on the host, started by any Jupyter client. It checks the connection file asks for
IPC transport (a kernel without network cannot serve TCP), then runs a one-shot kernel
(inside/kernel_main.py) under bubblewrap with the folder of the IPC sockets bound in, and
the same confinement the engine's zygote children get: its own namespaces, sized scratch
tmpfs, IPC limits, rlimits, an unprivileged uid, the seccomp filters and (as root) a memory
cgroup. As root it stays as the kernel's parent: it gives the socket folder back to its
owner once the sockets exist, and removes the cgroup after the kernel. Limits come from
$WORKBOOK_KERNEL_REQUEST (JSON, set by the engine) or from GradingConfig's defaults.
Without bwrap it runs with limits only and says so.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import secrets
import signal
import stat
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import cast

from grading.config import GradingConfig
from grading.kernel import sandbox
from grading.kernel.cgroups import MemoryCgroup
from grading.kernel.cgroups import delegate as delegate_memory_cgroup
from grading.kernel.inside.protocol import KernelRequest
from grading.kernel.starter import REQUEST_ENV, confinement_available, kernel_limits


def _fail(message: str) -> None:
    sys.stderr.write(f"workbook-confined: {message}\n")
    raise SystemExit(2)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m grading.kernel.launch")
    parser.add_argument("-f", dest="connection_file", required=True)
    args = parser.parse_args(argv)
    connection_path = Path(args.connection_file).resolve()
    try:
        connection = json.loads(connection_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        _fail(f"{connection_path}: cannot read the connection file: {error}")
    if connection.get("transport") != "ipc":
        _fail("this kernel has no network; start it with transport='ipc' "
              "(e.g. KernelManager(transport='ipc', ip='/some/empty/folder/kernel'))")
    host_ip = str(Path(connection["ip"]).resolve())
    socket_dir = Path(host_ip).parent
    config = GradingConfig()
    confined = confinement_available(config)
    privileged = os.geteuid() == 0 and confined
    # inside the sandbox the socket folder has a sandbox path: no host path shows
    kernel_dir = f"{sandbox.SANDBOX_RUN_DIR}/kernel" if confined else str(socket_dir)
    connection["ip"] = f"{kernel_dir}/{Path(connection['ip']).name}"
    # the engine may override the limits (never the folders, the connection or the uid)
    overrides = json.loads(os.environ.get(REQUEST_ENV) or "{}")
    request = KernelRequest(
        kernel_dir=kernel_dir, connection=connection,
        output_limit=int(overrides.get("output_limit", config.output_limit)),
        limits={**kernel_limits(config), **overrides.get("limits", {})},
        uid=config.uid_base + secrets.randbelow(1_000_000) if privileged else None,
        scratch={folder: config.scratch_size
                 for folder in ("/tmp", sandbox.SANDBOX_WORKDIR, "/dev/shm")}
        if privileged else None,
        workdir=sandbox.SANDBOX_WORKDIR if privileged else f"{kernel_dir}/work")
    if confined:
        # the policy holds only KernelRequest's optional sandbox fields
        request.update(cast(KernelRequest, sandbox.kernel_policy(config, privileged=privileged)))
        request["forbid_user_namespaces"] = privileged
    memory = _memory_cgroup(config) if privileged else None
    if memory is not None:
        request["memory_cgroup"] = sandbox.SANDBOX_CGROUP_DIR
    # the request (with the key) goes in the socket folder, which the sandbox sees anyway
    handle, request_path = tempfile.mkstemp(prefix="request-", suffix=".json",
                                            dir=socket_dir)
    with os.fdopen(handle, "w", encoding="utf-8") as stream:
        json.dump(request, stream)
    if not confined:
        command = [sys.executable, "-I", str(sandbox.INSIDE_CODE / "kernel_main.py"),
                   request_path]
        os.execv(command[0], command)
    inner = [sandbox.sandbox_python(), "-I", f"{sandbox.SANDBOX_CODE_DIR}/kernel_main.py",
             f"{kernel_dir}/{Path(request_path).name}"]
    program = sandbox.syscall_filter("zygote")
    seccomp_fd = sandbox.data_fd(program) if program else None
    writable = {kernel_dir: socket_dir}
    if memory is not None:
        writable[sandbox.SANDBOX_CGROUP_DIR] = memory.folder / "kernel"
    command = sandbox.bwrap_command(inner, writable=writable, keep_capabilities=privileged,
                                    tmp_size=config.scratch_size, seccomp_fd=seccomp_fd)
    if not privileged:
        command[1:1] = sandbox.own_user_namespace_options()
    command, args_fd = sandbox.with_arguments_from_fd(command)
    if not privileged:
        os.execv(command[0], command)
    sockets = [Path(f"{host_ip}-{connection[f'{name}_port']}")
               for name in ("shell", "iopub", "stdin", "control", "hb")]
    raise SystemExit(_supervise(command, [fd for fd in (seccomp_fd, args_fd) if fd],
                                socket_dir, sockets, memory, config.startup_timeout))


def _memory_cgroup(config: GradingConfig) -> MemoryCgroup | None:
    """A memory cgroup for this one kernel (a child folder of a delegated one, which is
    what cgroup v2 needs), or None, said once."""
    memory, reason = delegate_memory_cgroup(config.memory_limit)
    if memory is None:
        sandbox.warn_defence_missing_once(
            "a memory cgroup per kernel", reason,
            "tmpfs, System V and socket memory are then bounded by mount sizes and IPC "
            "limits only. Run as root on a machine with a writable memory cgroup.")
        return None
    folder = memory.folder / "kernel"
    folder.mkdir()
    for name, value in memory.limits.items():
        (folder / name).write_text(str(value))
    return memory


def _supervise(command: list[str], fds: list[int], socket_dir: Path, sockets: list[Path],
               memory: MemoryCgroup | None, startup_timeout: float) -> int:
    """Run the confined kernel as a child; once its sockets exist, give its socket folder
    back to its owner, so candidate code cannot write there (the folder is on the host's
    disk); remove its memory cgroup after it. Returns the kernel's exit status.

    Jupyter stops a kernel by killing this process (or its process group): bwrap's
    --die-with-parent takes the kernel with it."""
    owner = socket_dir.stat()
    process = subprocess.Popen(command, pass_fds=fds)
    for fd in fds:
        os.close(fd)
    signal.signal(signal.SIGTERM, lambda *_: process.kill())
    try:
        deadline = time.monotonic() + startup_timeout
        while (process.poll() is None and time.monotonic() < deadline
               and not all(path.exists() for path in sockets)):
            time.sleep(0.005)
        # the mode before the owner: ipykernel may be reading these right now, and a
        # folder or file changing hands keeps its old, private mode until the chmod
        os.chmod(socket_dir, stat.S_IMODE(owner.st_mode) & ~0o022)
        os.chown(socket_dir, owner.st_uid, owner.st_gid)
        # its connection file stays (ipykernel reads it once more) but becomes read-only
        connection_file = socket_dir / "kernel-confined.json"
        with contextlib.suppress(OSError):
            os.chmod(connection_file, 0o644)
            os.chown(connection_file, owner.st_uid, owner.st_gid)
        return process.wait()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        if memory is not None:
            memory.remove()


if __name__ == "__main__":
    main()
