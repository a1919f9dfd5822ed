"""Make sure the `workbook-confined` kernelspec is where Jupyter looks for it.

A wheel install puts kernels/workbook-confined into <prefix>/share/jupyter/kernels (the
pyproject's data-files). An editable install (`pip install -e .`) does not install data
files, so the engine installs the spec from the source tree into sys.prefix the first time
it runs; nothing needs to be done by hand.
"""

from __future__ import annotations

import sys
from pathlib import Path

KERNEL_NAME = "workbook-confined"
SOURCE = Path(__file__).resolve().parents[2] / "kernels" / KERNEL_NAME


def installed_kernelspec_dir() -> Path | None:
    """The folder of the installed kernelspec, or None."""
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        return Path(KernelSpecManager().get_kernel_spec(KERNEL_NAME).resource_dir)
    except NoSuchKernel:
        return None


def ensure_kernelspec() -> Path | None:
    """Install the kernelspec from the source tree when it is missing or stale; returns
    the installed folder (None if neither installed nor available from source)."""
    source_spec = SOURCE / "kernel.json"
    # the usual case, answered without jupyter_client searching every Jupyter data folder
    # (a tenth of a second, before every batch's first kernel): this environment holds
    # the spec exactly as the source tree has it, where the install below puts it
    here = Path(sys.prefix) / "share" / "jupyter" / "kernels" / KERNEL_NAME
    try:
        if (here / "kernel.json").read_bytes() == source_spec.read_bytes():
            return here
    except OSError:
        pass  # either is missing: search, and install when needed
    installed = installed_kernelspec_dir()
    if not source_spec.is_file():
        return installed
    if installed is not None and (installed / "kernel.json").read_bytes() == \
            source_spec.read_bytes():
        return installed
    from jupyter_client.kernelspec import KernelSpecManager

    return Path(KernelSpecManager().install_kernel_spec(str(SOURCE), KERNEL_NAME,
                                                        prefix=sys.prefix))
