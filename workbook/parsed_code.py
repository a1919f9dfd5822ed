"""Digests of question code blocks already known to parse, kept between runs.

Checking every block's syntax costs about a third of a second on the shipped bank; the
blocks rarely change, so a block whose digest (code and Python version) is on file is not
parsed again. A missing or unwritable cache only means parsing everything again.
"""

from __future__ import annotations

import hashlib
import os
import sys
from pathlib import Path


def cache_dir() -> Path:
    """This project's cache folder: `$WORKBOOK_CACHE_DIR`, else `interview-workbook` in
    `$XDG_CACHE_HOME` or `~/.cache`."""
    configured = os.environ.get("WORKBOOK_CACHE_DIR")
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "interview-workbook"


def cache_file() -> Path:
    return cache_dir() / "parsed-code.txt"


def digest(code: str) -> str:
    version = f"{sys.version_info[0]}.{sys.version_info[1]}"
    return hashlib.blake2b(f"{version}\0{code}".encode(), digest_size=16).hexdigest()


def load_known() -> set[str]:
    try:
        return set(cache_file().read_text(encoding="ascii").split())
    except (OSError, UnicodeDecodeError):
        return set()


def save_known(known: set[str]) -> None:
    path = cache_file()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(f".{os.getpid()}.tmp")
        partial.write_text("\n".join(sorted(known)) + "\n", encoding="ascii")
        partial.replace(path)  # atomic: a concurrent reader sees the old or the new file
    except OSError:
        pass
