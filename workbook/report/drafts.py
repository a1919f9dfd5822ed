"""Graded copies drafted while grading runs, finished once the whole cohort is known.

A graded copy is made from its candidate's report alone, except one block of its header:
the answers similar to theirs, which only the whole cohort decides. So the copy can be
rendered (template, chart, HTML page: nearly all of its cost) as soon as its submission is
recorded, with a mark where that block goes, and finished once similarity is computed by
putting the block in place of the mark: in the notebook's JSON text (escaped as JSON
escapes it) and in the HTML page (which holds an output's HTML as it is). A draft is used
only when the final report, less that block, and the settings are exactly those it was
drafted from (their fingerprint, `unchanged.py`), and its marks are where they should be;
anything else is rendered again as usual, so a draft can save time and never change a
file. Drafts are files in a folder beside the copies, removed when the copies are written,
so the memory they take does not grow with the cohort. Not for use from several threads.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from dataclasses import replace
from functools import partial
from pathlib import Path
from secrets import token_hex
from typing import Any

from workbook.report.copy_parts import PARTS, header_with, similar_block
from workbook.report.graded_copy import CopySettings, filled, notebook_text, report_paths
from workbook.report.html_export import notebook_html
from workbook.report.records import CandidateReport
from workbook.report.unchanged import fingerprint


def _json_text(text: str) -> str:
    """`text` as it reads inside a JSON string written by `notebook_text`: JSON escapes
    character by character, so this is the same in any string around it."""
    return json.dumps(text, ensure_ascii=False)[1:-1]


class Drafts:
    """Drafted copies in `folder`, each known by its notebook's name."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        #: the notebook's name -> the fingerprint of what it was drafted from
        self._made: dict[str, str] = {}
        # random per process, so no text a candidate wrote can hold them
        self._marks = (f"wb-draft-html-{token_hex(16)}", f"wb-draft-text-{token_hex(16)}")

    def _files(self, notebook_path: Path) -> tuple[Path, Path]:
        return (self.folder / notebook_path.name,
                self.folder / notebook_path.with_suffix(".html").name)

    def draft(self, report: CandidateReport, outdir: Path, settings: CopySettings) -> None:
        """Render `report`'s copy with marks for its similar answers, and keep it."""
        notebook_path, _page = report_paths(outdir, report)
        bare = replace(report, similar=())
        parts: dict[str, Callable[..., list[dict[str, Any]]]] = {
            **PARTS, "header": partial(header_with, similar=self._marks)}
        nb = filled(bare, settings, notebook_path, parts=parts)
        text = notebook_text(nb)
        page = notebook_html(nb) if settings.html else None
        notebook_draft, page_draft = self._files(notebook_path)
        self.folder.mkdir(parents=True, exist_ok=True)
        notebook_draft.write_text(text, encoding="utf-8")
        if page is not None:
            page_draft.write_text(page, encoding="utf-8")
        self._made[notebook_path.name] = fingerprint(bare, settings)

    def finish(self, report: CandidateReport, outdir: Path, settings: CopySettings
               ) -> Path | None:
        """Write `report`'s copy from its draft and return the notebook's path; None when
        no draft fits it (it is to be rendered as usual)."""
        notebook_path, html_path = report_paths(outdir, report)
        made = self._made.pop(notebook_path.name, None)
        if made is None or made != fingerprint(replace(report, similar=()), settings):
            return None
        notebook_draft, page_draft = self._files(notebook_path)
        html_mark, text_mark = self._marks
        block_html, block_text = similar_block(report.similar)
        try:
            text = notebook_draft.read_text(encoding="utf-8")
            page = page_draft.read_text(encoding="utf-8") if settings.html else None
        except (OSError, UnicodeError):
            return None
        if text.count(html_mark) != 1 or text.count(text_mark) != 1 \
                or (page is not None and page.count(html_mark) != 1):
            return None
        notebook_path.parent.mkdir(parents=True, exist_ok=True)
        notebook_path.write_text(text.replace(html_mark, _json_text(block_html))
                                 .replace(text_mark, _json_text(block_text)), encoding="utf-8")
        if page is not None:
            html_path.write_text(page.replace(html_mark, block_html), encoding="utf-8")
        notebook_draft.unlink(missing_ok=True)
        page_draft.unlink(missing_ok=True)
        return notebook_path

    def discard(self) -> None:
        """Remove every draft left."""
        self._made.clear()
        shutil.rmtree(self.folder, ignore_errors=True)
