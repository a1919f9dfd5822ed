"""Choose the questions for one workbook: by level, sections, ids, count and time budget.

Deterministic: the same bank, arguments and seed always give the same questions in the
same order (section order, then a seeded shuffle within each section).
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from workbook.errors import SelectionError
from workbook.model import SECTIONS, Bank, Level, Question

DEFAULT_MINUTES = 90


def select_questions(
    bank: Bank,
    *,
    level: Level,
    sections: Sequence[str] | None = None,
    question_ids: Sequence[str] | None = None,
    count: int | None = None,
    seed: int = 0,
    minutes: int = DEFAULT_MINUTES,
) -> list[Question]:
    """Pick questions for a workbook; raises SelectionError when nothing fits."""
    if question_ids:
        unknown = [qid for qid in question_ids if qid not in bank.ids]
        if unknown:
            raise SelectionError(f"unknown question id(s): {', '.join(unknown)}; "
                                 "see `workbook bank list`")
        if len(set(question_ids)) != len(question_ids):
            raise SelectionError("--questions names the same id twice")
        return [bank.get(qid) for qid in question_ids]

    wanted = list(sections) if sections else list(SECTIONS)
    unknown = [name for name in wanted if name not in SECTIONS]
    if unknown:
        raise SelectionError(f"unknown section(s): {', '.join(unknown)}; known sections: "
                             f"{', '.join(SECTIONS)}")
    if count is not None and count < 1:
        raise SelectionError("--count must be at least 1")

    rng = random.Random(seed)
    by_section: dict[str, list[Question]] = {}
    for name in wanted:
        pool = sorted((q for q in bank.questions if q.section == name and q.level is level),
                      key=lambda q: q.id)
        rng.shuffle(pool)
        if pool:
            by_section[name] = pool
    if not by_section:
        where = f"section(s) {', '.join(wanted)}" if sections else "the bank"
        raise SelectionError(f"no {level.value} questions in {where}; see `workbook bank list`")

    # Round-robin over sections (in a seeded order) so a short workbook still spreads wide.
    order = list(by_section)
    rng.shuffle(order)
    chosen: list[Question] = []
    spent = 0
    while any(by_section.values()):
        for name in order:
            if not by_section[name]:
                continue
            candidate = by_section[name].pop(0)
            if count is not None:
                if len(chosen) < count:
                    chosen.append(candidate)
            elif spent + candidate.minutes <= minutes or not chosen:
                chosen.append(candidate)
                spent += candidate.minutes
        if count is not None and len(chosen) >= count:
            break
    if count is not None and len(chosen) < count:
        raise SelectionError(f"asked for {count} questions but only {len(chosen)} match "
                             f"level {level.value} and the chosen sections")
    section_rank = {name: rank for rank, name in enumerate(SECTIONS)}
    return sorted(chosen, key=lambda q: (section_rank[q.section], chosen.index(q)))
