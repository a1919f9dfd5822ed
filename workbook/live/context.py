"""Everything the panels of one interviewer notebook share: binding, questions, gradebook."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from workbook.errors import SessionError
from workbook.live.binding import SessionBinding, binding_from_metadata, read_workbook_metadata
from workbook.live.store import LiveScores
from workbook.model import Bank, Question


@dataclass(frozen=True, kw_only=True)
class LiveContext:
    binding: SessionBinding
    #: the notebook's questions, in notebook order
    questions: tuple[Question, ...]
    #: the interviewer notebook's `metadata.workbook` (minus the session block)
    workbook_meta: dict[str, Any]
    store: LiveScores

    def question(self, question_id: str) -> Question:
        for question in self.questions:
            if question.id == question_id:
                return question
        raise SessionError(f"'{question_id}' is not one of this notebook's questions "
                           f"({', '.join(q.id for q in self.questions)})")


def open_context(notebook: Path, bank: Bank | None = None) -> LiveContext:
    """The context of the interviewer notebook at `notebook`, its bank loaded if not given."""
    from workbook.bank import load_bank

    notebook = notebook.resolve()
    meta = read_workbook_metadata(notebook)
    binding = binding_from_metadata(notebook, meta)
    bank = bank or load_bank(binding.bank)
    ids = meta.get("questions") or []
    missing = [qid for qid in ids if qid not in bank.ids]
    if missing:
        raise SessionError(f"{notebook}: question(s) {', '.join(missing)} are not in the bank "
                           f"'{bank.name}'; set metadata.workbook.session.bank to the bank "
                           "folder the notebook was built from")
    return LiveContext(binding=binding, questions=tuple(bank.get(qid) for qid in ids),
                       workbook_meta={k: v for k, v in meta.items() if k != "session"},
                       store=LiveScores(binding))

