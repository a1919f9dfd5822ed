"""The candidate's answer beside a question panel: live, or a step back through the record."""

from __future__ import annotations

from typing import TYPE_CHECKING

from workbook.live import html
from workbook.live.answers import SavedAnswer
from workbook.live.history import (
    AnswerVersion,
    LastRun,
)

if TYPE_CHECKING:
    import ipywidgets as w


class AnswerView:
    """The candidate's answer beside the panel: live, or a step back through the record."""

    def __init__(self, pane: w.HTML, earlier: w.Button, later: w.Button,
                 live: w.Button) -> None:
        self.pane, self.earlier, self.later, self.live = pane, earlier, later, live
        self.answer: SavedAnswer | None = None
        self.problem = ""
        self.versions: list[AnswerVersion] = []
        self.last_run: LastRun | None = None
        #: None: following the live answer; else the index of the version shown
        self.index: int | None = None
        earlier.on_click(lambda _b: self.step(-1))
        later.on_click(lambda _b: self.step(+1))
        live.on_click(lambda _b: self.follow_live())
        self.show()

    def update(self, answer: SavedAnswer | None, problem: str,
               evidence_versions: list[AnswerVersion], run: LastRun | None) -> None:
        if (answer, problem, evidence_versions, run) == (self.answer, self.problem,
                                                         self.versions, self.last_run):
            return
        self.answer, self.problem, self.versions, self.last_run = (
            answer, problem, evidence_versions, run)
        self.show()

    def step(self, delta: int) -> None:
        if not self.versions:
            return
        start = len(self.versions) if self.index is None else self.index
        target = start + delta
        self.index = None if target >= len(self.versions) else max(0, target)
        self.show()

    def follow_live(self) -> None:
        self.index = None
        self.show()

    def show(self) -> None:
        version = self.versions[self.index] if self.index is not None else None
        self.pane.value = html.answer_pane(
            answer=self.answer, problem=self.problem, last=self.last_run, version=version,
            index=self.index or 0, count=len(self.versions))
        self.earlier.disabled = not self.versions or self.index == 0
        self.later.disabled = self.index is None
        self.live.disabled = self.index is None
        self.live.button_style = "" if self.index is None else "warning"
