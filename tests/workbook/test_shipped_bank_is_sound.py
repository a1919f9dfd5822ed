"""Every shipped coding question proves itself in the confined kernel (PRODUCT.md decision 5):
the reference passes every check, the starter fails one, and each decoy fails a hidden check.
This is `workbook bank check` over the whole shipped bank."""

from __future__ import annotations

import os

from workbook.bankcheck import prove_questions
from workbook.model import Bank


def test_every_shipped_question_proves_itself(shipped_bank: Bank) -> None:
    proofs = list(prove_questions(shipped_bank, jobs=os.cpu_count() or 2))
    failed = [f"{p.question} / {p.subject}: {p.detail}" for p in proofs if not p.ok]
    assert not failed, "\n".join(failed)
    coding = [q for q in shipped_bank.questions if q.is_coding]
    # one proof for each reference, starter, decoy and alternative: nothing was skipped
    assert len(proofs) == sum(2 + len(q.decoys) + len(q.alternatives) for q in coding)


def test_shipped_bank_has_the_promised_coverage(shipped_bank: Bank) -> None:
    from workbook.model import SECTIONS, Level

    coding = [q for q in shipped_bank.questions if q.is_coding]
    assert len(shipped_bank.questions) >= 60
    assert len(coding) >= 30
    for section in SECTIONS:
        levels = {q.level for q in shipped_bank.questions if q.section == section}
        assert levels == set(Level), (section, levels)
    for question in coding:
        assert len(question.decoys) >= 2, question.id
