"""The two JupyterLab servers of a live interview, and the run folder they share.

    candidate    root <session>/candidate/: the candidate's notebook and nothing else.
                 Extensions: CANDIDATE_EXTENSIONS only (every other installed one is off:
                 no terminals, no language servers); the route policy and the confined
                 kernel managers (workbook.live.candidate_server); in bubblewrap when
                 available (workbook.live.server_sandbox).
    interviewer  root <session>/interviewer/: the interviewer's notebook. The candidate's
                 notebook is not under it, so it is never opened there as a second
                 collaboration copy; the interviewer watches it in the candidate's room.

Each server keeps its settings and workspaces in <session>/.lab/<role>/ (kept, so a
resumed session finds its layout again) and its runtime files (connection files with
kernel keys, the server's socket, kernel sockets) in the session's run folder under the
system temp folder, which `RunFolder.remove` deletes when the session ends; a session
killed before that has its run folder deleted when it is resumed.

To run another server extension on a server, add its module to the role's tuple below.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from workbook.errors import SessionError
from workbook.live.lab import JupyterDirs, LabOptions, LabServer
from workbook.live.server_sandbox import ServerSandbox

if TYPE_CHECKING:
    from workbook.live.evidence import EvidenceRecorder
    from workbook.live.session import PreparedSession

#: what the candidate's server runs; every other installed server extension is switched off
CANDIDATE_EXTENSIONS: tuple[str, ...] = (
    "jupyterlab",
    "jupyter_server_ydoc",
    "jupyter_server_fileid",
    "workbook.live.candidate_server",
    "workbook.live.recorder",
)
#: extensions switched on for the interviewer's server, on top of what is installed
INTERVIEWER_EXTENSIONS: tuple[str, ...] = ()
#: the interviewer's page exposes JupyterLab's app object, so a panel whose kernel died
#: can offer to restart it and run the panels again
INTERVIEWER_LAB_ARGS = ("--LabApp.expose_app_in_browser=True",)
LAB_STATE_FOLDER = ".lab"
RUN_FOLDER_PREFIX = "wb-live-"


class RunFolder:
    """A session's temporary folder: runtime files and sockets, holding kernel keys.

    Its name comes from the session folder, so a resumed session finds (and deletes) what
    a killed one left. It sits under the system temp folder because a UNIX socket's path
    must stay under 108 bytes."""

    def __init__(self, session_folder: Path) -> None:
        digest = hashlib.sha256(str(session_folder.resolve()).encode()).hexdigest()[:12]
        self.path = Path(tempfile.gettempdir()) / f"{RUN_FOLDER_PREFIX}{digest}"

    def create(self) -> RunFolder:
        self.remove()  # what a killed session left, keys included
        self.path.mkdir(mode=0o700)
        return self

    def remove(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)

    def role(self, role: str) -> Path:
        folder = self.path / role
        folder.mkdir(mode=0o700, exist_ok=True)
        return folder


def extension_switches(wanted: Sequence[str], *, only: bool) -> dict[str, bool]:
    """`wanted` switched on; with `only`, every other installed server extension off."""
    from jupyter_core.paths import jupyter_config_path
    from jupyter_server.extension.config import ExtensionConfigManager

    installed: Mapping[str, bool] = {}
    if only:
        manager = ExtensionConfigManager(read_config_path=jupyter_config_path())
        installed = manager.get_jpserver_extensions()  # type: ignore[no-untyped-call]
    return {**{name: False for name in installed}, **{name: True for name in wanted}}


def server_dirs(session_folder: Path, run: RunFolder, role: str) -> JupyterDirs:
    state = session_folder / LAB_STATE_FOLDER / role
    return JupyterDirs(config=state / "config", data=state / "data",
                       runtime=run.role(role) / "runtime")


def candidate_options(*, session_folder: Path, notebook: Path, run: RunFolder, ip: str,
                      port: int, token: str, log: Path, confine: bool,
                      extensions: Sequence[str] = CANDIDATE_EXTENSIONS,
                      extra_env: Mapping[str, str] | None = None,
                      pass_fds: Sequence[int] = (), save_delay: float | None = None,
                      env: Mapping[str, str] | None = None,
                      extra_args: Sequence[str] = ()) -> LabOptions:
    """The candidate's server: one notebook, the confined kernel, in bubblewrap if `confine`.
    """
    from grading.kernel.kernelspec import KERNEL_NAME
    from workbook.live.lab import DOCUMENT_SAVE_DELAY

    root = notebook.parent
    folder = run.role("candidate")
    dirs = server_dirs(session_folder, run, "candidate")
    # the confined kernel's socket folder: its launcher gives it back with these bits once
    # the sockets exist, and the kernel (its own uid) must still reach its files; the run
    # folder around it stays closed to everyone else
    kernels = folder / "kernels"
    kernels.mkdir(exist_ok=True)
    kernels.chmod(0o755)
    args = [
        f"--CandidateGuard.notebook={notebook.name}",
        "--ServerApp.terminals_enabled=False",
        "--ServerApp.kernel_manager_class="
        "workbook.live.candidate_server.ConfinedKernelManager",
        "--ServerApp.kernel_spec_manager_class="
        "workbook.live.candidate_server.ConfinedKernelSpecManager",
        f"--MappingKernelManager.default_kernel_name={KERNEL_NAME}",
        f"--KernelSpecManager.allowed_kernelspecs={KERNEL_NAME}",
        "--KernelSpecManager.ensure_native_kernel=False",
        # the confined kernel has no network: its sockets are files in the run folder
        "--KernelManager.transport=ipc",
        f"--KernelManager.ip={kernels / 'kernel'}",
        "--LabApp.extension_manager=readonly",
        *extra_args,
    ]
    sandbox = ServerSandbox(socket=folder / "server.sock",
                            writable=(root, dirs.config, dirs.data, folder)) if confine else None
    if not confine:
        warn_unconfined()
    return LabOptions(root=root, ip=ip, port=port, token=token, log=log, dirs=dirs, env=env,
                      extensions=extension_switches(extensions, only=True), sandbox=sandbox,
                      extra_env=dict(extra_env or {}), pass_fds=tuple(pass_fds),
                      save_delay=DOCUMENT_SAVE_DELAY if save_delay is None else save_delay,
                      extra_args=tuple(args))


def interviewer_options(*, session_folder: Path, notebook: Path, run: RunFolder, ip: str,
                        port: int, token: str, log: Path,
                        extensions: Sequence[str] = INTERVIEWER_EXTENSIONS,
                        save_delay: float | None = None, env: Mapping[str, str] | None = None,
                        extra_args: Sequence[str] = ()) -> LabOptions:
    """The interviewer's server, rooted at the interviewer's own folder."""
    from workbook.live.lab import DOCUMENT_SAVE_DELAY

    return LabOptions(root=notebook.parent, ip=ip, port=port, token=token, log=log, env=env,
                      dirs=server_dirs(session_folder, run, "interviewer"),
                      extensions=extension_switches(extensions, only=False),
                      save_delay=DOCUMENT_SAVE_DELAY if save_delay is None else save_delay,
                      # an option given twice stops the server
                      extra_args=(*INTERVIEWER_LAB_ARGS, *(arg for arg in extra_args
                                                          if arg not in INTERVIEWER_LAB_ARGS)))


@dataclass(frozen=True)
class SessionServers:
    interviewer: LabServer
    #: None when one person drives (no candidate notebook)
    candidate: LabServer | None

    def all(self) -> list[LabServer]:
        return [server for server in (self.candidate, self.interviewer) if server is not None]


def session_servers(prepared: PreparedSession, *, run: RunFolder, ip: str,
                    candidate_port: int, interviewer_port: int, logs: Path,
                    env: Mapping[str, str] | None = None, save_delay: float | None = None,
                    extra_args: Sequence[str] = (),
                    evidence: EvidenceRecorder | None = None) -> SessionServers:
    """Both servers of a session, each with a fresh token, the interviewer's notebook
    trusted in its server's database (widgets render only in trusted notebooks).
    `evidence`: the pipe the candidate's server reports runs and saves to."""
    from workbook.live.lab import trust_notebook

    candidate = None
    if prepared.candidate_notebook is not None:
        candidate = LabServer(candidate_options(
            session_folder=prepared.folder, notebook=prepared.candidate_notebook, run=run,
            ip=ip, port=candidate_port, token=secrets.token_urlsafe(18),
            log=logs / "candidate-lab.log", confine=prepared.candidate_confined,
            save_delay=save_delay, env=env, extra_args=extra_args,
            extra_env=evidence.env if evidence else None,
            pass_fds=(evidence.fd,) if evidence else ()))
    interviewer = interviewer_options(
        session_folder=prepared.folder, notebook=prepared.interviewer_notebook, run=run,
        ip=ip, port=interviewer_port, token=secrets.token_urlsafe(18),
        log=logs / "interviewer-lab.log", save_delay=save_delay, env=env,
        extra_args=extra_args)
    assert interviewer.dirs is not None
    interviewer.dirs.prepare(interviewer.extensions)
    trust_notebook(prepared.interviewer_notebook, interviewer.dirs.env())
    return SessionServers(interviewer=LabServer(interviewer), candidate=candidate)


def warn_unconfined() -> None:
    import sys

    print("warning: bubblewrap (bwrap) is not installed: the candidate's JupyterLab and "
          "kernel run UNCONFINED and can read files on this machine, the question bank "
          "included; install it with `apt-get install bubblewrap`", file=sys.stderr)


def check_socket_paths(run: RunFolder) -> None:
    """Refuse a temp folder so deep that kernel socket paths would not fit."""
    longest = run.path / "candidate" / "kernels" / "kernel-999999"
    if len(os.fsencode(longest)) >= 100:
        raise SessionError(f"the temporary folder {tempfile.gettempdir()} is too deep for "
                           "the kernel's sockets; set TMPDIR to a short path such as /tmp")
