"""Start and stop a JupyterLab server with real-time collaboration, and trust notebooks.

The server runs in its own process group, so the terminal's Ctrl-C reaches only our
command, which then stops the server with SIGTERM (a clean shutdown of its kernels, with
no "shut down? (y/n)" question) and kills it only if it does not exit in time. It dies
with our command too (a parent-death signal), so a killed command leaves no server behind.

Each server has Jupyter folders of its own (`JupyterDirs`): config (settings, workspaces,
which server extensions run), data (trust and file-id databases) and runtime (connection
files and keys, deleted when the session ends). A server given a `ServerSandbox` runs
inside bubblewrap with no network, listening on a UNIX socket that a `SocketProxy` serves
on the TCP port (workbook.live.server_sandbox).
"""

from __future__ import annotations

import ctypes
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from workbook.errors import SessionError
from workbook.live.server_sandbox import ServerSandbox, descendants, sandboxed
from workbook.live.socket_proxy import SocketProxy

#: seconds after an edit before the collaboration server writes the document to disk;
#: the live checks read the candidate's answer from that file, so keep it short
DOCUMENT_SAVE_DELAY = 0.5
READY_TIMEOUT = 60.0
STOP_TIMEOUT = 15.0
#: JupyterLab settings every server of a session starts with: no news pop-up, no update
#: checks (they would cover the panels, and a candidate's page must not call out)
SETTING_OVERRIDES = {
    "@jupyterlab/apputils-extension:notification": {"fetchNews": "false",
                                                    "checkForUpdates": False},
}


@dataclass(frozen=True, kw_only=True)
class JupyterDirs:
    """One server's own Jupyter folders, so two servers share no workspace or setting."""

    config: Path
    data: Path
    runtime: Path

    def env(self) -> dict[str, str]:
        return {"JUPYTER_CONFIG_DIR": str(self.config), "JUPYTER_DATA_DIR": str(self.data),
                "JUPYTER_RUNTIME_DIR": str(self.runtime)}

    def prepare(self, extensions: Mapping[str, bool]) -> None:
        """Create the folders; write the setting overrides and which extensions run."""
        for folder in (self.config, self.data, self.runtime):
            folder.mkdir(parents=True, exist_ok=True)
        self.runtime.chmod(0o700)  # connection files hold kernel keys
        labconfig = self.config / "labconfig"
        labconfig.mkdir(exist_ok=True)
        (labconfig / "default_setting_overrides.json").write_text(
            json.dumps(SETTING_OVERRIDES, indent=1), encoding="utf-8")
        # the explicit list wins over what the installed packages enable
        (self.config / "jupyter_server_config.json").write_text(json.dumps(
            {"ServerApp": {"jpserver_extensions": dict(extensions)}}, indent=1),
            encoding="utf-8")


@dataclass(frozen=True, kw_only=True)
class LabOptions:
    root: Path
    port: int
    token: str
    log: Path
    ip: str = "127.0.0.1"
    #: the server's base environment; None: ours
    env: Mapping[str, str] | None = None
    #: variables added to the server's environment (sandboxed or not)
    extra_env: Mapping[str, str] = field(default_factory=dict)
    #: the server's own Jupyter folders; None: whatever `env` says
    dirs: JupyterDirs | None = None
    #: server extensions switched on (True) or off (False), by module name; needs `dirs`
    extensions: Mapping[str, bool] = field(default_factory=dict)
    #: run the server in bubblewrap, on a UNIX socket behind a proxy; None: a plain process
    sandbox: ServerSandbox | None = None
    #: file descriptors the server inherits (e.g. a pipe to the interviewer's side)
    pass_fds: Sequence[int] = field(default_factory=tuple)
    save_delay: float = DOCUMENT_SAVE_DELAY
    extra_args: Sequence[str] = field(default_factory=tuple)


def port_is_free(ip: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((ip, port))
        except OSError:
            return False
    return True


def free_port(ip: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((ip, 0))
        return int(probe.getsockname()[1])


def trust_notebook(notebook: Path, env: Mapping[str, str] | None = None) -> None:
    """Sign `notebook` in the trust database of the server that will serve it (what
    `jupyter trust` does, without starting another interpreter).

    Widgets in a second collaborator's view render only in trusted notebooks. The server
    finds the database under its JUPYTER_DATA_DIR, so pass the server's environment.
    """
    import nbformat
    from jupyter_core.paths import jupyter_data_dir
    from nbformat.sign import NotebookNotary

    data_dir = (env or os.environ).get("JUPYTER_DATA_DIR") or jupyter_data_dir()
    try:
        nb = nbformat.read(notebook, as_version=4)
        notary = NotebookNotary(data_dir=data_dir)
        notary.sign(nb)
    except (OSError, ValueError) as exc:
        raise SessionError(f"{notebook}: cannot mark it trusted in {data_dir}: {exc}") from None


class LabServer:
    """One JupyterLab server process; a context manager that always stops it."""

    def __init__(self, options: LabOptions) -> None:
        self.options = options
        self._process: subprocess.Popen[bytes] | None = None
        self._proxy: SocketProxy | None = None

    @property
    def base_url(self) -> str:
        """Where a browser reaches the server: this machine's name when it listens on all
        addresses (so a remote candidate can use the URL), else the address it listens on."""
        host = socket.getfqdn() if self.options.ip in ("0.0.0.0", "") else self.options.ip
        return f"http://{host}:{self.options.port}"

    @property
    def _local_url(self) -> str:
        host = "127.0.0.1" if self.options.ip in ("0.0.0.0", "") else self.options.ip
        return f"http://{host}:{self.options.port}"

    def url(self, path: str = "") -> str:
        """The browser URL of `path` (relative to the server's root), token included."""
        where = f"/lab/tree/{quote(path)}" if path else "/lab"
        return f"{self.base_url}{where}?token={self.options.token}"

    def command(self) -> list[str]:
        options = self.options
        sandbox = options.sandbox
        where = ([f"--ServerApp.sock={sandbox.socket}", "--ServerApp.sock_mode=0600",
                  # the proxy connects from this machine; the token still guards the door
                  "--ServerApp.allow_remote_access=True"] if sandbox else
                 [f"--ip={options.ip}", f"--port={options.port}", "--port-retries=0"])
        python = sandbox.python() if sandbox else sys.executable
        # the module, not the `jupyter` launcher: a launcher script names its interpreter by
        # host path, which a sandbox does not show
        command = [python, "-m", "jupyterlab", "--no-browser", *where,
                   f"--IdentityProvider.token={options.token}",
                   f"--ServerApp.root_dir={options.root}",
                   f"--YDocExtension.document_save_delay={options.save_delay}",
                   *options.extra_args]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            command.append("--allow-root")
        if sandbox is None:
            return command
        return sandboxed(command, sandbox, env=self._env_additions(), workdir=options.root)

    def _env_additions(self) -> dict[str, str]:
        options = self.options
        return {**(options.dirs.env() if options.dirs else {}), **options.extra_env}

    def start(self) -> LabServer:
        """Launch the server and wait until it answers."""
        self.launch()
        self.wait_ready()
        return self

    def launch(self) -> None:
        """Start the server process without waiting for it (start several at once)."""
        options = self.options
        if not port_is_free(options.ip, options.port):
            raise SessionError(f"port {options.port} on {options.ip} is in use; pass another "
                               "--port")
        if options.dirs is not None:
            options.dirs.prepare(options.extensions)
        elif options.extensions:
            raise SessionError("server extensions are chosen in the server's own Jupyter "
                               "folders: pass dirs= with extensions=")
        if options.sandbox is not None:
            options.sandbox.socket.unlink(missing_ok=True)
            self._proxy = SocketProxy(options.ip, options.port, options.sandbox.socket).start()
        env = {**(options.env if options.env is not None else os.environ),
               **self._env_additions()}
        options.log.parent.mkdir(parents=True, exist_ok=True)
        with options.log.open("ab") as log:
            self._process = subprocess.Popen(
                self.command(), cwd=options.root, stdin=subprocess.DEVNULL, stdout=log,
                stderr=subprocess.STDOUT, start_new_session=True, env=env,
                pass_fds=tuple(options.pass_fds), preexec_fn=_die_with_parent)

    def wait_ready(self) -> None:
        """Block until the server answers; stop it and raise if it cannot."""
        status = f"{self._local_url}/api/status?token={self.options.token}"
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            if self._process is None or self._process.poll() is not None:
                self.stop()
                raise SessionError(f"JupyterLab exited while starting; see {self.options.log}:"
                                   f" {self._log_tail()}")
            try:
                with urllib.request.urlopen(status, timeout=2) as answer:
                    if answer.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.2)
        self.stop()
        raise SessionError(f"JupyterLab did not answer within {READY_TIMEOUT:.0f} s; see "
                           f"{self.options.log}")

    def _log_tail(self) -> str:
        try:
            lines = self.options.log.read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            return "no log"
        return lines[-1].strip() if lines else "empty log"

    def stop(self) -> None:
        """Shut the server (and its kernels) down; kill it if it will not go."""
        process, self._process = self._process, None
        proxy, self._proxy = self._proxy, None
        try:
            if process is None or process.poll() is not None:
                return
            if self.options.sandbox is not None:
                # bubblewrap would kill the server outright: ask the server itself to stop,
                # so it shuts its kernels down and saves the shared document
                for pid in descendants(process.pid):
                    with suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGTERM)
            else:
                process.terminate()
            with suppress(subprocess.TimeoutExpired):
                process.wait(timeout=STOP_TIMEOUT)
            # whatever is left of its process group (a stuck server, an orphaned kernel)
            with suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        finally:
            if proxy is not None:
                proxy.close()

    def wait(self) -> int:
        """Block until the server exits on its own; its exit code."""
        return self._process.wait() if self._process is not None else 0

    def __enter__(self) -> LabServer:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()


_PR_SET_PDEATHSIG = 1
# looked up here, not in the child: between fork and exec the child must not import
try:
    _PRCTL = getattr(ctypes.CDLL(None, use_errno=True), "prctl", None)
except OSError:
    _PRCTL = None


def _die_with_parent() -> None:
    """In the server's process, before it runs: be sent SIGTERM when our command dies (a
    crash or SIGKILL), so no server outlives the session that started it (Linux only)."""
    if _PRCTL is not None:
        _PRCTL(_PR_SET_PDEATHSIG, signal.SIGTERM)
