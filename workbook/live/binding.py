"""Which interview a scoring panel belongs to, read from the interviewer notebook's metadata.

`workbook interview` writes the binding into the interviewer notebook as
`metadata.workbook.session`:

    {"id": "...", "candidate": "...", "candidate_notebook": "candidate.ipynb",
     "gradebook": "sqlite:////abs/gradebook.sqlite", "bank": "/abs/bank/folder"}

`candidate_notebook` is relative to the interviewer notebook's folder, or null when one
person drives alone and answers in the interviewer notebook itself. A notebook without a
binding (built with `workbook build --for interviewer`) still gets working panels: the
session is named after the notebook and scores go to `gradebook.sqlite` beside it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from workbook.errors import SessionError
from workbook.live.saved_json import UnsettledJSON, read_saved_json

#: where JupyterLab's server tells a kernel which notebook it serves
SESSION_ENV = "JPY_SESSION_NAME"
#: the gradebook of a notebook that was not prepared by `workbook interview`
UNBOUND_GRADEBOOK = "gradebook.sqlite"
UNBOUND_CANDIDATE = "candidate"


@dataclass(frozen=True, kw_only=True)
class SessionBinding:
    """One live interview: who is interviewed, where scores go, where answers are read."""

    session: str
    candidate: str
    #: a SQLAlchemy URL or a SQLite file path
    gradebook: str
    interviewer_notebook: Path
    #: None when the candidate answers in the interviewer notebook (one person drives)
    candidate_notebook: Path | None = None
    #: the bank folder the notebooks were built from; None means the default bank
    bank: Path | None = None
    #: False for a notebook that `workbook interview` did not prepare
    bound: bool = True

    @property
    def answers_notebook(self) -> Path:
        """The notebook whose answer cells hold the candidate's current code."""
        return self.candidate_notebook or self.interviewer_notebook


def session_metadata(*, session: str, candidate: str, gradebook: str,
                     candidate_notebook: str | None, bank: Path | None) -> dict[str, Any]:
    """The `metadata.workbook.session` block of an interviewer notebook."""
    return {"id": session, "candidate": candidate, "candidate_notebook": candidate_notebook,
            "gradebook": gradebook, "bank": str(bank) if bank else None}


def read_workbook_metadata(notebook: Path) -> dict[str, Any]:
    """The `metadata.workbook` block of the interviewer notebook at `notebook`."""
    try:
        data, _ = read_saved_json(notebook)
    except OSError as exc:
        raise SessionError(f"{notebook}: cannot read the interviewer notebook: "
                           f"{exc.strerror}") from None
    except UnsettledJSON as exc:
        raise SessionError(f"{notebook}: not a notebook (invalid JSON: {exc})") from None
    workbook = data.get("metadata", {}).get("workbook") if isinstance(data, dict) else None
    if not isinstance(workbook, dict):
        raise SessionError(f"{notebook}: not a workbook notebook (no metadata.workbook); "
                           "build it with `workbook build --for interviewer` or "
                           "`workbook interview`")
    return workbook


def read_binding(notebook: Path) -> SessionBinding:
    """The binding of the interviewer notebook at `notebook` (or the unbound default)."""
    notebook = notebook.resolve()
    return binding_from_metadata(notebook, read_workbook_metadata(notebook))


def binding_from_metadata(notebook: Path, workbook: dict[str, Any]) -> SessionBinding:
    """The binding that the `metadata.workbook` block of `notebook` describes."""
    block = workbook.get("session")
    if block is None:
        return SessionBinding(session=notebook.stem, candidate=UNBOUND_CANDIDATE,
                              gradebook=str(notebook.parent / UNBOUND_GRADEBOOK),
                              interviewer_notebook=notebook, bound=False)
    return _binding_from_block(notebook, block)


def _binding_from_block(notebook: Path, block: Any) -> SessionBinding:
    def text(key: str, *, required: bool = True) -> str | None:
        value = block.get(key) if isinstance(block, dict) else None
        if value is None and not required:
            return None
        if not isinstance(value, str) or not value.strip():
            raise SessionError(f"{notebook}: metadata.workbook.session.{key} must be a "
                               "non-empty string; prepare the session again with "
                               "`workbook interview`")
        return value

    session, candidate, gradebook = text("id"), text("candidate"), text("gradebook")
    assert session and candidate and gradebook  # required fields, checked above
    candidate_notebook = text("candidate_notebook", required=False)
    bank = text("bank", required=False)
    return SessionBinding(
        session=session, candidate=candidate, gradebook=gradebook,
        interviewer_notebook=notebook,
        candidate_notebook=(notebook.parent / candidate_notebook).resolve()
        if candidate_notebook else None,
        bank=Path(bank) if bank else None)


def kernel_notebook() -> Path:
    """The notebook file this kernel was started for, as JupyterLab's server reports it."""
    named = os.environ.get(SESSION_ENV)
    if not named:
        raise SessionError("this kernel does not know its notebook (no $JPY_SESSION_NAME): "
                           "open the interviewer notebook in JupyterLab, or call "
                           "workbook.panel.use_notebook('PATH.ipynb') first")
    path = Path(named)
    if not path.is_absolute():
        # older servers pass the path relative to their root; the kernel runs in its folder
        path = Path.cwd() / path.name
    if not path.is_file():
        raise SessionError(f"{path}: the notebook this kernel serves is not on disk (renamed "
                           "or moved?); call workbook.panel.use_notebook('PATH.ipynb')")
    return path
