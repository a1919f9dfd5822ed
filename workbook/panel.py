"""Scoring panels for the interviewer's notebook: `scoring_panel(id)` and `summary_panel()`.

The interviewer notebook calls these in its generated cells. The first call finds the
notebook this kernel serves (JupyterLab tells the kernel), reads its session binding and
restores every panel from the gradebook; `use_notebook(path)` names the notebook instead,
for kernels started outside JupyterLab.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING

from grading.errors import GradingError
from workbook.errors import WorkbookError

if TYPE_CHECKING:
    import ipywidgets

    from workbook.live.widgets import LivePanels

_panels: LivePanels | None = None
_binding_lock = threading.Lock()


def use_notebook(path: str | Path) -> None:
    """Bind this kernel's panels to the interviewer notebook at `path`."""
    global _panels
    from workbook.live.context import open_context
    from workbook.live.widgets import LivePanels

    with _binding_lock:
        if _panels is not None:
            _panels.stop()
        _panels = LivePanels(open_context(Path(path)))


def _live_panels() -> LivePanels:
    if _panels is None:
        from workbook.live.binding import kernel_notebook

        use_notebook(kernel_notebook())
    assert _panels is not None
    return _panels


def scoring_panel(question_id: str) -> ipywidgets.Widget:
    """The scoring panel of one question, restored from the gradebook."""
    from workbook.live.layout import problem_widget

    try:
        return _live_panels().question_panel(question_id).widget
    except (WorkbookError, GradingError) as exc:
        return problem_widget(str(exc))


def summary_panel() -> ipywidgets.Widget:
    """The running competency scorecard of this notebook's questions."""
    from workbook.live.layout import problem_widget

    try:
        return _live_panels().summary_panel().widget
    except (WorkbookError, GradingError) as exc:
        return problem_widget(str(exc))
