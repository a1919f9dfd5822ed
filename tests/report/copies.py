"""Read a graded copy back: its notebook, and the text of each part."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from workbook.report.graded_copy import copy_paths


def copy_notebook(outdir: Path, candidate: str) -> Any:
    import nbformat

    return nbformat.read(copy_paths(outdir, candidate)[0], as_version=4)


def part_text(nb: Any, part: str) -> str:
    """The plain-text form of one report part's outputs."""
    cells = [c for c in nb.cells if c.metadata.get("workbook", {}).get("part") == part]
    return "\n".join(o["data"]["text/plain"] for c in cells for o in c.outputs)


def question_text(nb: Any, title: str) -> str:
    """The plain text of the question whose heading names `title`."""
    cells = [c for c in nb.cells if c.metadata.get("workbook", {}).get("part") == "questions"]
    for output in (o for c in cells for o in c.outputs):
        text: str = output["data"]["text/plain"]
        if text.splitlines()[0].endswith(f": {title}"):
            return text
    raise AssertionError(f"no question titled {title!r} in the copy")
