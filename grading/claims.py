"""Graders that share one gradebook split a batch by claiming each submission first.

Every `workbook grade` run is one *owner*. Before it grades a submission (or records a
refusal) it claims it in the gradebook (`Gradebook.claim`); a submission another owner
holds is left to them. A background thread renews the owner's claims while it works, so a
claim outlives a slow submission but not a dead grader: killed, its claims expire after
`lease`, and any grader still running (or the next run) takes those submissions over.
A claim is released once the result is recorded, and all of an owner's claims when it
stops. A claim whose owner ran on this machine and is no longer running counts as lapsed at
once, so rerunning a killed batch does not wait for its leases. A SQLite gradebook uses
the same rows; its one writer at a time makes them trivially safe.
"""

from __future__ import annotations

import os
import secrets
import socket
import threading
from datetime import timedelta
from types import TracebackType
from typing import TYPE_CHECKING

from grading.errors import GradebookError

if TYPE_CHECKING:
    from grading.gradebook import Gradebook

#: how long a claim lasts without renewal; renewed four times as often
DEFAULT_LEASE = timedelta(seconds=120)


class Claims:
    """This run's claims on one gradebook (a context manager: renewal thread, release)."""

    def __init__(self, gradebook: Gradebook, *, lease: timedelta = DEFAULT_LEASE,
                 force: bool = False) -> None:
        self.gradebook = gradebook
        self.lease = lease
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"
        self._force = force
        self._claimed = False  # whether this run may hold a claim to release
        self._stop = threading.Event()
        self._renewer = threading.Thread(target=self._renew, name="claim-renewal",
                                         daemon=True)

    def __enter__(self) -> Claims:
        self._renewer.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self._stop.set()
        self._renewer.join()
        if not self._claimed:  # a rerun that graded nothing has no claim, and no write
            return
        try:
            self.gradebook.release(self.owner)
        except GradebookError:
            if kind is None:  # on the way out of another error, let that one stand
                raise

    def take(self, content_hash: str) -> bool:
        """Claim one submission; False when another grader has it (or it got settled)."""
        self._claimed = True
        return self.gradebook.claim(content_hash, self.owner, self.lease,
                                    unless_settled=not self._force, is_gone=owner_is_gone)

    def held_elsewhere(self, content_hash: str) -> bool:
        """True while another live grader holds the submission."""
        owner = self.gradebook.claim_owner(content_hash)
        return owner is not None and owner != self.owner and not owner_is_gone(owner)

    def release(self, content_hash: str) -> None:
        self.gradebook.release(self.owner, content_hash)

    @property
    def poll_seconds(self) -> float:
        """How often to look again at submissions another grader holds."""
        return min(2.0, self.lease.total_seconds() / 4)

    def _renew(self) -> None:
        while not self._stop.wait(self.lease.total_seconds() / 4):
            if not self._claimed:
                continue
            try:
                self.gradebook.renew_claims(self.owner, self.lease)
            except GradebookError:
                continue  # a blip: the next renewal comes well before the lease ends


def owner_is_gone(owner: str) -> bool:
    """True when `owner` names a process of this machine that is no longer running; an owner
    on another machine is never known gone (its lease decides)."""
    host, _, rest = owner.partition(":")
    pid_text = rest.partition(":")[0]
    if host != socket.gethostname() or not pid_text.isdigit():
        return False
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return True
    except (PermissionError, OverflowError):
        return False
    return False
