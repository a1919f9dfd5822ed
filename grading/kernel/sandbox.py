"""The bubblewrap sandbox around candidate kernels, seen from the grader's side.

What a confined process sees: /usr (and the /bin, /lib... links), the Python installation
and the virtualenv, read-only (the virtualenv always under /opt/python, so no host path of
it shows; the base installation at its own path unless a sandbox mount would hide it),
with every file of this package covered (its question bank, engine and metadata: see
`hidden_package_paths`); the engine's in-sandbox code at /opt/workbook, read-only; the run
folder at /run/workbook (kernel sockets); /proc, a minimal /dev, and sized tmpfs mounts on
/tmp and /sandbox. It has no network (IPC transport only), its own pid, IPC and UTS
namespaces, and nothing of the grader's files: no bank, gradebook, submissions or
repository. bwrap reads its own arguments from a descriptor, so /proc/1/cmdline inside
names no host path.

The zygote keeps just the capabilities it needs to confine each child further (its own
namespaces and sized tmpfs mounts, the uid drop, killing a finished kernel's leftovers);
children give up all of them when they switch to their unprivileged uid. Two seccomp
filters (`grading/kernel/syscalls.py`) refuse what a kernel never needs: a loose one on the zygote,
loaded by bwrap, and a strict one each kernel loads after its own set-up. Defences a
machine cannot offer (seccomp bindings, a memory cgroup) are announced once on stderr.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grading.config import GradingConfig
from grading.kernel.cgroups import MemoryCgroup
from grading.kernel.cgroups import delegate as delegate_memory_cgroup

INSIDE_CODE = Path(__file__).parent / "inside"
SANDBOX_CODE_DIR = "/opt/workbook"
SANDBOX_RUN_DIR = "/run/workbook"
SANDBOX_WORKDIR = "/sandbox"
#: CAP_SETFCAP only to map root into the zygote's own user namespace (confine.py)
_ZYGOTE_CAPABILITIES = ("CAP_SYS_ADMIN", "CAP_SETUID", "CAP_SETGID", "CAP_CHOWN", "CAP_KILL",
                        "CAP_FOWNER", "CAP_DAC_OVERRIDE", "CAP_SETFCAP")
_warned: set[str] = set()


def bwrap_path() -> str | None:
    """The bubblewrap executable, or None when it is not installed."""
    return shutil.which("bwrap")


@functools.cache
def bwrap_supports(option: str) -> bool:
    """Whether the installed bwrap knows `option` (--size came in 0.5, --disable-userns in
    0.8; Debian 11 has 0.4)."""
    bwrap = bwrap_path()
    if bwrap is None:
        return False
    shown = subprocess.run([bwrap, "--help"], capture_output=True, text=True, check=False)
    return f"{option} " in shown.stdout + shown.stderr


def own_user_namespace_options() -> list[str]:
    """bwrap options for running without root: a user namespace of bwrap's own, which then
    allows no further one (or a warning where bwrap is too old to do that)."""
    if bwrap_supports("--disable-userns"):
        return ["--unshare-user", "--disable-userns"]
    warn_defence_missing_once(
        "a ban on user namespaces", "this bubblewrap has no --disable-userns (needs 0.8)",
        "Candidate code may then mount a tmpfs of its own in a new user namespace, outside "
        "the memory limits. Upgrade bubblewrap, or grade as root.")
    return ["--unshare-user"]


def warn_unconfined_once(reason: str) -> None:
    """Say loudly, once per process, that candidate code runs with limits only."""
    if "unconfined" in _warned:
        return
    _warned.add("unconfined")
    sys.stderr.write(f"WARNING: workbook grading runs candidate code WITHOUT a sandbox "
                     f"({reason}): resource limits only, network and files stay reachable. "
                     f"Install bubblewrap (apt-get install bubblewrap) to confine it.\n")
    sys.stderr.flush()


def warn_defence_missing_once(defence: str, reason: str, remedy: str) -> None:
    """Say loudly, once per process and defence, that kernels run without `defence`."""
    if defence in _warned:
        return
    _warned.add(defence)
    sys.stderr.write(f"WARNING: workbook grading runs candidate code WITHOUT {defence} "
                     f"({reason}). {remedy}\n")
    sys.stderr.flush()


def _root_dirs() -> list[str]:
    args: list[str] = ["--ro-bind", "/usr", "/usr"]
    for name in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
        path = Path("/") / name
        if path.is_symlink():
            args += ["--symlink", os.readlink(path), str(path)]
        elif path.is_dir():
            args += ["--ro-bind", str(path), str(path)]
    for name in ("/etc/ld.so.cache", "/etc/localtime", "/etc/ssl/certs"):
        args += ["--ro-bind-try", name, name]
    return args


def _bind_readonly_with_parents(path: Path, seen: set[str], *,
                                inside: str | None = None) -> list[str]:
    """Bind `path` read-only (at `inside`, by default its own path), creating the parents
    as plain 0755 dirs (bwrap would make them 0700, unreadable after the uid drop)."""
    target = Path(inside or path)
    args: list[str] = []
    for parent in reversed(target.parents):
        text = str(parent)
        if text == "/" or text in seen or text.startswith("/usr"):
            continue
        seen.add(text)
        args += ["--perms", "0755", "--dir", text]
    return [*args, "--ro-bind", str(path), str(target)]


#: folders the sandbox (or each kernel) replaces with its own: a Python installed below one
#: of them would be hidden, so it is bound under RELOCATED_PYTHON instead
_SHADOWED = ("/tmp", "/dev", "/proc", SANDBOX_WORKDIR, SANDBOX_CODE_DIR, SANDBOX_RUN_DIR)
RELOCATED_PYTHON = "/opt/python"


def _shadowed(path: Path) -> bool:
    return any(path == Path(folder) or path.is_relative_to(folder) for folder in _SHADOWED)


def python_placements(prefixes: list[Path]) -> list[tuple[Path, str]]:
    """Where each Python installation (host folder) appears inside the sandbox: under
    /opt/python for a virtualenv (its host path says where the grader's files are) or
    when a sandbox mount would hide it (a clone under /tmp), else at its own path.
    A virtualenv finds itself from its pyvenv.cfg, so it works from the new place."""
    placements = []
    for index, prefix in enumerate(sorted(set(prefixes))):
        relocate = _shadowed(prefix) or (prefix / "pyvenv.cfg").is_file()
        placements.append((prefix, f"{RELOCATED_PYTHON}/{index}" if relocate else str(prefix)))
    return placements


def _prefixes() -> list[Path]:
    return [Path(sys.base_prefix).resolve(), Path(sys.prefix).resolve()]


def sandbox_python() -> str:
    """The path of this interpreter inside the sandbox (the venv's own `bin/python`, so the
    venv finds its pyvenv.cfg, not the interpreter it links to)."""
    executable = Path(os.path.abspath(sys.executable))
    placed = dict(python_placements(_prefixes()))
    for raw in (sys.prefix, sys.base_prefix):  # the venv first
        root = Path(os.path.abspath(raw))
        if executable.is_relative_to(root):
            return str(Path(placed[Path(raw).resolve()]) / executable.relative_to(root))
    return str(executable)


def python_binds(seen: set[str]) -> list[str]:
    """Read-only binds for the running interpreter and its virtualenv, if any."""
    args: list[str] = []
    for host, inside in python_placements(_prefixes()):
        if not inside.startswith("/usr"):
            args += _bind_readonly_with_parents(host, seen, inside=inside)
    return args


#: the distribution and the import packages whose files the sandbox must not show
DISTRIBUTION = "interview-workbook"
PACKAGES = ("workbook", "grading")


def _package_files() -> set[Path]:
    """Host paths of this package's installed files and folders: the import packages (the
    bank lives in workbook/questions), the dist-info, and top-level files an install puts
    beside them (an editable install's .pth and finder, which name the checkout)."""
    import importlib.metadata
    import importlib.util

    found: set[Path] = set()
    for name in PACKAGES:
        spec = importlib.util.find_spec(name)
        if spec is not None:
            found.update(Path(location).resolve()
                         for location in spec.submodule_search_locations or ())
    # every copy of the metadata on the path (a checkout's egg-info and the venv's
    # dist-info may both be found)
    for distribution in importlib.metadata.distributions(name=DISTRIBUTION):
        base = Path(str(distribution.locate_file(""))).resolve()
        for file in distribution.files or ():
            parts = Path(file).parts
            if not parts or parts[0] == "..":  # data files (kernelspec, template): no secret
                continue
            if parts[0] in PACKAGES or parts[0].endswith((".dist-info", ".egg-info")):
                found.add((base / parts[0]).resolve())  # the whole folder
            else:  # a file in a shared folder (a .pth, a finder and its __pycache__)
                found.add((base / file).resolve())
    return found


def _inside_path(host: Path, placements: list[tuple[Path, str]]) -> str | None:
    """Where a host path shows inside the sandbox, if a Python bind or /usr shows it."""
    for prefix, inside in placements:
        if host.is_relative_to(prefix):
            return str(Path(inside) / host.relative_to(prefix))
    if host.is_relative_to("/usr"):
        return str(host)
    return None


def hidden_package_paths() -> list[tuple[str, bool]]:
    """Sandbox paths to cover, each with whether it is a folder: every installed file of
    this package that a read-only bind would show (a wheel or conda install puts the
    question bank inside the environment the sandbox mounts)."""
    placements = python_placements(_prefixes())
    covered = []
    for host in sorted(_package_files()):
        inside = _inside_path(host, placements)
        if inside is not None and host != INSIDE_CODE.resolve() and host.exists():
            covered.append((inside, host.is_dir()))
    return covered


def _cover(paths: Iterable[tuple[str, bool]]) -> list[str]:
    args: list[str] = []
    for inside, is_folder in paths:
        if is_folder:  # an empty read-only folder over it
            size = ["--size", "4096"] if bwrap_supports("--size") else []
            args += ["--perms", "0555", *size, "--tmpfs", inside, "--remount-ro", inside]
        else:
            args += ["--ro-bind", os.devnull, inside]
    return args


def bwrap_command(inner: list[str], *, writable: dict[str, Path], keep_capabilities: bool,
                  readonly: tuple[Path, ...] = (), tmp_size: int = 64 * 1024 * 1024,
                  seccomp_fd: int | None = None) -> list[str]:
    """The bwrap command line that runs `inner` confined. `writable` maps sandbox paths to
    the host folders bound there read-write; `readonly` files are bound at their own path;
    `seccomp_fd` is a descriptor bwrap reads a BPF program from."""
    bwrap = bwrap_path()
    if bwrap is None:
        raise FileNotFoundError("bwrap")
    args = [bwrap, "--die-with-parent", "--new-session", "--unshare-pid", "--unshare-net",
            "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try", "--hostname", "sandbox",
            "--cap-drop", "ALL"]
    if keep_capabilities:
        for capability in _ZYGOTE_CAPABILITIES:
            args += ["--cap-add", capability]
    if seccomp_fd is not None:
        args += ["--seccomp", str(seccomp_fd)]
    args += _root_dirs()
    # the sandbox's own mounts first: a bind below one of them must come after it, or the
    # mount hides the bind
    args += ["--proc", "/proc", "--dev", "/dev",
             # the zygote's own /tmp: no kernel sees it, each has one of its own
             *(["--size", str(tmp_size)] if bwrap_supports("--size") else []), "--tmpfs", "/tmp",
             "--perms", "0755", "--dir", SANDBOX_WORKDIR,
             "--perms", "0755", "--dir", "/opt",
             "--ro-bind", str(INSIDE_CODE), SANDBOX_CODE_DIR]
    seen = {"/tmp", "/opt", SANDBOX_WORKDIR}
    args += python_binds(seen)
    args += _cover(hidden_package_paths())
    for inside, host in writable.items():
        for parent in reversed(Path(inside).parents):
            if str(parent) not in seen and str(parent) != "/":
                seen.add(str(parent))
                args += ["--perms", "0755", "--dir", str(parent)]
        args += ["--bind", str(host), inside]
    for path in readonly:
        args += _bind_readonly_with_parents(path, seen)
    args += ["--clearenv", "--setenv", "HOME", SANDBOX_WORKDIR,
             "--setenv", "PATH", "/usr/local/bin:/usr/bin:/bin",
             "--chdir", "/", "--", *inner]
    return args


def data_fd(data: bytes) -> int:
    """An inheritable descriptor, positioned at the start, that reads `data` (a memory
    file: no size limit as with a pipe, nothing on disk)."""
    fd = os.memfd_create("workbook-bwrap", 0)
    os.write(fd, data)
    os.lseek(fd, 0, os.SEEK_SET)
    return fd


def with_arguments_from_fd(command: list[str]) -> tuple[list[str], int]:
    """`bwrap OPTIONS... -- INNER...` as `bwrap --args FD -- INNER...` plus the descriptor
    holding OPTIONS: bwrap's command line is the sandbox's /proc/1/cmdline, which every
    kernel can read, and its options name host paths (INNER names sandbox paths only)."""
    split = command.index("--")
    payload = b"".join(arg.encode() + b"\0" for arg in command[1:split])
    fd = data_fd(payload)
    return [command[0], "--args", str(fd), *command[split:]], fd


#: files and folders one kernel's scratch tmpfs may hold
SCRATCH_INODES = 20_000
#: where the zygote finds the memory cgroup folder delegated to it
SANDBOX_CGROUP_DIR = "/run/workbook-memory"


def ipc_limits(scratch_size: int) -> dict[str, int | str]:
    """Limits of each kernel's own IPC namespace: System V shared memory no larger than a
    scratch mount, few queues and semaphores (their memory is not in RLIMIT_AS)."""
    return {"kernel/shmmax": scratch_size, "kernel/shmall": scratch_size // 4096,
            "kernel/shmmni": 64, "kernel/msgmni": 16, "kernel/sem": "64 1024 32 16",
            "fs/mqueue/queues_max": 16}


def kernel_policy(config: GradingConfig, *, privileged: bool) -> dict[str, Any]:
    """What every kernel's request gets on top of its own fields (see inside/confine.py),
    warning once for each defence this machine cannot offer."""
    policy: dict[str, Any] = {"inodes": SCRATCH_INODES,
                              "ipc_limits": ipc_limits(config.scratch_size)}
    program = syscall_filter("kernel")
    if program:
        policy["syscall_filter"] = base64.b64encode(program).decode()
    return policy


def syscall_filter(layer: str) -> bytes | None:
    """The BPF program of `layer` ("zygote" or "kernel"), or None (warned) without libseccomp."""
    from grading.kernel import syscalls

    try:
        return syscalls.kernel_filter() if layer == "kernel" else syscalls.zygote_filter()
    except syscalls.SeccompUnavailable as error:
        warn_defence_missing_once(
            "a seccomp filter", f"libseccomp cannot be loaded: {error}",
            "Kernels may then call mount, ptrace, keyctl, bpf and the like (they stay in "
            "their namespaces, without capabilities). Install libseccomp2 (apt-get install "
            "libseccomp2) and pyseccomp (pip install pyseccomp).")
        return None


@dataclass
class ZygoteLaunch:
    """The command that starts a confined zygote, the descriptors it must inherit, and
    what to clean up after it."""

    command: list[str]
    fds: list[int] = field(default_factory=list)
    memory: MemoryCgroup | None = None

    def started(self) -> None:
        """The process has its copies of the descriptors: close ours."""
        for fd in self.fds:
            with contextlib.suppress(OSError):
                os.close(fd)
        self.fds.clear()

    def cleanup(self) -> None:
        """After the zygote is gone: remove its memory cgroups."""
        self.started()
        if self.memory is not None:
            self.memory.remove()


def zygote_launch(config: GradingConfig, *, run: Path, socket: str,
                  privileged: bool) -> ZygoteLaunch:
    """The confined zygote's launch: bwrap (arguments from a descriptor, the zygote's
    seccomp filter), the policy file in the run folder's control folder, and a memory
    cgroup folder per zygote where the machine has one. `socket` is relative to `run`."""
    policy: dict[str, Any] = {"kernel": kernel_policy(config, privileged=privileged),
                              "forbid_user_namespaces": privileged}
    launch = ZygoteLaunch(command=[])
    writable = {SANDBOX_RUN_DIR: run}
    if privileged:
        memory, reason = delegate_memory_cgroup(config.memory_limit)
        if memory is None:
            warn_defence_missing_once(
                "a memory cgroup per kernel", reason,
                "tmpfs, System V and socket memory are then bounded by mount sizes and IPC "
                "limits only. Run as root on a machine with a writable memory cgroup.")
        else:
            launch.memory = memory
            policy["memory_cgroup"] = {"root": SANDBOX_CGROUP_DIR, "limits": memory.limits}
            writable[SANDBOX_CGROUP_DIR] = memory.folder
    policy_path = run / "control" / "policy.json"
    policy_path.write_text(json.dumps(policy), encoding="utf-8")
    inner = [sandbox_python(), "-I", f"{SANDBOX_CODE_DIR}/zygote.py",
             f"{SANDBOX_RUN_DIR}/{socket}", f"{SANDBOX_RUN_DIR}/control/policy.json"]
    program = syscall_filter("zygote")
    seccomp_fd = data_fd(program) if program else None
    command = bwrap_command(inner, writable=writable, keep_capabilities=privileged,
                            tmp_size=config.scratch_size, seccomp_fd=seccomp_fd)
    if not privileged:  # bwrap's own user namespace, which then allows no further one
        command[1:1] = own_user_namespace_options()
    launch.command, args_fd = with_arguments_from_fd(command)
    launch.fds = [fd for fd in (seccomp_fd, args_fd) if fd is not None]
    return launch
