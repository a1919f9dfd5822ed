"""The `workbook-confined` kernelspec's launcher: `python -m grading.kernel.launch -f CONN`.

Runs on the host, started by any Jupyter client. It checks the connection file asks for
IPC transport (a kernel without network cannot serve TCP), then runs a one-shot kernel
(inside/kernel_main.py) under bubblewrap with the folder of the IPC sockets bound in, and
the same confinement the engine's zygote children get: private scratch tmpfs, rlimits and
an unprivileged uid. Limits come from $WORKBOOK_KERNEL_REQUEST (JSON, set by the engine)
or from GradingConfig's defaults. Without bwrap it runs with limits only and says so.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import sys
import tempfile
from pathlib import Path
from typing import Any

from grading.config import GradingConfig
from grading.kernel import sandbox
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
    socket_dir = Path(connection["ip"]).resolve().parent
    config = GradingConfig()
    confined = confinement_available(config)
    privileged = os.geteuid() == 0 and confined
    # inside the sandbox the socket folder has a sandbox path: no host path shows
    kernel_dir = f"{sandbox.SANDBOX_RUN_DIR}/kernel" if confined else str(socket_dir)
    connection["ip"] = f"{kernel_dir}/{Path(connection['ip']).name}"
    request: dict[str, Any] = {"output_limit": config.output_limit,
                               "limits": kernel_limits(config),
                               "uid": config.uid_base + secrets.randbelow(1_000_000)}
    if confined:
        request.update(sandbox.kernel_policy(config, privileged=privileged),
                       forbid_user_namespaces=privileged)
    request.update(json.loads(os.environ.get(REQUEST_ENV) or "{}"))
    if not privileged:
        request["uid"] = None
    request.update(connection=connection, kernel_dir=kernel_dir,
                   workdir=sandbox.SANDBOX_WORKDIR if privileged else f"{kernel_dir}/work",
                   scratch={folder: config.scratch_size
                            for folder in ("/tmp", sandbox.SANDBOX_WORKDIR, "/dev/shm")}
                   if privileged else None)
    # the request (with the key) goes in the socket folder, which the sandbox sees anyway
    handle, request_path = tempfile.mkstemp(prefix="request-", suffix=".json",
                                            dir=socket_dir)
    with os.fdopen(handle, "w", encoding="utf-8") as stream:
        json.dump(request, stream)
    if confined:
        inner = [sandbox.sandbox_python(), "-I", f"{sandbox.SANDBOX_CODE_DIR}/kernel_main.py",
                 f"{kernel_dir}/{Path(request_path).name}"]
        program = sandbox.syscall_filter("zygote")
        seccomp_fd = sandbox.data_fd(program) if program else None
        command = sandbox.bwrap_command(inner, writable={kernel_dir: socket_dir},
                                        keep_capabilities=privileged,
                                        tmp_size=config.scratch_size, seccomp_fd=seccomp_fd)
        if not privileged:
            command[1:1] = sandbox.own_user_namespace_options()
        command, _args_fd = sandbox.with_arguments_from_fd(command)
    else:
        command = [sys.executable, "-I", str(sandbox.INSIDE_CODE / "kernel_main.py"),
                   request_path]
    os.execv(command[0], command)


if __name__ == "__main__":
    main()
