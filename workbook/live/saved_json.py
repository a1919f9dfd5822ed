"""Reading a notebook that JupyterLab's server may be saving at this very moment.

The server saves a notebook by rewriting the file in place (its backup copy sits beside
it), so a reader can meet an empty or half-written file. Such a read is retried for a short
while before the file counts as broken.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

#: how long a half-saved notebook may stay unreadable before it counts as broken
SAVE_SETTLE_SECONDS = 3.0
_RETRY_SECONDS = 0.05


class UnsettledJSON(ValueError):
    """The file stayed invalid JSON for longer than a save takes."""


def read_saved_json(path: Path) -> tuple[Any, float]:
    """The JSON document at `path` and its modification time, once a save has finished.

    Raises OSError when the file cannot be read and UnsettledJSON when it stays invalid.
    """
    deadline = time.monotonic() + SAVE_SETTLE_SECONDS
    while True:
        mtime = path.stat().st_mtime
        text = path.read_text(encoding="utf-8")
        try:
            return json.loads(text), mtime
        except ValueError as exc:
            if time.monotonic() >= deadline:
                raise UnsettledJSON(str(exc)) from None
            time.sleep(_RETRY_SECONDS)
