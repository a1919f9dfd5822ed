"""The interviewer's view during a call, in a real JupyterLab at 1440x900, next to the
candidate's own window: their code beside the panel, one screen per question, the
recommendation, and panels that say when their kernel stopped."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import CODING_QUESTION, LiveInterview
from tests.browser.lab_page import (
    IDLE,
    open_notebook,
    question_panel,
    replace_cell_source,
    run_all,
    run_new_last_cell,
    wait_until,
)
from tests.browser.test_live_interview import interviewer_url
from tests.conftest import REPO
from workbook.cli import main
from workbook.live.state import INTERVIEW, RECOMMENDATION
from workbook.live.store import open_live, read_evidence, read_fields
from workbook.model import Bank
from workbook.report.graded_copy import copy_paths

pytestmark = pytest.mark.browser

#: the README's picture, rewritten only when asked (a test run leaves the clone as it was)
SCREENSHOT = REPO / "docs" / "interviewer-view.png"
UPDATE_SCREENSHOT = "WORKBOOK_UPDATE_SCREENSHOT"
SCREEN_HEIGHT = 900


def recorded_runs(interview: LiveInterview) -> list[Any]:
    with open_live(interview.prepared.gradebook) as gradebook:
        return [e for _s, e in read_evidence(gradebook, session=interview.prepared.session)
                if e.kind == "run"]


def interview_fields(interview: LiveInterview) -> dict[str, Any]:
    with open_live(interview.prepared.gradebook) as gradebook:
        return {r.field: r.value for r in read_fields(gradebook,
                                                      session=interview.prepared.session)
                if r.question == INTERVIEW}


def open_panels_on_screen(screen: Any, interview: LiveInterview) -> None:
    open_notebook(screen, interviewer_url(interview))
    screen.evaluate("window.jupyterapp.shell.collapseLeft()")  # the file browser
    run_all(screen)


def opacity(locator: Any) -> float:
    return float(locator.evaluate("node => getComputedStyle(node).opacity"))


def test_the_candidates_code_rubric_score_and_checks_fit_one_screen(
        live_interview: LiveInterview, page: Any, screen: Any, shipped_bank: Bank,
        tmp_path: Path) -> None:
    question = shipped_bank.get(CODING_QUESTION)
    answer = next(decoy for decoy in question.decoys if decoy.name == "no-validation").code
    candidate_file = live_interview.prepared.candidate_notebook
    assert candidate_file is not None

    # the candidate, in their own window, types an answer and runs it
    open_notebook(page, live_interview.candidate.url(candidate_file.name))
    cell = page.locator(".jp-CodeCell").first
    replace_cell_source(page, cell, answer)
    page.keyboard.press("Shift+Enter")
    wait_until(lambda: any(r.question == CODING_QUESTION and r.code == answer
                           for r in recorded_runs(live_interview)),
               "the candidate's run in the gradebook's record")

    # the interviewer, on a 1440x900 screen
    open_panels_on_screen(screen, live_interview)
    panel = question_panel(screen, question.title)
    expect(panel).to_be_visible()
    expect(panel.locator(".workbook-answer pre")).to_contain_text("most_common(k)")
    expect(panel.locator(".workbook-answer")).to_contain_text("last run")
    panel.locator(".widget-toggle-buttons button", has_text="3").click()
    expect(panel.locator(".workbook-selected-score")).to_contain_text("Score 3 selected")
    panel.locator(".widget-checkbox input[type=checkbox]").nth(0).check()
    panel.locator("button.workbook-run-checks").click()
    expect(panel.locator(".workbook-verdict")).to_contain_text("Some checks fail",
                                                               timeout=90_000)
    first_line = next(line for line in answer.splitlines() if line.strip())
    expect(panel.locator(".workbook-verdict-code")).to_contain_text(first_line.strip())

    panel.evaluate("node => node.scrollIntoView({block: 'start'})")
    screen.wait_for_timeout(500)  # let the notebook settle after the scroll
    shot = SCREENSHOT if os.environ.get(UPDATE_SCREENSHOT) else tmp_path / SCREENSHOT.name
    screen.screenshot(path=str(shot))
    assert shot.stat().st_size > 0
    for part in (".workbook-answer pre", ".workbook-rubric", ".widget-toggle-buttons",
                 ".workbook-selected-score", ".workbook-verdict", ".workbook-check",
                 "button.workbook-run-checks", ".widget-textarea"):
        box = panel.locator(part).first.bounding_box()
        assert box is not None, part
        assert box["y"] >= 0 and box["y"] + box["height"] <= SCREEN_HEIGHT, (part, box)

    # an earlier version, from the record, then back to the live answer
    panel.locator("button.workbook-answer-step", has_text="Earlier").click()
    expect(panel.locator(".workbook-answer")).to_contain_text("Version")
    panel.locator("button.workbook-answer-step", has_text="Live").click()
    expect(panel.locator(".workbook-answer")).to_contain_text("Live")

    # the graded copy, from the gradebook, tells how the answer came about
    outdir = live_interview.prepared.folder.parent / "report"
    candidate_name = live_interview.prepared.candidate
    assert main(["report", candidate_name, "-o", str(outdir), "--gradebook",
                 live_interview.prepared.gradebook]) == 0
    _notebook, copy_html = copy_paths(outdir, candidate_name)
    page.goto(copy_html.as_uri())
    process = page.locator("h3", has_text="recorded by the candidate's server").first
    expect(process).to_be_visible()
    expect(page.locator("body")).to_contain_text("1 run of the answer, 0 ending in an error")
    expect(page.locator("body")).to_contain_text("checks run 1 time, first passed: never")


def test_a_recommendation_needs_a_reason_and_is_recorded_with_it(
        live_interview: LiveInterview, screen: Any) -> None:
    open_panels_on_screen(screen, live_interview)
    summary = screen.locator(".workbook-summary")
    summary.evaluate("node => node.scrollIntoView({block: 'center'})")
    summary.locator(".workbook-recommendation-choice button", has_text="Strong yes").click()
    summary.locator("button.workbook-record-recommendation").click()
    expect(summary.locator(".workbook-recommendation-refused")).to_contain_text(
        "write the reason")
    assert RECOMMENDATION not in interview_fields(live_interview)

    reason = "Validated inputs once prompted; clear reasoning about ties."
    summary.locator(".workbook-recommendation-reason textarea").fill(reason)
    summary.locator("button.workbook-record-recommendation").click()
    expect(summary.locator(".workbook-recommendation")).to_contain_text("Strong yes")
    recorded = interview_fields(live_interview)[RECOMMENDATION]
    assert (recorded["verdict"], recorded["reason"]) == ("strong-yes", reason)


def test_a_panel_whose_kernel_restarted_says_so_and_reconnects(
        live_interview: LiveInterview, screen: Any, shipped_bank: Bank) -> None:
    question = shipped_bank.get(CODING_QUESTION)
    open_panels_on_screen(screen, live_interview)
    panel = question_panel(screen, question.title)
    expect(panel).to_be_visible()
    panel.locator(".widget-toggle-buttons button", has_text="1").click()
    cover = panel.locator(".workbook-dead")
    screen.wait_for_timeout(10_000)  # longer than the cover waits for a heartbeat
    assert opacity(cover) == 0.0, "a live panel is not covered"

    # the kernel restarts under the panels (a crash, or Kernel > Restart)
    screen.locator(".jp-Notebook").first.click()
    screen.evaluate("void window.jupyterapp.commands.execute('kernelmenu:restart')")
    screen.locator(".jp-Dialog-button.jp-mod-accept").click()
    screen.wait_for_selector(IDLE)
    wait_until(lambda: opacity(cover) == 1.0, "the stopped-kernel cover", timeout=60)
    expect(cover).to_contain_text("kernel has stopped")
    # the cover takes the clicks meant for the panel's controls
    score_button = panel.locator(".widget-toggle-buttons button").first
    assert score_button.evaluate(
        "node => { const r = node.getBoundingClientRect();"
        " const top = document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2);"
        " return top.closest('.workbook-dead') !== null; }")

    cover.locator("button.workbook-reconnect").click()
    screen.locator(".jp-Dialog-button.jp-mod-accept").click()
    screen.wait_for_selector(IDLE)
    panel = question_panel(screen, question.title)
    expect(panel.locator(".widget-toggle-buttons button.mod-active")).to_have_text("1")
    screen.wait_for_timeout(10_000)
    assert opacity(panel.locator(".workbook-dead")) == 0.0


def test_a_panel_whose_kernel_stops_answering_is_covered_by_the_heartbeat_alone(
        live_interview: LiveInterview, screen: Any, shipped_bank: Bank) -> None:
    question = shipped_bank.get(CODING_QUESTION)
    open_panels_on_screen(screen, live_interview)
    panel = question_panel(screen, question.title)
    expect(panel).to_be_visible()
    # the kernel lives on but its panels' thread stops, as in a hung kernel: ipywidgets
    # sees nothing wrong, only the missing heartbeat tells
    assert run_new_last_cell(screen, "import workbook.panel\n"
                                     "workbook.panel._panels.stop()\nprint('stopped')"
                             ).strip() == "stopped"
    cover = panel.locator(".workbook-dead")
    wait_until(lambda: opacity(cover) == 1.0, "the stopped-kernel cover", timeout=60)
    assert "jupyter-widgets-disconnected" not in (panel.get_attribute("class") or "")
