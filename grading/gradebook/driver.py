"""Write transactions through the database's own driver (DB-API), not SQLAlchemy's ORM.

The hot writes of a batch (a submission's results, claims: `recording.py`, `claiming.py`)
are a few INSERTs each; through the ORM its unit of work cost a third of a 40-notebook
batch's main thread (issue 13). Here they are SQL text with `?` placeholders, given to
psycopg as `%s` (as `reads.py` does). On a SQLite file through the standard library's
`sqlite3`, so a rerun on a migrated gradebook never imports SQLAlchemy; on a server
through the driver connection SQLAlchemy's pool hands out.

What the ORM guaranteed stays: one transaction per `transaction()`, committed whole or
not at all; on SQLite WAL, the busy timeout, foreign keys on, and the write lock taken
when the transaction begins (`BEGIN IMMEDIATE`: a deferred transaction that reads and
then writes fails at once when another writer got in between, whatever the timeout).

Stored values are byte for byte what SQLAlchemy stored, since reads, reports and older
gradebooks rely on them (`Write.moment`, `Write.json`).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from grading.errors import GradebookError
from grading.gradebook.reads import PerThread, reason, sqlite_connection

#: SQLAlchemy's SQLite DATETIME storage format (sqlalchemy/dialects/sqlite/base.py): the
#: fields as given, no zone, always six digits of microseconds
_SQLITE_MOMENT = "{0.year:04d}-{0.month:02d}-{0.day:02d} " \
                 "{0.hour:02d}:{0.minute:02d}:{0.second:02d}.{0.microsecond:06d}"


class Write:
    """One write transaction: SQL text, and values in the form SQLAlchemy stored them."""

    def __init__(self, cursor: Any, *, sqlite: bool) -> None:
        self._cursor = cursor
        self.sqlite = sqlite

    def _sql(self, sql: str) -> str:
        # every `?` becomes psycopg's `%s`: SQL given here holds no other `?` and no `%`
        return sql if self.sqlite else sql.replace("?", "%s")

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run one statement; the number of rows it changed."""
        self._cursor.execute(self._sql(sql), tuple(params))
        return int(self._cursor.rowcount)

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        self._cursor.execute(self._sql(sql), tuple(params))
        return [tuple(row) for row in self._cursor.fetchall()]

    def many(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        """One statement for each of `rows` (one round trip per batch on psycopg)."""
        if rows:
            self._cursor.executemany(self._sql(sql), [tuple(row) for row in rows])

    def insert(self, sql: str, params: Sequence[Any]) -> int | None:
        """Run an INSERT (that may insert nothing: ON CONFLICT DO NOTHING); the new row's
        id, or None when no row was inserted."""
        if self.sqlite:
            self._cursor.execute(sql, tuple(params))
            return int(self._cursor.lastrowid) if self._cursor.rowcount == 1 else None
        self._cursor.execute(self._sql(sql) + " RETURNING id", tuple(params))
        found = self._cursor.fetchone()
        return None if found is None else int(found[0])

    def moment(self, at: datetime) -> Any:
        """A time as SQLAlchemy's DateTime(timezone=True) stores it: on SQLite, text of the
        fields as given (the gradebook gives UTC, so naive UTC); elsewhere the time itself."""
        return _SQLITE_MOMENT.format(at) if self.sqlite else at

    @staticmethod
    def json(value: Any) -> str:
        """A JSON column's value as SQLAlchemy's JSON type stores it (its default
        serializer: `json.dumps` with default separators; a server's `json` type keeps the
        text as given)."""
        return json.dumps(value)


class SqliteWrites:
    """Write transactions on a SQLite file: per thread, one connection that waits for the
    disk at each commit (synchronous FULL) and one that does not (NORMAL, for claims: see
    `transaction`)."""

    errors: tuple[type[Exception], ...] = (sqlite3.Error,)

    def __init__(self, database: Path) -> None:
        self.database = database
        self._connections = PerThread()

    def _opened(self, durable: bool) -> sqlite3.Connection:
        connection = sqlite_connection(self.database)
        connection.execute("PRAGMA journal_mode = WAL")
        connection.execute("PRAGMA foreign_keys = ON")
        # in WAL mode, FULL waits for the disk at every commit; NORMAL leaves the commit
        # in the log for the next FULL commit (or checkpoint) to make durable
        connection.execute(f"PRAGMA synchronous = {'FULL' if durable else 'NORMAL'}")
        return connection

    def _connection(self, durable: bool) -> sqlite3.Connection:
        return self._connections.get("durable" if durable else "lax",
                                     lambda: self._opened(durable))

    @contextmanager
    def transaction(self, *, durable: bool) -> Iterator[Write]:
        connection = self._connection(durable)
        connection.execute("BEGIN IMMEDIATE")
        try:
            yield Write(connection.cursor(), sqlite=True)
            connection.execute("COMMIT")
        except BaseException:
            if connection.in_transaction:  # a failed COMMIT leaves it open too
                connection.execute("ROLLBACK")
            raise

    def close(self) -> None:
        self._connections.close()


class PooledWrites:
    """Write transactions on a pooled driver connection of a SQLAlchemy engine: a server
    (PostgreSQL), or a SQLite database in memory (`sqlite`)."""

    def __init__(self, connect: Callable[[], Any], *, sqlite: bool,
                 errors: tuple[type[Exception], ...]) -> None:
        self._connect = connect
        self._sqlite = sqlite
        self.errors = errors

    @contextmanager
    def transaction(self, *, durable: bool) -> Iterator[Write]:
        connection = self._connect()
        try:
            cursor = connection.cursor()
            try:
                if self._sqlite:  # the engine's connections leave BEGIN to their user
                    cursor.execute("BEGIN IMMEDIATE")
                elif not durable:  # psycopg began the transaction: this one only
                    cursor.execute("SET LOCAL synchronous_commit = off")
                yield Write(cursor, sqlite=self._sqlite)
            except BaseException:
                connection.rollback()
                raise
            finally:
                cursor.close()
            connection.commit()
        finally:
            connection.close()  # back to the pool

    def close(self) -> None:
        return None


DriverWrites = SqliteWrites | PooledWrites


@contextmanager
def writing(writes: DriverWrites, url: str, doing: str, *, durable: bool = True
            ) -> Iterator[Write]:
    """A write transaction; with `durable` false, one whose commit does not wait for the
    disk (it may be lost in a power cut: only claims are written so). A database failure,
    or a value the driver cannot store, becomes a one-line GradebookError naming the
    gradebook and what could not be done (`doing`)."""
    try:
        with writes.transaction(durable=durable) as write:
            yield write
    except writes.errors as exc:
        raise GradebookError(f"gradebook {url}: cannot {doing}: {reason(exc)}") from None
    except (TypeError, ValueError) as exc:
        # a value that cannot be JSON or that the driver cannot adapt (a lone surrogate)
        raise GradebookError(f"gradebook {url}: cannot {doing}: {exc}") from None
