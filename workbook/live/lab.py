"""Start and stop a JupyterLab server with real-time collaboration, and trust notebooks.

The server runs in its own process group, so the terminal's Ctrl-C reaches only our
command, which then stops the server with SIGTERM (a clean shutdown of its kernels, with
no "shut down? (y/n)" question) and kills it only if it does not exit in time.
"""

from __future__ import annotations

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

#: seconds after an edit before the collaboration server writes the document to disk;
#: the live checks read the candidate's answer from that file, so keep it short
DOCUMENT_SAVE_DELAY = 0.5
READY_TIMEOUT = 60.0
STOP_TIMEOUT = 15.0


@dataclass(frozen=True, kw_only=True)
class LabOptions:
    root: Path
    port: int
    token: str
    log: Path
    ip: str = "127.0.0.1"
    #: the server's environment (e.g. isolated JUPYTER_* folders); None: ours
    env: Mapping[str, str] | None = None
    save_delay: float = DOCUMENT_SAVE_DELAY
    extra_args: Sequence[str] = field(default_factory=tuple)
    #: file descriptors the server inherits (the process-evidence pipe)
    pass_fds: Sequence[int] = field(default_factory=tuple)


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
        command = [sys.executable, "-m", "jupyter", "lab", "--no-browser",
                   f"--ip={options.ip}", f"--port={options.port}", "--port-retries=0",
                   f"--IdentityProvider.token={options.token}",
                   f"--ServerApp.root_dir={options.root}",
                   f"--YDocExtension.document_save_delay={options.save_delay}",
                   *options.extra_args]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            command.append("--allow-root")
        return command

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
        options.log.parent.mkdir(parents=True, exist_ok=True)
        with options.log.open("ab") as log:
            self._process = subprocess.Popen(
                self.command(), cwd=options.root, stdin=subprocess.DEVNULL, stdout=log,
                stderr=subprocess.STDOUT, start_new_session=True,
                pass_fds=tuple(options.pass_fds),
                env=dict(options.env) if options.env is not None else None)

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
        if process is None or process.poll() is not None:
            return
        process.terminate()
        with suppress(subprocess.TimeoutExpired):
            process.wait(timeout=STOP_TIMEOUT)
        # whatever is left of its process group (a stuck server, an orphaned kernel)
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()

    def wait(self) -> int:
        """Block until the server exits on its own; its exit code."""
        return self._process.wait() if self._process is not None else 0

    def __enter__(self) -> LabServer:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()
