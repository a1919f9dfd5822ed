"""A prepared interview session on a real SQLite gradebook, and panels opened on it.

Each `LivePanels` made here stands for one interviewer kernel: two of them on the same
session behave like two notebooks (or two interviewers) scoring the same candidate.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from workbook.live.context import open_context
from workbook.live.session import PreparedSession, prepare_session
from workbook.live.widgets import LivePanels
from workbook.model import Bank, Level

CODING_QUESTION = "ds-top-k-frequent"
DISCUSSION_QUESTION = "concurrency-gil-choice"


@pytest.fixture
def session(tmp_path: Path, shipped_bank: Bank) -> PreparedSession:
    return prepare_session(shipped_bank, candidate="Grace Hopper", level=Level.JUNIOR,
                           folder=tmp_path / "session",
                           gradebook=str(tmp_path / "gradebook.sqlite"),
                           question_ids=[CODING_QUESTION, DISCUSSION_QUESTION])


@pytest.fixture
def open_panels(session: PreparedSession,
                shipped_bank: Bank) -> Iterator[Callable[[], LivePanels]]:
    opened: list[LivePanels] = []

    def open_one() -> LivePanels:
        panels = LivePanels(open_context(session.interviewer_notebook, shipped_bank))
        opened.append(panels)
        return panels

    yield open_one
    for panels in opened:
        panels.stop()
        panels.context.store.close()
