"""Fixtures shared by every suite."""

from __future__ import annotations

from pathlib import Path

import pytest

from workbook.bank import SHIPPED_BANK, load_bank
from workbook.model import Bank

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def shipped_bank() -> Bank:
    return load_bank(SHIPPED_BANK)
