"""Fixtures of the grading suites: a small bank of their own, so bank edits do not move them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.grading.postgres import Server, running_server
from workbook.bank import load_bank
from workbook.model import Bank

GRADING_BANK = Path(__file__).resolve().parent / "bank"


@pytest.fixture(scope="session")
def grading_bank() -> Bank:
    """Two coding questions (clamp-value, dedupe-keep-order) and one discussion question."""
    return load_bank(GRADING_BANK)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[Server]:
    """A real PostgreSQL server for this test session; skipped, with the reason, if none starts."""
    with running_server() as server:
        if isinstance(server, str):
            pytest.skip(f"PostgreSQL not available: {server}")
        yield server
