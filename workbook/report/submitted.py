"""Read what a candidate's returned notebook showed: its workbook block and cell outputs.

Nothing here runs code. Outputs are untrusted, so only plain text and PNG images are kept
(HTML, JavaScript, Markdown and SVG outputs could fetch from the network or run scripts
when the graded copy is opened). Everything kept is bounded, so an output of tens of MB
cannot swell the graded copy or its HTML: each text (`MAX_TEXT`), each image
(`MAX_IMAGE`), the outputs of a cell (`MAX_OUTPUTS`) and all the outputs of a notebook
together (`MAX_NOTEBOOK_OUTPUTS`). What is cut is said where it was, in the copy.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from workbook.report.records import CellOutput, NotebookHistory

#: characters of one text output kept in a report; the rest is cut with a note
MAX_TEXT = 4_000
#: outputs of one cell kept in a report
MAX_OUTPUTS = 20
#: characters of base64 of one image kept (about 375 KB of PNG); a larger one is named only
MAX_IMAGE = 500_000
#: characters of all the outputs of one notebook kept in its copy, text and images together
MAX_NOTEBOOK_OUTPUTS = 2_000_000
#: what `workbook.notebook` puts in a discussion answer cell; not the candidate's words
NOTES_PLACEHOLDER = "*Your notes (optional):*"
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_BASE64 = re.compile(r"[A-Za-z0-9+/]+={0,2}")


@dataclass(frozen=True, kw_only=True)
class SubmittedNotebook:
    """The parts of a returned notebook a report shows."""

    workbook_meta: dict[str, Any] = field(default_factory=dict)
    #: (question id, cell role) -> outputs of that cell, as the candidate last ran it
    outputs: dict[tuple[str, str], tuple[CellOutput, ...]] = field(default_factory=dict)
    #: question id -> text of a Markdown answer cell (discussion notes in a take-home)
    notes: dict[str, str] = field(default_factory=dict)
    #: question id -> what the notebook says about running its answer cell
    history: dict[str, NotebookHistory] = field(default_factory=dict)


def read_submitted(path: str | Path) -> SubmittedNotebook | None:
    """The returned notebook at `path`, or None when it is gone or not a notebook."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("cells"), list):
        return None
    metadata = data.get("metadata")
    meta = metadata.get("workbook") if isinstance(metadata, dict) else None
    outputs: dict[tuple[str, str], tuple[CellOutput, ...]] = {}
    notes: dict[str, str] = {}
    history: dict[str, NotebookHistory] = {}
    budget = _Budget(MAX_NOTEBOOK_OUTPUTS)
    for cell in data["cells"]:
        if not isinstance(cell, dict):
            continue
        tag = (cell.get("metadata") or {}).get("workbook")
        if not isinstance(tag, dict) or not isinstance(tag.get("question"), str):
            continue
        key = (tag["question"], str(tag.get("role", "")))
        if cell.get("cell_type") == "code":
            # a duplicated cell: the last one wins, as the grader grades the last one
            outputs[key] = _safe_outputs(cell.get("outputs") or [], budget)
            if key[1] == "answer":
                history[key[0]] = _history(cell)
        elif cell.get("cell_type") == "markdown" and key[1] == "answer":
            written = _capped(_text(cell.get("source", ""))).strip()
            written = written.removeprefix(NOTES_PLACEHOLDER).strip()
            if written:
                notes[key[0]] = written
    return SubmittedNotebook(workbook_meta=dict(meta) if isinstance(meta, dict) else {},
                             outputs=outputs, notes=notes, history=history)


def _history(cell: dict[str, Any]) -> NotebookHistory:
    """The answer cell's execution count and timing, as the notebook reports them; any
    value of the wrong type is left out (the candidate could have written anything)."""
    count = cell.get("execution_count")
    timing = (cell.get("metadata") or {}).get("execution")
    timing = timing if isinstance(timing, dict) else {}

    def stamp(key: str) -> str:
        value = timing.get(key)
        return _capped(value)[:40] if isinstance(value, str) else ""

    return NotebookHistory(
        execution_count=count if isinstance(count, int) and not isinstance(count, bool)
        else None,
        started=stamp("iopub.execute_input"), finished=stamp("shell.execute_reply"))


def _text(value: Any) -> str:
    if isinstance(value, list):
        return "".join(str(part) for part in value)
    return str(value)


def _capped(text: str) -> str:
    # escape codes are dropped from a prefix only: the regex never runs over megabytes
    total = len(text)
    text = _ANSI.sub("", text[:2 * MAX_TEXT])
    if total <= 2 * MAX_TEXT and len(text) <= MAX_TEXT:
        return text
    return f"{text[:MAX_TEXT]}\n... (output cut: {total - MAX_TEXT:,} more characters not shown)"


class _Budget:
    """What is left of a notebook's allowance for outputs in its copy."""

    def __init__(self, size: int) -> None:
        self.left = size
        self.dropped = 0

    def take(self, output: CellOutput) -> CellOutput:
        if len(output.text) <= self.left:
            self.left -= len(output.text)
            return output
        self.dropped += 1
        return CellOutput(kind="text", text=f"... (output not shown: this notebook's outputs "
                                            f"reached the copy's cap of "
                                            f"{MAX_NOTEBOOK_OUTPUTS:,} characters)")


def _image(png_text: str) -> CellOutput:
    if len(png_text) <= MAX_IMAGE:
        return CellOutput(kind="png", text=png_text)
    return CellOutput(kind="text", text=f"... (image not shown: {len(png_text):,} characters "
                                        f"of PNG data, over the copy's cap of {MAX_IMAGE:,})")


def _safe_outputs(raw: list[Any], budget: _Budget) -> tuple[CellOutput, ...]:
    kept: list[CellOutput] = []
    for output in raw:
        if not isinstance(output, dict):
            continue
        kind = output.get("output_type")
        if kind == "stream":
            kept.append(CellOutput(kind="text", text=_capped(_text(output.get("text", "")))))
        elif kind == "error":
            trace = "\n".join(_text(line) for line in output.get("traceback") or [])
            head = f"{output.get('ename', 'Error')}: {output.get('evalue', '')}"
            kept.append(CellOutput(kind="text", text=_capped(trace or head)))
        elif kind in ("execute_result", "display_data"):
            data = output.get("data") or {}
            png = data.get("image/png")
            png_text = _text(png).replace("\n", "") if isinstance(png, str | list) else ""
            if png_text and _BASE64.fullmatch(png_text):  # anything else could break out
                kept.append(_image(png_text))
            elif "text/plain" in data:
                kept.append(CellOutput(kind="text", text=_capped(_text(data["text/plain"]))))
        if len(kept) > MAX_OUTPUTS:
            break  # one more than shown: enough to say that some were cut
    if len(kept) > MAX_OUTPUTS:
        dropped = len(raw) - MAX_OUTPUTS
        kept = [*kept[:MAX_OUTPUTS],
                CellOutput(kind="text", text=f"... (up to {dropped} more outputs not shown)")]
    return tuple(budget.take(output) for output in kept)
