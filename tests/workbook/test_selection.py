"""Choosing questions is deterministic and honours level, sections, ids and budgets."""

from __future__ import annotations

import pytest

from workbook.errors import SelectionError
from workbook.model import Bank, Level
from workbook.selection import select_questions


def ids(bank: Bank, **kwargs: object) -> list[str]:
    return [q.id for q in select_questions(bank, **kwargs)]  # type: ignore[arg-type]


@pytest.mark.parametrize("level", list(Level))
def test_same_seed_gives_the_same_workbook(shipped_bank: Bank, level: Level) -> None:
    assert ids(shipped_bank, level=level, seed=3) == ids(shipped_bank, level=level, seed=3)


def test_different_seeds_can_pick_differently(shipped_bank: Bank) -> None:
    picks = {tuple(ids(shipped_bank, level=Level.MIDDLE, count=3, seed=s)) for s in range(8)}
    assert len(picks) > 1


@pytest.mark.parametrize("level", list(Level))
def test_only_questions_of_the_level_are_chosen(shipped_bank: Bank, level: Level) -> None:
    chosen = select_questions(shipped_bank, level=level)
    assert chosen and {q.level for q in chosen} == {level}


@pytest.mark.parametrize("level", list(Level))
def test_default_selection_fits_the_time_budget(shipped_bank: Bank, level: Level) -> None:
    chosen = select_questions(shipped_bank, level=level, minutes=90)
    assert sum(q.minutes for q in chosen) <= 90


def test_sections_filter(shipped_bank: Bank) -> None:
    chosen = select_questions(shipped_bank, level=Level.JUNIOR, sections=["data-structures"])
    assert {q.section for q in chosen} == {"data-structures"}


def test_count_is_exact(shipped_bank: Bank) -> None:
    assert len(ids(shipped_bank, level=Level.JUNIOR, count=2)) == 2


def test_explicit_ids_keep_their_order(shipped_bank: Bank) -> None:
    wanted = list(reversed(shipped_bank.ids[:3]))
    assert ids(shipped_bank, level=Level.JUNIOR, question_ids=wanted) == wanted


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"question_ids": ["no-such-question"]}, "unknown question id"),
        ({"sections": ["cooking"]}, "unknown section"),
        ({"count": 0}, "at least 1"),
        ({"count": 10_000}, "asked for 10000 questions"),
    ],
)
def test_impossible_requests_are_refused(shipped_bank: Bank, kwargs: dict[str, object],
                                         message: str) -> None:
    with pytest.raises(SelectionError, match=message):
        select_questions(shipped_bank, level=Level.JUNIOR, **kwargs)  # type: ignore[arg-type]
