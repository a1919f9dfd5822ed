"""A session folder: the candidate's plain notebook and the interviewer's, bound to it."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

import workbook.panel
from tests.live.conftest import CODING_QUESTION, DISCUSSION_QUESTION
from workbook.build import build_workbook
from workbook.errors import SessionError
from workbook.live.answers import read_answer
from workbook.live.binding import SESSION_ENV, kernel_notebook, read_binding
from workbook.live.session import PreparedSession, prepare_session
from workbook.model import Bank, Level
from workbook.notebook import INTERVIEWER


def test_the_interviewer_notebook_names_the_session_candidate_notebook_and_gradebook(
        session: PreparedSession) -> None:
    binding = read_binding(session.interviewer_notebook)
    assert binding.session == session.session
    assert binding.candidate == "Grace Hopper"
    assert binding.gradebook == session.gradebook
    assert binding.candidate_notebook == session.candidate_notebook
    assert binding.answers_notebook == session.candidate_notebook


def test_the_candidate_notebook_holds_no_session_rubric_or_panel(
        session: PreparedSession, shipped_bank: Bank) -> None:
    assert session.candidate_notebook is not None
    text = session.candidate_notebook.read_text(encoding="utf-8")
    nb = json.loads(text)
    assert "session" not in nb["metadata"]["workbook"]
    assert session.gradebook not in text and "scoring_panel" not in text
    for question_id in session.questions:
        for signal in shipped_bank.get(question_id).rubric.strong_signals:
            assert json.dumps(signal)[1:-1] not in text


def test_the_candidate_folder_holds_only_the_candidate_notebook(
        session: PreparedSession) -> None:
    assert session.candidate_notebook is not None
    assert list(session.candidate_notebook.parent.iterdir()) == [session.candidate_notebook]
    assert session.interviewer_notebook.parent != session.candidate_notebook.parent


def test_a_session_folder_is_never_overwritten(session: PreparedSession,
                                               shipped_bank: Bank) -> None:
    with pytest.raises(SessionError, match="already exists"):
        prepare_session(shipped_bank, candidate="Someone Else", level=Level.JUNIOR,
                        folder=session.folder, gradebook=session.gradebook)


def test_a_notebook_built_without_a_session_scores_beside_itself(
        tmp_path: Path, shipped_bank: Bank) -> None:
    notebook = tmp_path / "junior-interviewer.ipynb"
    build_workbook(shipped_bank, output=notebook, level=Level.JUNIOR,
                   question_ids=[CODING_QUESTION], copy=INTERVIEWER)
    binding = read_binding(notebook)
    assert not binding.bound
    assert binding.session == "junior-interviewer"
    assert binding.gradebook == str(tmp_path / "gradebook.sqlite")
    assert binding.answers_notebook == notebook


def test_a_broken_binding_names_the_field_to_fix(session: PreparedSession) -> None:
    nb = json.loads(session.interviewer_notebook.read_text(encoding="utf-8"))
    nb["metadata"]["workbook"]["session"]["candidate"] = ""
    session.interviewer_notebook.write_text(json.dumps(nb), encoding="utf-8")
    with pytest.raises(SessionError, match=r"metadata\.workbook\.session\.candidate"):
        read_binding(session.interviewer_notebook)


def test_the_kernel_finds_its_notebook_from_the_server(
        session: PreparedSession, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(SESSION_ENV, str(session.interviewer_notebook))
    assert kernel_notebook() == session.interviewer_notebook
    monkeypatch.delenv(SESSION_ENV)
    with pytest.raises(SessionError, match="use_notebook"):
        kernel_notebook()


def test_a_panel_for_an_unknown_question_says_so_instead_of_a_traceback(
        session: PreparedSession, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(workbook.panel, "_panels", None)  # this kernel's binding, undone after
    workbook.panel.use_notebook(session.interviewer_notebook)
    shown = workbook.panel.scoring_panel("no-such-question")
    assert "Scoring panel unavailable" in shown.value
    assert "no-such-question" in shown.value


def roles(notebook: Path) -> list[tuple[str | None, str]]:
    nb = json.loads(notebook.read_text(encoding="utf-8"))
    return [(c["metadata"]["workbook"].get("question"), c["metadata"]["workbook"]["role"])
            for c in nb["cells"]]


def test_a_paired_interviewer_notebook_points_at_the_candidates_code_instead_of_copying_it(
        session: PreparedSession) -> None:
    question_roles = [item for item in roles(session.interviewer_notebook) if item[0]]
    assert question_roles == [(CODING_QUESTION, "prompt"), (CODING_QUESTION, "answer-elsewhere"),
                              (CODING_QUESTION, "panel"), (DISCUSSION_QUESTION, "prompt"),
                              (DISCUSSION_QUESTION, "panel")]


def test_a_solo_interviewer_notebook_keeps_the_answer_cells(tmp_path: Path,
                                                            shipped_bank: Bank) -> None:
    solo = prepare_session(shipped_bank, candidate="Solo", level=Level.JUNIOR,
                           folder=tmp_path / "solo", gradebook=str(tmp_path / "gb.sqlite"),
                           question_ids=[CODING_QUESTION], solo=True)
    assert (CODING_QUESTION, "answer") in roles(solo.interviewer_notebook)
    assert (CODING_QUESTION, "public-check") in roles(solo.interviewer_notebook)


def test_the_interviewer_intro_says_how_to_run_the_interview_not_how_to_answer(
        session: PreparedSession) -> None:
    intro = json.loads(session.interviewer_notebook.read_text(encoding="utf-8"))["cells"][0]
    text = "".join(intro["source"])
    assert "**How to run this interview**" in text and "Run All Cells" in text
    assert "write your answer in the code cell" not in text


@pytest.mark.parametrize("confine", [True, False])
def test_the_candidate_notebook_names_the_confined_kernel_sandboxed_or_not(
        tmp_path: Path, shipped_bank: Bank, confine: bool) -> None:
    prepared = prepare_session(shipped_bank, candidate="Alan Turing", level=Level.JUNIOR,
                               folder=tmp_path / "s", gradebook=str(tmp_path / "g.sqlite"),
                               question_ids=[CODING_QUESTION], confine_candidate=confine)
    assert prepared.candidate_notebook is not None
    kernel = json.loads(prepared.candidate_notebook.read_text())["metadata"]["kernelspec"]
    assert prepared.candidate_confined is confine
    # the candidate's server starts no other kernel; without bubblewrap it runs with limits
    assert kernel["name"] == "workbook-confined"


@pytest.mark.parametrize("which", ["interviewer", "candidate"])
def test_a_panel_reading_a_notebook_mid_save_waits_for_the_save(
        session: PreparedSession, which: str) -> None:
    # JupyterLab's server rewrites a notebook in place: a reader can meet a partial file
    notebook = (session.interviewer_notebook if which == "interviewer"
                else session.candidate_notebook)
    assert notebook is not None
    saved = notebook.read_bytes()
    notebook.write_bytes(saved[: len(saved) // 2])
    finish = threading.Timer(0.3, notebook.write_bytes, (saved,))
    finish.start()
    try:
        if which == "interviewer":
            assert read_binding(notebook).session == session.session
        else:
            assert read_answer(notebook, CODING_QUESTION).question == CODING_QUESTION
    finally:
        finish.join()


def test_a_notebook_that_stays_broken_is_reported_in_one_line(
        session: PreparedSession) -> None:
    session.interviewer_notebook.write_text("")
    with pytest.raises(SessionError, match=r"interviewer.ipynb: not a notebook \(invalid JSON"):
        read_binding(session.interviewer_notebook)
