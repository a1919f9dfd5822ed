"""Every shipped coding question proves itself in the confined kernel (PRODUCT.md decision 5):
the reference passes every check, the starter fails one, and each decoy fails a hidden check.
This is `workbook bank check` over the whole shipped bank."""

from __future__ import annotations

import os

import pytest

from workbook.bank import SHIPPED_BANK, load_bank
from workbook.bankcheck import prove_questions
from workbook.model import Bank

# One test per question: the whole bank grows with every strengthened question and no
# longer fits one test's time budget on a busy machine; a failure also names its question.
CODING_IDS = [question.id for question in load_bank(SHIPPED_BANK).questions if question.is_coding]


@pytest.mark.parametrize("question_id", CODING_IDS)
def test_every_shipped_question_proves_itself(shipped_bank: Bank, question_id: str) -> None:
    proofs = list(prove_questions(shipped_bank, [question_id], jobs=os.cpu_count() or 2))
    failed = [f"{p.question} / {p.subject}: {p.detail}" for p in proofs if not p.ok]
    assert not failed, "\n".join(failed)
    question = shipped_bank.get(question_id)
    # one proof for each reference, starter, decoy and alternative: nothing was skipped
    assert len(proofs) == 2 + len(question.decoys) + len(question.alternatives)


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
