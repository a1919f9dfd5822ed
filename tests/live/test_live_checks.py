""""Run checks" grades the candidate's current answer in a confined kernel, off the panel."""

from __future__ import annotations

import builtins
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.live.conftest import CODING_QUESTION, DISCUSSION_QUESTION
from workbook.live.context import open_context
from workbook.live.session import PreparedSession, prepare_session
from workbook.live.store import open_live, read_fields
from workbook.live.widgets import LivePanels, QuestionPanel
from workbook.model import Bank, Level


def write_answer(notebook: Path, question: str, code: str) -> None:
    """Edit the answer cell on disk, as the collaboration server does after a keystroke."""
    nb = json.loads(notebook.read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        meta = cell["metadata"].get("workbook", {})
        if meta.get("role") == "answer" and meta.get("question") == question:
            cell["source"] = code
    notebook.write_text(json.dumps(nb), encoding="utf-8")


def run_checks_and_wait(panel: QuestionPanel) -> None:
    worker = panel.start_checks()
    assert worker is not None
    worker.join(timeout=120)
    assert not worker.is_alive()


def test_checks_grade_the_answer_saved_in_the_candidate_notebook(
        open_panels: Callable[[], LivePanels], session: PreparedSession,
        shipped_bank: Bank) -> None:
    assert session.candidate_notebook is not None
    question = shipped_bank.get(CODING_QUESTION)
    write_answer(session.candidate_notebook, CODING_QUESTION, question.reference)
    panel = open_panels().question_panel(CODING_QUESTION)

    run_checks_and_wait(panel)

    full = f"{question.points}/{question.points}"
    assert f"All checks pass: {full} hidden points" in panel.verdict.value
    assert "candidate.ipynb" in panel.verdict.value
    with open_live(session.gradebook) as gradebook:
        fields = {row.field: row.value
                  for row in read_fields(gradebook, session=session.session)}
        (submission,) = gradebook.results(candidate=session.candidate)
    assert fields["checks"]["points"] == question.points
    assert [task.task_id for task in submission.tasks] == [CODING_QUESTION]


def test_a_failing_answer_is_a_verdict_with_the_failing_check_and_its_message(
        open_panels: Callable[[], LivePanels], session: PreparedSession,
        shipped_bank: Bank) -> None:
    assert session.candidate_notebook is not None
    decoy = next(d for d in shipped_bank.get(CODING_QUESTION).decoys
                 if d.name == "alphabetical-ties")
    write_answer(session.candidate_notebook, CODING_QUESTION, decoy.code)
    panel = open_panels().question_panel(CODING_QUESTION)

    run_checks_and_wait(panel)

    assert "Some checks fail" in panel.verdict.value
    assert "data-passed='false'><span style='color:#cf222e;font-weight:600'>✗</span> " \
           "<code>ties-keep-first-seen-order</code>" in panel.verdict.value
    assert panel.run_button.description == "Run checks" and not panel.run_button.disabled


def test_the_answer_never_runs_in_the_interviewers_process(
        open_panels: Callable[[], LivePanels], session: PreparedSession,
        shipped_bank: Bank) -> None:
    assert session.candidate_notebook is not None
    question = shipped_bank.get(CODING_QUESTION)
    write_answer(session.candidate_notebook, CODING_QUESTION,
                 "import builtins\nbuiltins.workbook_answer_ran_here = True\n"
                 + question.reference)
    panel = open_panels().question_panel(CODING_QUESTION)

    run_checks_and_wait(panel)

    assert f"{question.points}/{question.points}" in panel.verdict.value
    assert not hasattr(builtins, "workbook_answer_ran_here")


def test_one_person_driving_alone_is_checked_from_the_interviewer_notebook(
        tmp_path: Path, shipped_bank: Bank) -> None:
    solo = prepare_session(shipped_bank, candidate="Solo", level=Level.JUNIOR,
                           folder=tmp_path / "solo", gradebook=str(tmp_path / "gb.sqlite"),
                           question_ids=[CODING_QUESTION], solo=True)
    assert solo.candidate_notebook is None
    write_answer(solo.interviewer_notebook, CODING_QUESTION,
                 shipped_bank.get(CODING_QUESTION).reference)
    panels = LivePanels(open_context(solo.interviewer_notebook, shipped_bank))
    try:
        panel = panels.question_panel(CODING_QUESTION)
        run_checks_and_wait(panel)
        points = shipped_bank.get(CODING_QUESTION).points
        assert f"{points}/{points}" in panel.verdict.value
        assert "interviewer.ipynb" in panel.verdict.value
    finally:
        panels.stop()


def test_a_deleted_answer_cell_is_reported_in_the_panel(
        open_panels: Callable[[], LivePanels], session: PreparedSession) -> None:
    assert session.candidate_notebook is not None
    nb = json.loads(session.candidate_notebook.read_text(encoding="utf-8"))
    nb["cells"] = [c for c in nb["cells"]
                   if c["metadata"].get("workbook", {}).get("role") != "answer"]
    session.candidate_notebook.write_text(json.dumps(nb), encoding="utf-8")
    panel = open_panels().question_panel(CODING_QUESTION)

    run_checks_and_wait(panel)

    assert f"no answer cell for &#x27;{CODING_QUESTION}&#x27;" in panel.check_status.value
    assert "Not run yet" in panel.verdict.value


def descendants(widget: Any) -> list[Any]:
    children = list(getattr(widget, "children", ()))
    return children + [grandchild for child in children for grandchild in descendants(child)]


def test_only_coding_questions_have_a_run_checks_button(
        open_panels: Callable[[], LivePanels]) -> None:
    panels = open_panels()
    coding = panels.question_panel(CODING_QUESTION)
    discussion = panels.question_panel(DISCUSSION_QUESTION)
    assert coding.run_button in descendants(coding.widget)
    assert discussion.run_button not in descendants(discussion.widget)
    assert any("no automated checks" in str(getattr(child, "value", ""))
               for child in descendants(discussion.widget))
