"""Jupyter folders of our own for a test server, so the machine's set-up neither leaks in
nor gets written to."""

from __future__ import annotations

import os
from pathlib import Path


def isolated_jupyter_env(folder: Path) -> dict[str, str]:
    env = dict(os.environ)
    for kind in ("config", "data", "runtime"):
        path = folder / kind
        path.mkdir(parents=True)
        env[f"JUPYTER_{kind.upper()}_DIR"] = str(path)
    env["IPYTHONDIR"] = str(folder / "ipython")
    env.pop("JUPYTER_PATH", None)
    # JupyterLab asks about news on a first run; answer it up front so no toast covers panels
    settings = folder / "config" / "lab" / "user-settings" / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True)
    (settings / "notification.jupyterlab-settings").write_text('{"fetchNews": "false"}')
    return env
