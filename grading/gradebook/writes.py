"""Writing the gradebook through SQLAlchemy's ORM: issued assignments, migrations and
other owners' tables. The writes a grading run makes (claims, results, answer keys) are
plain SQL through the driver instead (`recorder.py`), which is much cheaper.

`Gradebook` (store.py) makes this part only when something is to be written (or, on a
server, when it is opened), so a run that only reads a SQLite gradebook never imports
SQLAlchemy; its reads go through the driver (`reads.py`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.orm import Session

from grading.assignment import Assignment, signature
from grading.errors import GradebookError
from grading.gradebook.keys import row_key
from grading.gradebook.migrations import Migration, migrate
from grading.gradebook.models import AssignmentRow
from grading.gradebook.reads import SQLITE_BUSY_TIMEOUT_MS, reason


def engine_for(url: URL, shown: str) -> Engine:
    """An engine for `url` (SQLite configured for sharing one file); not migrated."""
    try:
        engine = create_engine(url)
    except (ArgumentError, ImportError) as exc:
        raise GradebookError(f"gradebook {shown}: {exc}") from None
    if engine.dialect.name == "sqlite":
        _configure_sqlite(engine)
    return engine


def migrated(engine: Engine, shown: str,
             migrations: tuple[tuple[str, Migration], ...] | None = None) -> list[str]:
    """Run the migrations the database lacks (the engine's own by default)."""
    try:
        return migrate(engine) if migrations is None else migrate(engine, migrations)
    except SQLAlchemyError as exc:
        raise GradebookError(f"gradebook {shown}: cannot open or migrate it: "
                             f"{reason(exc)}") from None


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # let SQLAlchemy's "begin" event issue BEGIN itself (pysqlite's own is deferred)
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        # in WAL mode, FULL waits for the disk at every commit
        cursor.execute("PRAGMA synchronous = FULL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection: Any) -> None:
        # take the write lock up front: a deferred transaction that reads and then writes
        # fails at once when another writer got in between, whatever the busy timeout
        connection.exec_driver_sql("BEGIN IMMEDIATE")


class Writes:
    """The gradebook's writing transactions on one engine; `url` names it in errors."""

    def __init__(self, engine: Engine, url: str) -> None:
        self.engine = engine
        self.url = url

    def close(self) -> None:
        self.engine.dispose()

    def migrate_also(self, migrations: tuple[tuple[str, Migration], ...]) -> list[str]:
        try:
            return migrate(self.engine, migrations)
        except SQLAlchemyError as exc:
            raise GradebookError(f"gradebook {self.url}: cannot migrate it: "
                                 f"{reason(exc)}") from None

    @contextmanager
    def transaction(self, doing: str) -> Iterator[Session]:
        """A transaction that commits whole or not at all."""
        try:
            with Session(self.engine, expire_on_commit=False) as session, session.begin():
                yield session
        except SQLAlchemyError as exc:
            raise GradebookError(f"gradebook {self.url}: cannot {doing}: "
                                 f"{reason(exc)}") from None
        except (TypeError, ValueError) as exc:
            # some drivers (psycopg) reject a value they cannot adapt before SQLAlchemy sees it
            raise GradebookError(f"gradebook {self.url}: cannot {doing}: {exc}") from None

    def row_key(self) -> bytes:
        """The signing key kept in the database (a server's; SQLite keeps a file)."""
        try:
            return row_key(self.engine)
        except SQLAlchemyError as exc:
            raise GradebookError(f"gradebook {self.url}: cannot read its signing key: "
                                 f"{reason(exc)}") from None

    def issue(self, assignment: Assignment, key: bytes) -> None:
        with self.transaction(f"record assignment {assignment.id}") as session:
            if session.get(AssignmentRow, assignment.id) is not None:
                raise GradebookError(f"gradebook {self.url}: assignment {assignment.id} "
                                     f"was issued already; an assignment is never changed")
            session.add(AssignmentRow(id=assignment.id, candidate=assignment.candidate,
                                      tasks=list(assignment.tasks),
                                      details=dict(assignment.details),
                                      issued_at=datetime.now(UTC),
                                      signature=signature(assignment, key)))
