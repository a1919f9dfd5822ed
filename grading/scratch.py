"""Scratch space on disk for what a batch notes per submission until it ends.

A batch of 10,000 submissions cannot keep even a few hundred bytes per submission in the
grader's memory and call its memory flat (bench/scale_bench.py): which content hashes it
has seen, where each result's record lies, which files claim a candidate. Those go into
a scratch database instead: SQLite's temporary database (an empty file name), which SQLite
unlinks the moment it creates it, so it is gone with the process however it ends, and
whose pages beyond a small cache are written out to that file, not kept.

SQLite puts that file in $SQLITE_TMPDIR or $TMPDIR when set, else in /var/tmp, which is
a disk where /tmp is memory (tmpfs): point either variable at a disk if neither is. It
is not kept beside the results, as the cohort's spool is, because SQLite refuses to write
a database file once it is unlinked, and only an unlinked file is sure to go with a
grader that is killed.
"""

from __future__ import annotations

import sqlite3

#: KiB of pages a scratch database keeps in memory; the rest is on disk. Its writes are
#: appends and its reads mostly in order, so a small cache costs little, and it is what
#: the grader's memory grows by before it is flat (SQLite's default is 2 MiB: a batch's
#: two scratch databases then added 3 MiB from 100 to 1,000 submissions)
CACHE_KIB = 512


def scratch_database() -> sqlite3.Connection:
    """A private database on disk for this process's bookkeeping, gone when it closes.

    Nothing in it has to survive a crash (the gradebook holds what counts), so it keeps
    no journal and never waits for the disk; each statement commits on its own."""
    connection = sqlite3.connect("", isolation_level=None)
    connection.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
    connection.execute("PRAGMA journal_mode = OFF")
    connection.execute("PRAGMA synchronous = OFF")
    return connection


class SeenOnce:
    """Keys (content hashes) in the order first seen: each new one gets the next
    position, one seen before gets None. Held in a scratch database, not in memory."""

    def __init__(self) -> None:
        self._db = scratch_database()
        self._db.execute("CREATE TABLE seen (key BLOB PRIMARY KEY) WITHOUT ROWID")
        self._count = 0

    def __len__(self) -> int:
        return self._count

    def first(self, key: str) -> int | None:
        """The position of `key` if this is the first time it is seen, else None."""
        # as bytes: a key from a file name that is not UTF-8 holds lone surrogates
        added = self._db.execute("INSERT OR IGNORE INTO seen (key) VALUES (?)",
                                 (key.encode("utf-8", errors="surrogatepass"),))
        if added.rowcount == 0:
            return None
        self._count += 1
        return self._count - 1

    def close(self) -> None:
        self._db.close()
