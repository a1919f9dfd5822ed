"""Fixtures shared by every suite."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.grading.postgres import Server, running_server
from workbook.bank import SHIPPED_BANK, load_bank
from workbook.model import Bank

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def shipped_bank() -> Bank:
    return load_bank(SHIPPED_BANK)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[Server]:
    """A real PostgreSQL server for this test session; skipped, with the reason, if none starts."""
    with running_server() as server:
        if isinstance(server, str):
            pytest.skip(f"PostgreSQL not available: {server}")
        yield server


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def gradebook_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Where an empty gradebook goes: a SQLite file, and again a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return str(tmp_path / "gradebook.sqlite")
    server: Server = request.getfixturevalue("postgres_server")
    return server.new_database()
