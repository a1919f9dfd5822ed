"""The gradebook's signing key: made once, kept with the gradebook, never in a notebook.

A SQLite gradebook keeps it in a file beside the database (`<file>.key`), created with
mode 0600 so only its owner reads it. A server gradebook (PostgreSQL) keeps it in a row of
`gradebook_keys`, readable by whoever may read the grades anyway. Two processes making the
key at once agree on one: the file is created exclusively and the row inserted only when
absent, and each then reads back what won.
"""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path
from typing import TYPE_CHECKING

from grading.errors import GradebookError

if TYPE_CHECKING:
    from sqlalchemy import Engine

ASSIGNMENT_KEY = "assignment-hmac"
KEY_BYTES = 32
KEY_SUFFIX = ".key"


def key_file(database: str) -> Path:
    return Path(database + KEY_SUFFIX)


def file_key(path: Path) -> bytes:
    """The signing key of a SQLite gradebook, kept in the file `path`; made on first use."""
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    except FileExistsError:
        pass
    except OSError as exc:
        raise GradebookError(f"{path}: cannot create the gradebook's signing key: "
                             f"{exc.strerror}") from None
    else:
        with os.fdopen(descriptor, "w") as handle:
            handle.write(secrets.token_hex(KEY_BYTES) + "\n")
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
        with os.fdopen(descriptor) as handle:
            if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
                raise GradebookError(f"{path}: the gradebook's signing key is not a file")
            text = handle.read().strip()
    except OSError as exc:
        raise GradebookError(f"{path}: cannot read the gradebook's signing key: "
                             f"{exc.strerror}") from None
    try:
        key = bytes.fromhex(text)
    except ValueError:
        key = b""
    if len(key) < KEY_BYTES:
        raise GradebookError(f"{path}: the gradebook's signing key is damaged; restore it "
                             f"from a backup (assignments it signed cannot be verified "
                             f"without it)")
    return key


def row_key(engine: Engine) -> bytes:
    """The signing key of a gradebook that has no file of its own (a server, or a SQLite
    database in memory), kept in a row; made on first use."""
    from sqlalchemy import select
    from sqlalchemy.exc import IntegrityError
    from sqlalchemy.orm import Session

    from grading.gradebook.models import KeyRow

    with Session(engine) as session, session.begin():
        found = session.scalar(select(KeyRow.value).where(KeyRow.name == ASSIGNMENT_KEY))
        if found is not None:
            return bytes.fromhex(found)
        try:
            with session.begin_nested():
                session.add(KeyRow(name=ASSIGNMENT_KEY, value=secrets.token_hex(KEY_BYTES)))
        except IntegrityError:  # another process made it first: use theirs
            pass
        return bytes.fromhex(session.scalars(select(KeyRow.value)
                                             .where(KeyRow.name == ASSIGNMENT_KEY)).one())
