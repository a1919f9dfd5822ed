"""The live interview in a real JupyterLab, as an interviewer and a candidate use it."""

from __future__ import annotations

import json
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import (
    ARTIFACTS,
    CODING_QUESTION,
    DISCUSSION_QUESTION,
    LiveInterview,
)
from tests.browser.lab_page import (
    open_notebook,
    question_panel,
    replace_cell_source,
    restart_and_run_all,
    run_all,
    run_new_last_cell,
    wait_until,
)
from workbook.bank import SHIPPED_BANK
from workbook.live.store import open_live, read_fields
from workbook.model import Bank

pytestmark = pytest.mark.browser

NOTE = "Asked how ties are ordered before coding; forgot to reject k below one."


def stored_fields(interview: LiveInterview) -> dict[tuple[str, str], Any]:
    with open_live(interview.prepared.gradebook) as gradebook:
        return {(row.question, row.field): row.value
                for row in read_fields(gradebook, session=interview.prepared.session)}


def save_screenshot(element: Any, name: str) -> None:
    """Keep a picture of a panel for people to judge (test-artifacts/ is not committed)."""
    ARTIFACTS.mkdir(exist_ok=True)
    # centred, so the notebook's sticky toolbar does not cover the panel's title
    element.evaluate("node => node.scrollIntoView({block: 'center'})")
    element.screenshot(path=str(ARTIFACTS / name))


def interviewer_url(interview: LiveInterview) -> str:
    # the interviewer's server is rooted at the interviewer's own folder
    return interview.interviewer.url(interview.prepared.interviewer_notebook.name)


def test_interviewer_scores_runs_checks_and_finds_everything_after_a_reload(
        live_interview: LiveInterview, page: Any, shipped_bank: Bank) -> None:
    question = shipped_bank.get(CODING_QUESTION)
    answer = next(decoy for decoy in question.decoys if decoy.name == "no-validation").code
    candidate_file = live_interview.prepared.candidate_notebook
    assert candidate_file is not None

    # the candidate types an answer in their own notebook, on their own server
    candidate = page.context.new_page()
    open_notebook(candidate, live_interview.candidate.url(candidate_file.name))
    replace_cell_source(candidate, candidate.locator(".jp-CodeCell").first, answer)
    wait_until(lambda: "most_common(k)" in candidate_file.read_text(encoding="utf-8"),
               "the collaboration server to write the candidate's answer to disk")
    candidate.close()

    open_notebook(page, interviewer_url(live_interview))
    run_all(page)
    panel = question_panel(page, question.title)
    expect(panel).to_be_visible()
    panel.locator(".widget-checkbox input[type=checkbox]").nth(1).check()
    panel.locator(".widget-toggle-buttons button", has_text="3").click()
    expect(panel.locator(".workbook-score-meaning[data-score='3']")).to_contain_text(
        question.rubric.scores[3].split(";")[0])
    panel.locator(".widget-textarea textarea").fill(NOTE)
    panel.locator("button.widget-button", has_text="Start timer").click()
    expect(panel.locator(".widget-html", has_text="of 10:00")).to_contain_text("running")
    panel.locator("button.workbook-run-checks").click()
    expect(panel.locator(".workbook-verdict")).to_contain_text("Some checks fail: ",
                                                               timeout=90_000)
    expect(panel.locator(".workbook-check[data-passed='false']",
                         has_text="rejects-k-below-one")).to_be_visible()
    save_screenshot(panel, "scoring-panel.png")

    wait_until(lambda: stored_fields(live_interview).get((question.id, "notes")) == NOTE,
               "the note in the gradebook")
    page.reload()
    page.wait_for_selector("#jp-main-statusbar >> text=| Idle")
    panel = question_panel(page, question.title)
    expect(panel).to_be_visible()
    boxes = panel.locator(".widget-checkbox input[type=checkbox]")
    expect(boxes.nth(1)).to_be_checked()
    expect(boxes.nth(0)).not_to_be_checked()
    expect(panel.locator(".widget-toggle-buttons button.mod-active")).to_have_text("3")
    expect(panel.locator(".widget-textarea textarea")).to_have_value(NOTE)
    expect(panel.locator(".workbook-verdict")).to_contain_text(f"/{question.points} hidden")
    expect(panel.locator("button.widget-button", has_text="Pause timer")).to_be_visible()

    fields = stored_fields(live_interview)
    assert fields[(question.id, "score")] == 3
    assert fields[(question.id, "signal:1")] is True
    assert fields[(question.id, "notes")] == NOTE
    points = fields[(question.id, "checks")]["points"]
    assert 0 < points < question.points  # the decoy loses the validation checks' points
    expect(panel.locator(".workbook-verdict")).to_contain_text(f"{points}/{question.points}")
    assert fields[(question.id, "timer")]["running_since"] is not None
    assert (question.id, "signal:0") not in fields


def test_a_restarted_kernel_rebuilds_the_panels_from_the_gradebook(
        live_interview: LiveInterview, page: Any, shipped_bank: Bank) -> None:
    question = shipped_bank.get(DISCUSSION_QUESTION)
    open_notebook(page, interviewer_url(live_interview))
    run_all(page)
    panel = question_panel(page, question.title)
    expect(panel).to_be_visible()
    panel.locator(".widget-checkbox input[type=checkbox]").last.check()  # a red flag
    panel.locator(".widget-toggle-buttons button", has_text="2").click()
    wait_until(lambda: stored_fields(live_interview).get((question.id, "score")) == 2,
               "the score in the gradebook")

    restart_and_run_all(page)
    page.wait_for_selector("#jp-main-statusbar >> text=| Idle")
    panel = question_panel(page, question.title)
    expect(panel.locator(".widget-toggle-buttons button.mod-active")).to_have_text("2")
    expect(panel.locator(".widget-checkbox input[type=checkbox]").last).to_be_checked()
    summary = page.locator(".workbook-summary")
    expect(summary).to_contain_text("questions scored")
    expect(summary.locator(".workbook-overall")).to_be_visible()
    save_screenshot(summary, "summary-panel.png")


def test_the_candidate_sees_no_rubric_panel_or_interviewer_notebook(
        live_interview: LiveInterview, page: Any, shipped_bank: Bank) -> None:
    candidate_file = live_interview.prepared.candidate_notebook
    assert candidate_file is not None
    open_notebook(page, live_interview.candidate.url(candidate_file.name))
    page.locator(".jp-Notebook").first.click()  # make it the current widget
    in_browser = page.evaluate("JSON.stringify("
                               "window.jupyterapp.shell.currentWidget.content.model.toJSON())")
    listing = page.evaluate("fetch('/api/contents?content=1').then(r => r.text())")
    questions = [shipped_bank.get(CODING_QUESTION), shipped_bank.get(DISCUSSION_QUESTION)]
    for question in questions:
        assert question.title in in_browser  # the prompt is there...
        secrets_of_question = [*question.rubric.strong_signals, *question.rubric.red_flags,
                               *question.rubric.follow_ups,
                               *(check.name for check in question.hidden_checks)]
        for secret in secrets_of_question:  # ...and nothing hidden
            assert json.dumps(secret)[1:-1] not in in_browser
    assert "scoring_panel" not in in_browser
    assert page.locator(".workbook-panel").count() == 0
    assert [item["name"] for item in json.loads(listing)["content"]] == [candidate_file.name]


def test_the_candidate_kernel_cannot_read_the_interviewers_files(
        live_interview: LiveInterview, page: Any) -> None:
    prepared = live_interview.prepared
    if not prepared.candidate_confined:
        pytest.skip("bubblewrap is not installed: the candidate's kernel is not confined")
    candidate_file = prepared.candidate_notebook
    assert candidate_file is not None
    open_notebook(page, live_interview.candidate.url(candidate_file.name))
    probe = (f"import os, pathlib\nprint('probe', os.getuid() != 0, "
             f"pathlib.Path({str(SHIPPED_BANK)!r}).exists(), "
             f"pathlib.Path({str(prepared.interviewer_notebook)!r}).exists())")
    output = run_new_last_cell(page, probe)
    # an unprivileged uid that sees neither the bank nor the interviewer's notebook
    assert output.strip() == "probe True False False"
