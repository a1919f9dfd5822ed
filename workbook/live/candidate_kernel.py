"""The candidate's kernel in a paired session: confined, like the grader's.

The candidate types into a JupyterLab server running on the interviewer's machine; an
ordinary kernel there could read the bank's hidden checks, the gradebook and the
interviewer's notebook off the disk. So the candidate's server offers only the
`workbook-confined` kernelspec (bubblewrap: no network, no host files, limits), whose
launcher needs IPC transport with its sockets in a folder of their own (the server's
options: workbook.live.servers). Without bubblewrap the same kernelspec runs with limits
only, and the session says so loudly.
"""

from __future__ import annotations

from typing import Any

from grading.kernel.kernelspec import KERNEL_NAME, ensure_kernelspec
from grading.kernel.sandbox import bwrap_path
from workbook.errors import SessionError


def confined_kernel_available() -> bool:
    """Whether the candidate's kernel can be confined here (installs the spec if needed)."""
    return bwrap_path() is not None and ensure_kernelspec() is not None


def require_kernelspec() -> None:
    """Install the confined kernelspec, the only one the candidate's server starts."""
    if ensure_kernelspec() is None:
        raise SessionError(f"the {KERNEL_NAME} kernelspec is neither installed nor in this "
                           "checkout; reinstall interview-workbook")


def candidate_kernelspec() -> dict[str, Any]:
    """The kernelspec metadata a session's candidate notebook names."""
    return {"name": KERNEL_NAME, "display_name": "Python 3 (confined)", "language": "python"}
