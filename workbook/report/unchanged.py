"""Which report files a rerun may keep: a fingerprint of everything a file is made from.

A graded copy, or the cohort page with its exports, is a pure function of its reports,
its settings (date, gradebook, bank) and the code that renders it. Each file set's
fingerprint (a SHA-256 of those inputs, the rendering code and the template included) is
kept in a manifest beside the files; a rerun renders again only what has a new
fingerprint or a missing file, so `workbook grade` on a folder graded already rewrites
nothing. A manifest that is missing or unreadable only means everything is rendered.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable
from functools import cache
from pathlib import Path

#: the manifest's name inside the folder whose files it describes
MANIFEST = ".fingerprints.json"


@cache
def renderer_digest() -> str:
    """A digest of the code and template that render reports: a change to either makes
    every fingerprint new."""
    from workbook.report.graded_copy import TEMPLATE

    digest = hashlib.sha256()
    package = Path(__file__).resolve().parent
    for source in sorted(package.glob("*.py")):
        digest.update(source.name.encode())
        digest.update(source.read_bytes())
    if TEMPLATE.exists():
        digest.update(TEMPLATE.read_bytes())
    return digest.hexdigest()


def fingerprint(*inputs: object) -> str:
    """The fingerprint of a file set made from `inputs` (frozen records: their repr says
    every field) by the current rendering code."""
    digest = hashlib.sha256(renderer_digest().encode())
    for item in inputs:
        digest.update(b"\0")
        digest.update(repr(item).encode("utf-8", "surrogatepass"))
    return digest.hexdigest()


def read_manifest(folder: Path) -> dict[str, str]:
    """File name -> fingerprint of what is in `folder` now; empty when unknown."""
    try:
        data = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {k: v for k, v in data.items() if isinstance(k, str) and isinstance(v, str)}


def write_manifest(folder: Path, entries: dict[str, str]) -> None:
    """Replace the manifest atomically: a crash leaves the old one or the new one."""
    folder.mkdir(parents=True, exist_ok=True)
    temporary = folder / f"{MANIFEST}.{os.getpid()}.tmp"
    temporary.write_text(json.dumps(entries, sort_keys=True, indent=0), encoding="utf-8")
    temporary.replace(folder / MANIFEST)


def stamp(print_: str, files: Iterable[Path]) -> str:
    """A manifest entry: the fingerprint and each file's modification time, so a file
    rewritten by anything else (`workbook report`, a person) is rendered again."""
    return " ".join([print_, *(str(path.stat().st_mtime_ns) for path in files)])


def unchanged(manifest: dict[str, str], name: str, print_: str, files: Iterable[Path]) -> bool:
    """Whether the files the manifest lists as `name` were made from `print_` and are
    still as they were written."""
    entry = manifest.get(name)
    if entry is None or not entry.startswith(f"{print_} "):
        return False
    try:
        return entry == stamp(print_, files)
    except OSError:  # a file is gone
        return False
