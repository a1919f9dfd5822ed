"""What a person does in JupyterLab, as Playwright steps (selectors that held in 4.x)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

IDLE = "#jp-main-statusbar >> text=| Idle"


def lab_context(browser: Any, viewport: dict[str, int]) -> Any:
    """A browser context for JupyterLab pages on a loaded CI machine."""
    from playwright.sync_api import expect

    # a loaded CI machine needs more than the 5 s Playwright assertions wait by default
    expect.set_options(timeout=60_000)
    context = browser.new_context(viewport=viewport)
    context.set_default_timeout(60_000)
    context.on("page", _keep_waiting_for_slow_documents)
    return context


def _keep_waiting_for_slow_documents(page: Any) -> None:
    # the collaboration extension asks after 5 s whether to keep waiting for a document
    # that has not synced yet; a person answers "Continue waiting", and so do the tests
    # (the dialog would otherwise block every click until it is answered)
    dialog = page.locator("dialog.jp-Dialog", has_text="taking some time to load")
    page.add_locator_handler(dialog, lambda: dialog.get_by_role(
        "button", name="Continue waiting").click(), no_wait_after=True)


def open_notebook(page: Any, url: str) -> None:
    """Open a notebook and wait until its kernel is idle."""
    page.goto(url)
    page.wait_for_selector(".jp-Notebook")
    page.wait_for_selector(IDLE)


def run_all(page: Any) -> None:
    page.locator(".jp-Notebook").first.click()
    page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")


def restart_and_run_all(page: Any) -> None:
    page.locator(".jp-Notebook").first.click()
    # the command opens a confirmation dialog: do not await it, accept the dialog instead
    page.evaluate("void window.jupyterapp.commands.execute("
                  "'notebook:restart-run-all')")
    page.locator(".jp-Dialog-button.jp-mod-accept").click()


def question_panel(page: Any, title: str) -> Any:
    return page.locator(".workbook-panel", has_text=f"Scoring: {title}")


def replace_cell_source(page: Any, cell: Any, code: str) -> None:
    """Replace a code cell's text the way a paste does (no auto-indent on each line)."""
    editor = cell.locator(".jp-InputArea-editor .cm-content")
    editor.click()
    page.keyboard.press("Control+a")
    page.keyboard.insert_text(code)


def run_new_last_cell(page: Any, code: str, timeout: float = 30.0) -> str:
    """Add a code cell at the end of the current notebook, run it, and return its output.

    Through the notebook's model rather than the DOM: JupyterLab renders only the cells
    in view, so "the last cell on the page" need not be the notebook's last cell."""
    page.locator(".jp-Notebook").first.click()  # make it the current widget
    index = page.evaluate("""async (code) => {
        const notebook = window.jupyterapp.shell.currentWidget.content;
        notebook.activeCellIndex = notebook.widgets.length - 1;
        await window.jupyterapp.commands.execute('notebook:insert-cell-below');
        await window.jupyterapp.commands.execute('notebook:change-cell-to-code');
        notebook.activeCell.model.sharedModel.setSource(code);
        const index = notebook.activeCellIndex;
        await window.jupyterapp.commands.execute('notebook:run-cell');
        return index;
    }""", code)
    read = ("(index) => window.jupyterapp.shell.currentWidget.content.model.cells.get(index)"
            ".toJSON().outputs.map(o => o.text || (o.data || {})['text/plain'] || o.evalue"
            " || '').join('')")
    wait_until(lambda: bool(page.evaluate(read, index)), "the new cell's output", timeout)
    return str(page.evaluate(read, index))


def wait_until(condition: Callable[[], bool], what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.1)
