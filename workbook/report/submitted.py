"""Read what a candidate's returned notebook showed: its workbook block and cell outputs.

Nothing here runs code. Outputs are untrusted, so only plain text and PNG images are kept
(HTML, JavaScript, Markdown and SVG outputs could fetch from the network or run scripts
when the graded copy is opened), each text capped so a flooded cell stays readable.
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
    for cell in data["cells"]:
        if not isinstance(cell, dict):
            continue
        tag = (cell.get("metadata") or {}).get("workbook")
        if not isinstance(tag, dict) or not isinstance(tag.get("question"), str):
            continue
        key = (tag["question"], str(tag.get("role", "")))
        if cell.get("cell_type") == "code":
            # a duplicated cell: the last one wins, as the grader grades the last one
            outputs[key] = _safe_outputs(cell.get("outputs") or [])
            if key[1] == "answer":
                history[key[0]] = _history(cell)
        elif cell.get("cell_type") == "markdown" and key[1] == "answer":
            written = _text(cell.get("source", "")).strip()
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
    text = _ANSI.sub("", text)
    if len(text) <= MAX_TEXT:
        return text
    return f"{text[:MAX_TEXT]}\n... ({len(text) - MAX_TEXT} more characters not shown)"


def _safe_outputs(raw: list[Any]) -> tuple[CellOutput, ...]:
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
                kept.append(CellOutput(kind="png", text=png_text))
            elif "text/plain" in data:
                kept.append(CellOutput(kind="text", text=_capped(_text(data["text/plain"]))))
    if len(kept) > MAX_OUTPUTS:
        dropped = len(kept) - MAX_OUTPUTS
        kept = [*kept[:MAX_OUTPUTS],
                CellOutput(kind="text", text=f"... ({dropped} more outputs not shown)")]
    return tuple(kept)
