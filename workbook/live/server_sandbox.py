"""The candidate's JupyterLab server inside bubblewrap: it sees the candidate's folder and
its own Jupyter folders, nothing else of the interviewer's machine.

Defence in depth behind the route policy (workbook.live.candidate_policy): if a hole in
JupyterLab, jupyter-collaboration or a library ever lets the candidate run code in the
server process, that code still finds no bank, no gradebook, no interviewer notebook, no
repository and no network. The sandbox is the engine's (grading.kernel.sandbox: /usr, the
Python installation and virtualenv read-only, its own pid/IPC/UTS/network namespaces,
empty /tmp), with these differences:

- read-write: the candidate's folder, the server's own Jupyter folders and its run folder
  (its UNIX socket and the confined kernel's sockets);
- read-only: the `grading` and `workbook` packages at /opt/workbook-packages (on
  PYTHONPATH; the engine's sandbox covers their installed copies), with the shipped
  question bank (workbook/questions) hidden under an empty tmpfs;
- the capabilities bubblewrap itself needs to start the confined kernel from inside
  (CAP_SYS_ADMIN, CAP_SYS_CHROOT, CAP_NET_ADMIN, CAP_SYS_PTRACE, CAP_SETUID, CAP_SETGID,
  plus what the kernel's launcher needs to drop the kernel to its own uid). They are held
  in namespaces of the sandbox's own (pid, network, mounts) and none of them reads a file
  the sandbox does not show; docs/threat-model.md says what remains.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

#: the capabilities a nested bubblewrap (the confined kernel's launcher) needs beyond the
#: ones grading.kernel.sandbox keeps for a zygote
_NESTED_BWRAP_CAPABILITIES = ("CAP_SYS_CHROOT", "CAP_NET_ADMIN", "CAP_SYS_PTRACE")
#: where the server (and the confined kernel's launcher it runs) imports our packages from
PACKAGES_DIR = "/opt/workbook-packages"
#: files of /etc that name things (users, hosts, types) and hold no secret
_ETC_FILES = ("/etc/passwd", "/etc/group", "/etc/hosts", "/etc/nsswitch.conf",
              "/etc/mime.types")


@dataclass(frozen=True, kw_only=True)
class ServerSandbox:
    """Where a sandboxed server listens, and the host folders it may write."""

    #: the UNIX socket the server listens on (host path, in a folder it may write)
    socket: Path
    writable: Sequence[Path] = field(default_factory=tuple)

    def python(self) -> str:
        from grading.kernel.sandbox import sandbox_python

        return sandbox_python()


def package_dirs() -> tuple[Path, Path]:
    """The folders of the `grading` and `workbook` packages (a checkout or site-packages)."""
    import grading
    import workbook

    return Path(grading.__file__).parent, Path(workbook.__file__).parent


def sandboxed(command: list[str], sandbox: ServerSandbox, *, env: Mapping[str, str],
              workdir: Path) -> list[str]:
    """`command` run inside the server sandbox, with exactly `env` (plus HOME and PATH)."""
    from grading.kernel.sandbox import bwrap_command

    folders = [Path(folder).resolve() for folder in sandbox.writable]
    args = bwrap_command(command, writable={str(folder): folder for folder in folders},
                         keep_capabilities=True)
    extra: list[str] = []
    for capability in _NESTED_BWRAP_CAPABILITIES:
        extra += ["--cap-add", capability]
    for name in _ETC_FILES:
        extra += ["--ro-bind-try", name, name]
    extra += ["--perms", "0755", "--dir", PACKAGES_DIR]
    for package in package_dirs():
        extra += ["--ro-bind", str(package), f"{PACKAGES_DIR}/{package.name}"]
    extra += ["--perms", "0555", "--tmpfs", f"{PACKAGES_DIR}/workbook/questions",
              "--remount-ro", f"{PACKAGES_DIR}/workbook/questions",
              "--setenv", "PYTHONPATH", PACKAGES_DIR]
    for key, value in env.items():
        extra += ["--setenv", key, value]
    split = args.index("--")
    options = args[:split]
    # the server works in the candidate's folder, not in bwrap_command's /
    options[options.index("--chdir") + 1] = str(workdir.resolve())
    return [*options, *extra, *args[split:]]


def _children(pid: int) -> list[int]:
    found = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            text = Path(f"/proc/{pid}/task/{task}/children").read_text()
            found += [int(child) for child in text.split()]
    except OSError:
        pass
    return found


def _name(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""


def descendants(pid: int) -> list[int]:
    """The processes a sandbox started for its command (bubblewrap's own left out: a
    signal to them would kill everything inside at once, without a clean shutdown)."""
    pending, found = [pid], []
    while pending:
        current = pending.pop()
        for child in _children(current):
            if _name(child) == "bwrap":
                pending.append(child)
            else:
                found.append(child)
    return found
