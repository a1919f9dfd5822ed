"""The candidate's server in a real JupyterLab: refused requests cut nothing, and a killed
`workbook interview` resumes with every panel and the candidate's code."""

from __future__ import annotations

import json
import os
import signal
import urllib.request
import uuid
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import CODING_QUESTION, LiveInterview
from tests.browser.lab_page import (
    lab_context,
    open_notebook,
    question_panel,
    run_all,
    wait_until,
)
from tests.live.candidate_http import call, healthy, websocket_status
from tests.live.interview_process import launch_interview, two_free_ports
from tests.live.jupyter_env import isolated_jupyter_env
from workbook.model import Bank

pytestmark = pytest.mark.browser


def notebook_text(page: Any) -> str:
    """Every cell's source as this window's notebook model has it."""
    return str(page.evaluate(
        "() => Array.from(window.jupyterapp.shell.currentWidget.content.model.cells)"
        ".map(cell => cell.sharedModel.getSource()).join('\\n')"))


def type_in_first_cell(page: Any, text: str) -> None:
    editor = page.locator(".jp-CodeCell").first.locator(".jp-InputArea-editor .cm-content")
    editor.click()
    page.keyboard.press("Control+End")
    page.keyboard.insert_text(text)


def refused_attacks(interview: LiveInterview) -> None:
    """What a candidate with their token tries: other files' rooms and sessions, other
    kernels, terminals; each is refused and the server keeps answering."""
    server = interview.candidate
    for path in ("../interviewer/interviewer.ipynb", "..%2Finterviewer%2Finterviewer.ipynb",
                 "/etc/passwd", "missing.ipynb", "%2e%2e/gradebook.sqlite"):
        answer = call(server, "PUT", f"/api/collaboration/session/{path}",
                      {"format": "json", "type": "notebook"})
        assert answer.status in (403, 404), (path, answer.status)
    answer = call(server, "PUT", "/api/collaboration/session/candidate.ipynb",
                  {"format": "text", "type": "file"})
    assert answer.status == 403
    for room in (f"json:notebook:{uuid.uuid4()}", "text:file:..%2Finterviewer",
                 "json:notebook:../interviewer/interviewer.ipynb"):
        assert websocket_status(server, f"/api/collaboration/room/{room}") in (403, 404)
    assert call(server, "POST", "/api/kernels", {"name": "python3"}).status == 403
    assert websocket_status(server, "/terminals/websocket/1") == 404
    assert healthy(server)


def test_pair_typing_still_syncs_after_every_refused_request(
        live_interview: LiveInterview, browser: Any) -> None:
    candidate_file = live_interview.prepared.candidate_notebook
    assert candidate_file is not None
    url = live_interview.candidate.url(candidate_file.name)
    # the candidate's window and the interviewer's, in separate browser profiles
    windows = [lab_context(browser, {"width": 1300, "height": 1000}).new_page()
               for _ in range(2)]
    try:
        for window in windows:
            window.set_default_timeout(60_000)
            open_notebook(window, url)
        refused_attacks(live_interview)
        marker = f"# typed after the attacks {uuid.uuid4().hex[:8]}"
        type_in_first_cell(windows[0], f"\n{marker}")
        wait_until(lambda: marker in notebook_text(windows[1]), "the other window to show it", 30)
        wait_until(lambda: marker in candidate_file.read_text(encoding="utf-8"),
                   "the collaboration server to save it")
        # and the other way round, after a second round of attacks
        refused_attacks(live_interview)
        reply = f"# the interviewer's reply {uuid.uuid4().hex[:8]}"
        type_in_first_cell(windows[1], f"\n{reply}")
        wait_until(lambda: reply in notebook_text(windows[0]), "the first window to show it", 30)
    finally:
        for window in windows:
            window.context.close()


def test_a_killed_interview_resumes_with_every_panel_and_the_candidates_code(
        tmp_path: Path, page: Any, shipped_bank: Bank) -> None:
    question = shipped_bank.get(CODING_QUESTION)
    port = two_free_ports()
    env = {**isolated_jupyter_env(tmp_path / "jupyter"), "PYTHONUNBUFFERED": "1"}
    folder = tmp_path / "session"
    process, urls = launch_interview(
        port, env, "--candidate", "Barbara Liskov", "--level", "junior",
        "--questions", CODING_QUESTION, "--out", str(folder),
        "--gradebook", str(tmp_path / "gradebook.sqlite"))
    candidate_file = folder / "candidate" / "candidate.ipynb"
    try:
        candidate = page.context.new_page()
        open_notebook(candidate, urls["candidate"])
        code = "# my plan: count, then sort by count and first appearance"
        type_in_first_cell(candidate, f"\n{code}")
        wait_until(lambda: code in candidate_file.read_text(encoding="utf-8"),
                   "the candidate's code on disk")
        candidate.close()

        open_notebook(page, urls["interviewer"])
        run_all(page)
        panel = question_panel(page, question.title)
        panel.locator(".widget-toggle-buttons button", has_text="2").click()
        panel.locator(".widget-textarea textarea").fill("Talked through ties first.")
        expect(panel.locator(".widget-toggle-buttons button.mod-active")).to_have_text("2")
        page.wait_for_timeout(1500)  # the note is saved when the text box settles
    finally:
        os.kill(process.pid, signal.SIGKILL)  # a crash: nothing of ours cleans up
        process.wait()
    page.goto("about:blank")

    process, urls = launch_interview(port, env, "--resume", str(folder))
    try:
        open_notebook(page, urls["interviewer"])
        run_all(page)
        panel = question_panel(page, question.title)
        expect(panel.locator(".widget-toggle-buttons button.mod-active")).to_have_text("2")
        expect(panel.locator(".widget-textarea textarea")).to_have_value(
            "Talked through ties first.")
        # the candidate's page opens on their notebook, their code served by the new server
        candidate = page.context.new_page()
        open_notebook(candidate, urls["candidate"])
        candidate.close()
        base, token = urls["candidate"].split("/lab/")[0], urls["candidate"].split("token=")[1]
        with urllib.request.urlopen(f"{base}/api/contents/candidate.ipynb?token={token}",
                                    timeout=30) as answer:
            cells = json.load(answer)["content"]["cells"]
        assert any(code in cell["source"] for cell in cells)
    finally:
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=90)
    assert process.returncode == 0, err
