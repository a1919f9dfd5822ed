"""The candidate's kernel in a paired session: confined, like the grader's.

The candidate types into a JupyterLab server running on the interviewer's machine; an
ordinary kernel there could read the bank's hidden checks, the gradebook and the
interviewer's notebook off the disk. So the candidate's server offers only the
`workbook-confined` kernelspec (bubblewrap: no network, no host files, limits), whose
launcher needs IPC transport with its sockets in a folder of their own. Without
bubblewrap the session still runs, on a plain kernel, and says so loudly.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from typing import Any

from grading.kernel.kernelspec import KERNEL_NAME, ensure_kernelspec
from grading.kernel.sandbox import bwrap_path


def confined_kernel_available() -> bool:
    """Whether the candidate's kernel can be confined here (installs the spec if needed)."""
    return bwrap_path() is not None and ensure_kernelspec() is not None


def candidate_kernelspec() -> dict[str, Any]:
    """The kernelspec metadata a session's candidate notebook names."""
    return {"name": KERNEL_NAME, "display_name": "Python 3 (confined)", "language": "python"}


def candidate_server_args(socket_dir: Path | None = None) -> list[str]:
    """JupyterLab options for the candidate's server: only the confined kernel, over IPC.

    Socket paths must stay under the 107-byte limit of a unix socket name, so they live
    in a short folder of their own under the system temp folder."""
    folder = socket_dir or Path(tempfile.mkdtemp(prefix="wb-kernel-"))
    folder.mkdir(parents=True, exist_ok=True)
    return [
        "--KernelManager.transport=ipc",
        f"--KernelManager.ip={folder / 'kernel'}",
        f"--MappingKernelManager.default_kernel_name={KERNEL_NAME}",
        f"--KernelSpecManager.allowed_kernelspecs={KERNEL_NAME}",
    ]


def candidate_kernel_args(confined: bool) -> list[str]:
    """The candidate server's kernel options for a session prepared `confined` or not;
    an unconfined one is said out loud."""
    if confined:
        return candidate_server_args()
    warn_unconfined()
    return []


def warn_unconfined() -> None:
    print("warning: bubblewrap (bwrap) is not installed: the candidate's kernel runs "
          "UNCONFINED and can read files on this machine, the question bank included; "
          "install it with `apt-get install bubblewrap`", file=sys.stderr)


