"""Reading the gradebook through the database's own driver (DB-API), not SQLAlchemy.

What a rerun asks of the gradebook (which submissions are settled, their recorded results,
the issued assignments, the interview side's scores and evidence) is plain SELECTs. On a
SQLite gradebook they go through the standard library's `sqlite3`, so a `workbook grade`
with nothing to grade never imports SQLAlchemy (a third of a second of start-up: issue 13);
on a server (PostgreSQL) through the driver connection SQLAlchemy's pool hands out. One
SQL text serves both: written with `?` placeholders, given to psycopg as `%s`.

The two drivers give back stored values in two forms, and `Read` makes them one: SQLite
keeps SQLAlchemy's JSON columns as JSON text, its times as UTC text without a zone and its
booleans as 0/1, where psycopg gives Python objects, aware times and booleans.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from grading.errors import GradebookError

#: how long a SQLite reader waits for a writer's lock (a checkpoint), in milliseconds
SQLITE_BUSY_TIMEOUT_MS = 30_000


def sqlite_url(database: Path) -> str:
    """The URL SQLAlchemy renders for a SQLite file (`URL.create("sqlite", database=...)`),
    made without importing it: reports show it, and their fingerprints include it."""
    return "sqlite:///" + quote(str(database), safe=" +/")


def placeholders(count: int) -> str:
    """`?, ?, ...` for an IN list of `count` values."""
    return ", ".join("?" * count)


class Read:
    """One read transaction: rows of SQL text, and stored values in one form."""

    def __init__(self, cursor: Any, *, sqlite: bool) -> None:
        self._cursor = cursor
        self._sqlite = sqlite

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """The rows of a SELECT written with `?` placeholders (and no other `?` or `%`:
        every `?` becomes psycopg's `%s`, and psycopg reads `%` as the start of one)."""
        self._cursor.execute(sql if self._sqlite else sql.replace("?", "%s"), tuple(params))
        return [tuple(row) for row in self._cursor.fetchall()]

    def json(self, value: Any) -> Any:
        """A JSON column's value as Python data."""
        if self._sqlite and isinstance(value, str | bytes):
            return json.loads(value)
        return value

    def moment(self, value: Any) -> datetime:
        """A time column's value, aware and in UTC (SQLite keeps UTC without a zone)."""
        found = datetime.fromisoformat(value) if isinstance(value, str) else value
        if not isinstance(found, datetime):
            raise GradebookError(f"the gradebook holds {value!r} where a time belongs")
        return found.replace(tzinfo=UTC) if found.tzinfo is None else found

    @staticmethod
    def flag(value: Any) -> bool:
        return bool(value)


class PerThread:
    """SQLite connections of one object, one per thread and use, opened on first use
    (a sqlite3 connection is not for two threads at once), closed together."""

    def __init__(self) -> None:
        self._local = threading.local()
        self._opened: list[sqlite3.Connection] = []
        self._lock = threading.Lock()

    def get(self, use: str, opened: Callable[[], sqlite3.Connection]) -> sqlite3.Connection:
        connection: sqlite3.Connection | None = getattr(self._local, use, None)
        if connection is None:
            connection = opened()
            setattr(self._local, use, connection)
            with self._lock:
                self._opened.append(connection)
        return connection

    def close(self) -> None:
        with self._lock:
            opened, self._opened = self._opened, []
        for connection in opened:
            connection.close()
        self._local = threading.local()


def sqlite_connection(database: Path) -> sqlite3.Connection:
    """A connection to a gradebook file in autocommit mode (each transaction says BEGIN
    and COMMIT itself), waiting for a writer's lock rather than failing at once."""
    connection = sqlite3.connect(database, isolation_level=None, check_same_thread=False)
    connection.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
    return connection


class SqliteReads:
    """Read transactions on a SQLite file, one connection per thread, opened on first use."""

    #: what the driver raises when the database fails a read
    errors: tuple[type[Exception], ...] = (sqlite3.Error,)

    def __init__(self, database: Path) -> None:
        self.database = database
        self._connections = PerThread()

    @contextmanager
    def read(self) -> Iterator[Read]:
        # WAL lets a read see a snapshot while a writer works
        connection = self._connections.get("read", lambda: sqlite_connection(self.database))
        connection.execute("BEGIN")
        try:
            yield Read(connection.cursor(), sqlite=True)
        finally:
            connection.execute("COMMIT")

    def close(self) -> None:
        self._connections.close()


class ServerReads:
    """Read transactions on a pooled driver connection of a SQLAlchemy engine (`sqlite`:
    a SQLite database with no file of its own, in memory)."""

    def __init__(self, connect: Callable[[], Any], *, sqlite: bool,
                 errors: tuple[type[Exception], ...]) -> None:
        self._connect = connect
        self._sqlite = sqlite
        self.errors = errors

    @contextmanager
    def read(self) -> Iterator[Read]:
        connection = self._connect()
        try:
            cursor = connection.cursor()
            try:
                yield Read(cursor, sqlite=self._sqlite)
            finally:
                cursor.close()
        finally:
            connection.rollback()  # nothing was written: end the transaction the read began
            connection.close()  # back to the pool

    def close(self) -> None:
        return None


def applied_names(read: Read) -> set[str]:
    """The names of the migrations a SQLite database has run; empty before the first."""
    try:
        return {name for (name,) in read.rows("SELECT name FROM gradebook_migrations")}
    except sqlite3.OperationalError:  # no such table: a new file
        return set()


def reason(exc: Exception) -> str:
    """The first line of what the database said (a SQLAlchemy error's driver error's)."""
    original = getattr(exc, "orig", None)
    text_form = str(original if original is not None else exc)
    return text_form.strip().splitlines()[0] if text_form.strip() else type(exc).__name__


Reads = SqliteReads | ServerReads
