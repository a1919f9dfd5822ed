"""Claim rows (`models.ClaimRow`) as plain SQL in driver transactions (`driver.py`).

A claim is a row keyed by the submission: of two graders inserting it at once the
database lets one through (`ON CONFLICT DO NOTHING`), whatever the isolation level.
Claims are written in transactions that do not wait for the disk (see
`Recorder.claim`); looking one up is a plain read.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from grading.gradebook.driver import Write
from grading.results import SubmissionStatus

#: statuses that settle a submission: grading it again would give the same outcome
SETTLED = (SubmissionStatus.GRADED, SubmissionStatus.REFUSED)


def claim(write: Write, content_hash: str, owner: str, now: datetime, lease: timedelta, *,
          unless_settled: bool, is_gone: Callable[[str], bool]) -> bool:
    """Insert `owner`'s claim unless the submission is settled (with `unless_settled`) or
    another owner holds a live claim; one that expired or whose owner `is_gone` is
    replaced. True when the claim is `owner`'s."""
    if unless_settled and _settled(write, content_hash):
        return False
    for holder, expires_at in write.rows(
            "SELECT owner, expires_at FROM claims WHERE content_hash = ?", [content_hash]):
        if _moment(expires_at) < now or is_gone(holder):
            write.execute("DELETE FROM claims WHERE content_hash = ? AND owner = ?",
                          [content_hash, holder])
    if write.execute(
            "INSERT INTO claims (content_hash, owner, claimed_at, expires_at) "
            "VALUES (?, ?, ?, ?) ON CONFLICT (content_hash) DO NOTHING",
            [content_hash, owner, write.moment(now), write.moment(now + lease)]) != 1:
        return False
    # Under a server's READ COMMITTED, the holder's recording (its result, and its claim
    # dropped) may commit between the look-up above and the insert, which then waits for
    # it and goes through: look again, now that the insert has seen that commit.
    if unless_settled and not write.sqlite and _settled(write, content_hash):
        write.execute("DELETE FROM claims WHERE content_hash = ? AND owner = ?",
                      [content_hash, owner])
        return False
    return True


def _settled(write: Write, content_hash: str) -> bool:
    return bool(write.rows(
        "SELECT id FROM submissions WHERE content_hash = ? AND status IN (?, ?) LIMIT 1",
        [content_hash, *map(str, SETTLED)]))


def owner(write: Write, content_hash: str, now: datetime) -> str | None:
    """Who holds a live (unexpired) claim on the submission, if anyone. On SQLite the
    times compare as text, which orders them since they share one fixed-width format."""
    found = write.rows("SELECT owner FROM claims WHERE content_hash = ? AND expires_at >= ?",
                       [content_hash, write.moment(now)])
    return str(found[0][0]) if found else None


def renew(write: Write, owner: str, until: datetime) -> None:
    write.execute("UPDATE claims SET expires_at = ? WHERE owner = ?",
                  [write.moment(until), owner])


def release(write: Write, owner: str, content_hash: str | None = None) -> None:
    if content_hash is None:
        write.execute("DELETE FROM claims WHERE owner = ?", [owner])
    else:
        write.execute("DELETE FROM claims WHERE owner = ? AND content_hash = ?",
                      [owner, content_hash])


def _moment(value: Any) -> datetime:
    """A stored time, aware and in UTC (SQLite keeps UTC text without a zone)."""
    found = datetime.fromisoformat(value) if isinstance(value, str) else value
    if not isinstance(found, datetime):
        raise ValueError(f"the claims table holds {value!r} where a time belongs")
    return found.replace(tzinfo=UTC) if found.tzinfo is None else found
