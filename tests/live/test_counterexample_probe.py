"""A failed generated-input check becomes a ready follow-up probe in the interviewer's
panel: the smallest input the candidate's code gets wrong, as a call to ask about."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from workbook.live.answers import SavedAnswer
from workbook.live.checks import run_checks
from workbook.live.html import counterexample_probes, verdict_html
from workbook.model import Bank

STRICT_OVERLAP = '''def merge_intervals(intervals):
    pairs = sorted(tuple(pair) for pair in intervals)
    for start, end in pairs:
        if start > end:
            raise ValueError("reversed")
    merged = []
    for start, end in pairs:
        if merged and start < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged
'''


def answer(code: str) -> SavedAnswer:
    return SavedAnswer(question="ds-merge-intervals", code=code,
                       notebook=Path("candidate.ipynb"), saved_at=datetime.now())


def test_the_panel_offers_the_smallest_failing_call_as_a_probe(shipped_bank: Bank) -> None:
    question = shipped_bank.get("ds-merge-intervals")
    verdict = run_checks(question, answer(STRICT_OVERLAP))
    probes = counterexample_probes(verdict.result)
    # one probe per failed property: a call written out, or the inputs a longer
    # property draws, each the smallest input that differs
    assert any(probe.startswith("merge_intervals([") for probe in probes)
    assert any(probe.startswith("bookings = [") for probe in probes)
    html = verdict_html(verdict)
    assert "Follow-up probe: ask what <code>merge_intervals([" in html
    assert "Follow-up probe: ask what their code does when <code>bookings = [" in html


def test_a_correct_answer_gets_no_probe(shipped_bank: Bank) -> None:
    question = shipped_bank.get("ds-merge-intervals")
    verdict = run_checks(question, answer(question.reference))
    assert counterexample_probes(verdict.result) == []
    assert "Follow-up probe" not in verdict_html(verdict)
