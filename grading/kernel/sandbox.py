"""The bubblewrap sandbox around candidate kernels, seen from the grader's side.

What a confined process sees: /usr (and the /bin, /lib... links), the Python installation
and the virtualenv, read-only (at their own paths, or under /opt/python when they live
below a folder the sandbox replaces, such as a clone under /tmp); the engine's in-sandbox
code at /opt/workbook, read-only;
the run folder at /run/workbook (kernel sockets); /proc, a minimal /dev, and empty /tmp and
/sandbox. It has no network (IPC transport only), its own pid, IPC and UTS namespaces, and
nothing of the grader's files: no bank, gradebook, submissions or repository.

The zygote keeps just the capabilities it needs to confine each child further (private
tmpfs mounts, the uid drop, killing a finished kernel's leftovers); children give up all
of them when they switch to their unprivileged uid.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

INSIDE_CODE = Path(__file__).parent / "inside"
SANDBOX_CODE_DIR = "/opt/workbook"
SANDBOX_RUN_DIR = "/run/workbook"
SANDBOX_WORKDIR = "/sandbox"
_ZYGOTE_CAPABILITIES = ("CAP_SYS_ADMIN", "CAP_SETUID", "CAP_SETGID", "CAP_CHOWN", "CAP_KILL",
                        "CAP_FOWNER", "CAP_DAC_OVERRIDE")
_warned = False


def bwrap_path() -> str | None:
    """The bubblewrap executable, or None when it is not installed."""
    return shutil.which("bwrap")


def warn_unconfined_once(reason: str) -> None:
    """Say loudly, once per process, that candidate code runs with limits only."""
    global _warned
    if _warned:
        return
    _warned = True
    sys.stderr.write(f"WARNING: workbook grading runs candidate code WITHOUT a sandbox "
                     f"({reason}): resource limits only, network and files stay reachable. "
                     f"Install bubblewrap (apt-get install bubblewrap) to confine it.\n")
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
    """Where each Python installation (host folder) appears inside the sandbox: at its own
    path, or under /opt/python when a sandbox mount would hide it (a clone under /tmp).
    A virtualenv finds itself from its pyvenv.cfg, so it works from the new place."""
    placements = []
    for index, prefix in enumerate(sorted(set(prefixes))):
        inside = f"{RELOCATED_PYTHON}/{index}" if _shadowed(prefix) else str(prefix)
        placements.append((prefix, inside))
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


def bwrap_command(inner: list[str], *, writable: dict[str, Path], keep_capabilities: bool,
                  readonly: tuple[Path, ...] = ()) -> list[str]:
    """The bwrap command line that runs `inner` confined. `writable` maps sandbox paths to
    the host folders bound there read-write; `readonly` files are bound at their own path."""
    bwrap = bwrap_path()
    if bwrap is None:
        raise FileNotFoundError("bwrap")
    args = [bwrap, "--die-with-parent", "--new-session", "--unshare-pid", "--unshare-net",
            "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try", "--hostname", "sandbox",
            "--cap-drop", "ALL"]
    if keep_capabilities:
        for capability in _ZYGOTE_CAPABILITIES:
            args += ["--cap-add", capability]
    args += _root_dirs()
    # the sandbox's own mounts first: a bind below one of them must come after it, or the
    # mount hides the bind
    args += ["--proc", "/proc", "--dev", "/dev",
             "--tmpfs", "/tmp", "--perms", "0755", "--dir", SANDBOX_WORKDIR,
             "--perms", "0755", "--dir", "/opt",
             "--ro-bind", str(INSIDE_CODE), SANDBOX_CODE_DIR]
    seen = {"/tmp", "/opt", SANDBOX_WORKDIR}
    args += python_binds(seen)
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
