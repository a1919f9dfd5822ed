"""Prepare a live interview's folder: the candidate's notebook and the bound interviewer's.

    <folder>/candidate/candidate.ipynb       what the candidate sees and edits (nothing hidden)
    <folder>/interviewer/interviewer.ipynb   rubric and scoring panels, bound to the session

In a paired session the interviewer's notebook is prompt + scoring panel per question:
the candidate's code lives only in the candidate's notebook. The two copies sit in
separate sub-folders so the candidate's JupyterLab can be rooted at
`candidate/` and never lists the interviewer's notebook. With `solo`, one person drives:
there is no candidate copy and answers are read from the interviewer notebook itself.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from workbook.build import write_notebook
from workbook.errors import SessionError
from workbook.live.binding import session_metadata
from workbook.model import Bank, Level
from workbook.notebook import (
    CANDIDATE,
    INTERVIEWER,
    ROLE_ANSWER,
    ROLE_INTRO,
    ROLE_PUBLIC_CHECK,
    ROLE_RUBRIC,
    BuildOptions,
    build_notebook,
    cell_id,
)
from workbook.selection import DEFAULT_MINUTES, select_questions

if TYPE_CHECKING:
    from nbformat import NotebookNode

CANDIDATE_FOLDER = "candidate"
#: how the intro's advice to candidates begins (workbook.notebook); sessions replace it
CANDIDATE_ADVICE = "For each coding question"
#: the cell that stands in for a question's answer cells in a paired interviewer notebook
ROLE_ANSWER_ELSEWHERE = "answer-elsewhere"
INTERVIEWER_FOLDER = "interviewer"
CANDIDATE_NOTEBOOK = "candidate.ipynb"
INTERVIEWER_NOTEBOOK = "interviewer.ipynb"


@dataclass(frozen=True, kw_only=True)
class PreparedSession:
    session: str
    candidate: str
    folder: Path
    interviewer_notebook: Path
    #: None when one person drives and answers in the interviewer notebook
    candidate_notebook: Path | None
    gradebook: str
    questions: tuple[str, ...]
    minutes: int
    #: whether the candidate's server and kernel run in bubblewrap
    candidate_confined: bool = False


def session_id(candidate: str, now: datetime) -> str:
    """A readable, unique-enough id: the candidate's name as a slug and the start time."""
    slug = re.sub(r"[^a-z0-9]+", "-", candidate.lower()).strip("-") or "candidate"
    return f"{slug[:40]}-{now:%Y%m%d-%H%M%S}"


def prepare_session(bank: Bank, *, candidate: str, level: Level, folder: Path | None,
                    gradebook: str, bank_dir: Path | None = None,
                    question_ids: Sequence[str] | None = None,
                    sections: Sequence[str] | None = None, count: int | None = None,
                    minutes: int = DEFAULT_MINUTES, seed: int = 0, solo: bool = False,
                    now: datetime | None = None,
                    confine_candidate: bool | None = None) -> PreparedSession:
    """Select the questions and write both notebooks; refuses to overwrite a session.

    `confine_candidate`: run the candidate's notebook on the confined kernel (None: when
    bubblewrap is available)."""
    import nbformat

    from workbook.live.candidate_kernel import (
        candidate_kernelspec,
        confined_kernel_available,
        require_kernelspec,
    )

    if not candidate.strip():
        raise SessionError("--candidate must name the candidate (it labels their scores)")
    session = session_id(candidate, now or datetime.now())
    folder = (folder or Path("out") / "interviews" / session).resolve()
    interviewer_path = folder / INTERVIEWER_FOLDER / INTERVIEWER_NOTEBOOK
    candidate_path = None if solo else folder / CANDIDATE_FOLDER / CANDIDATE_NOTEBOOK
    for path in (interviewer_path, candidate_path):
        if path is not None and path.exists():
            raise SessionError(f"{path} already exists: pick another --out folder, or serve "
                               f"that session again with --resume {folder} (a session "
                               "folder is never overwritten, its scores would be mixed up)")
    questions = select_questions(bank, level=level, sections=sections,
                                 question_ids=question_ids, count=count, seed=seed,
                                 minutes=minutes)
    interviewer = build_notebook(bank, questions, BuildOptions(level=level, copy=INTERVIEWER,
                                                               seed=seed))
    relative_candidate = (Path("..") / CANDIDATE_FOLDER / CANDIDATE_NOTEBOOK).as_posix()
    interviewer.metadata["workbook"]["session"] = session_metadata(
        session=session, candidate=candidate.strip(), gradebook=gradebook,
        candidate_notebook=None if solo else relative_candidate,
        bank=bank_dir.resolve() if bank_dir else None)
    if not solo:
        interviewer.cells = _paired_interviewer_cells(interviewer.cells)
    _brief_the_interviewer(interviewer.cells, solo=solo)
    notebooks = [(interviewer_path, interviewer)]
    confined = False
    if candidate_path is not None:
        candidate_nb = build_notebook(bank, questions,
                                      BuildOptions(level=level, copy=CANDIDATE, seed=seed))
        confined = (confined_kernel_available() if confine_candidate is None
                    else confine_candidate)
        # the candidate's server starts no other kernel; without bubblewrap it runs with
        # limits only
        require_kernelspec()
        candidate_nb.metadata["kernelspec"] = candidate_kernelspec()
        notebooks.append((candidate_path, candidate_nb))
    for path, nb in notebooks:
        nbformat.validate(nb)
        write_notebook(nb, path, SessionError)
    return PreparedSession(session=session, candidate=candidate.strip(), folder=folder,
                           interviewer_notebook=interviewer_path,
                           candidate_notebook=candidate_path, gradebook=gradebook,
                           questions=tuple(q.id for q in questions),
                           minutes=sum(q.minutes for q in questions),
                           candidate_confined=confined)


def resume_session(folder: Path) -> PreparedSession:
    """The session prepared earlier in `folder`, to serve again: same notebooks, same
    gradebook, so every panel finds what was scored before."""
    from workbook.bank import load_bank
    from workbook.live.binding import read_binding, read_workbook_metadata
    from workbook.live.candidate_kernel import confined_kernel_available

    folder = folder.resolve()
    interviewer = folder / INTERVIEWER_FOLDER / INTERVIEWER_NOTEBOOK
    if not interviewer.is_file():
        raise SessionError(f"{folder}: not a session folder (no {INTERVIEWER_FOLDER}/"
                           f"{INTERVIEWER_NOTEBOOK}); pass the folder `workbook interview` "
                           "printed")
    binding = read_binding(interviewer)
    if not binding.bound:
        raise SessionError(f"{interviewer}: has no session binding; it was not prepared by "
                           "`workbook interview`")
    candidate = binding.candidate_notebook
    if candidate is not None and not candidate.is_file():
        raise SessionError(f"{candidate}: the candidate's notebook of this session is "
                           "missing; restore it before resuming")
    meta = read_workbook_metadata(interviewer)
    ids = tuple(qid for qid in meta.get("questions") or [] if isinstance(qid, str))
    bank = load_bank(binding.bank)  # the bank the session was built from
    minutes = sum(bank.get(qid).minutes for qid in ids if qid in bank.ids)
    return PreparedSession(session=binding.session, candidate=binding.candidate,
                           folder=folder, interviewer_notebook=interviewer,
                           candidate_notebook=candidate, gradebook=binding.gradebook,
                           questions=ids, minutes=minutes,
                           candidate_confined=candidate is not None
                           and confined_kernel_available())


def _brief_the_interviewer(cells: list[NotebookNode], *, solo: bool) -> None:
    """Swap the intro's advice to candidates for how to run the interview with the panels."""
    intro = next((cell for cell in cells
                  if cell.metadata.get("workbook", {}).get("role") == ROLE_INTRO), None)
    if intro is None:
        return
    watch = ("The candidate works in this notebook with you." if solo else
             "Share the candidate's URL with them and keep it open in another tab to watch "
             "them type.")
    steps = [
        "**How to run this interview**",
        "",
        "1. **Run ▸ Run All Cells**: a scoring panel appears under each question, already "
        "filled in with anything scored earlier in this session.",
        f"2. {watch}",
        "3. In each panel: start the timer, tick the strong signals and red flags you see, ask "
        "the follow-up probes, press **Run checks** to test the candidate's current code, "
        "pick a score (its meaning is shown under the buttons) and write notes.",
        "4. Every change is saved to the gradebook the moment you make it; reloading the page "
        "or restarting the kernel and running all cells again brings it all back. The "
        "scorecard at the end adds it up.",
    ]
    paragraphs = [p for p in intro.source.split("\n\n") if not p.startswith(CANDIDATE_ADVICE)]
    intro.source = "\n\n".join([*paragraphs, "\n".join(steps)])


def _paired_interviewer_cells(cells: list[NotebookNode]) -> list[NotebookNode]:
    """The interviewer's cells when the candidate answers in their own notebook.

    The copy's answer and public-check cells would only show the starter failing its
    checks, so each coding question gets one line pointing at the candidate's notebook
    instead (a discussion question is answered aloud); the Markdown rubric goes too, as the
    scoring panel shows all of it, as ticks.
    """
    from nbformat import v4

    kept = []
    for cell in cells:
        meta = cell.metadata.get("workbook", {})
        role, question = meta.get("role"), meta.get("question")
        if role == ROLE_ANSWER and cell.cell_type == "code":
            kept.append(v4.new_markdown_cell(
                "*The candidate answers in their own notebook "
                f"(`{CANDIDATE_FOLDER}/{CANDIDATE_NOTEBOOK}`): open the candidate's URL to "
                "watch them type. **Run checks** in the panel below tests what they have "
                "written so far.*", id=cell_id(question, ROLE_ANSWER_ELSEWHERE),
                metadata={"workbook": {"role": ROLE_ANSWER_ELSEWHERE, "question": question},
                          "editable": False}))
        elif role not in (ROLE_ANSWER, ROLE_PUBLIC_CHECK, ROLE_RUBRIC):
            kept.append(cell)
    return kept
