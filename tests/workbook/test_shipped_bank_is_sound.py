"""The shipped bank covers every section at every level, with decoys for every coding question.

That every shipped question proves itself (PRODUCT.md decision 5: reference, starter, decoys,
alternatives, and every mutant of the reference) is `workbook bank check --mutants` over the
whole bank, which scripts/test.sh runs after pytest; running the same proofs here as well
would grade the whole bank twice in CI's time budget."""

from __future__ import annotations

from workbook.model import Bank


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
