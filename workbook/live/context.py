"""Everything the panels of one interviewer notebook share: binding, questions, gradebook."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from workbook.errors import SessionError
from workbook.live.binding import SessionBinding, read_binding
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

    binding = read_binding(notebook)
    meta = _workbook_meta(binding.interviewer_notebook)
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


def _workbook_meta(notebook: Path) -> dict[str, Any]:
    # read_binding has already proved the file readable and a workbook notebook
    data = json.loads(notebook.read_text(encoding="utf-8"))
    meta = data["metadata"]["workbook"]
    return dict(meta) if isinstance(meta, dict) else {}
