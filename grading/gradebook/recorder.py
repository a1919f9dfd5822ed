"""The writes a grading run makes (each submission's claim, its results, the claim's
release; the answer keys it makes), each one driver transaction (`driver.py`) on one
gradebook; `url` names it in errors."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from grading.gradebook import claiming
from grading.gradebook.driver import DriverWrites, writing
from grading.gradebook.recording import record
from grading.results import SubmissionResult


class Recorder:
    def __init__(self, writes: DriverWrites, url: str) -> None:
        self._writes = writes
        self.url = url

    def close(self) -> None:
        self._writes.close()

    def record_submission(self, result: SubmissionResult, *,
                          workbook_meta: Mapping[str, Any],
                          releasing: str | None = None) -> None:
        with writing(self._writes, self.url, f"record {result.source}") as write:
            record(write, result, workbook_meta, datetime.now(UTC), releasing=releasing)

    # A claim need not survive a power cut (the grader holding it would not either, and
    # its lease lapses), so its commit does not wait for the disk: on a SQLite file each
    # would cost a submission about as long as a small result's whole recording. The
    # next recording's commit makes it durable with it.

    def claim(self, content_hash: str, owner: str, lease: timedelta, *,
              unless_settled: bool, is_gone: Callable[[str], bool]) -> bool:
        with writing(self._writes, self.url, "claim a submission", durable=False) as write:
            return claiming.claim(write, content_hash, owner, datetime.now(UTC), lease,
                                  unless_settled=unless_settled, is_gone=is_gone)

    def claim_owner(self, content_hash: str) -> str | None:
        with writing(self._writes, self.url, "look up a claim") as write:
            return claiming.owner(write, content_hash, datetime.now(UTC))

    def renew_claims(self, owner: str, lease: timedelta) -> None:
        with writing(self._writes, self.url, "renew claims", durable=False) as write:
            claiming.renew(write, owner, datetime.now(UTC) + lease)

    def release(self, owner: str, content_hash: str | None = None) -> None:
        with writing(self._writes, self.url, "release claims", durable=False) as write:
            claiming.release(write, owner, content_hash)

    def keep_answer_key(self, digest: str, data: bytes, signed: str) -> None:
        """Keep an answer key in place of any row under `digest` (one whose signature
        failed); of two graders keeping one at once, the first stays."""
        with writing(self._writes, self.url, "keep an answer key") as write:
            write.execute("DELETE FROM answer_keys WHERE digest = ?", [digest])
            write.execute("INSERT INTO answer_keys (digest, data, signature, created_at) "
                          "VALUES (?, ?, ?, ?) ON CONFLICT (digest) DO NOTHING",
                          [digest, data, signed, write.moment(datetime.now(UTC))])
