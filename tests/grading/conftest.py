"""Fixtures of the grading suites: a small bank of their own, so bank edits do not move them."""

from __future__ import annotations

from pathlib import Path

import pytest

from workbook.bank import load_bank
from workbook.model import Bank

GRADING_BANK = Path(__file__).resolve().parent / "bank"


@pytest.fixture(scope="session")
def grading_bank() -> Bank:
    """Two coding questions (clamp-value, dedupe-keep-order) and one discussion question."""
    return load_bank(GRADING_BANK)
