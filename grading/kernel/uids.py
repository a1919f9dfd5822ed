"""Unprivileged uids for kernels, leased so that no two live kernels on this machine share
one, even across grader processes: a uid's processes are killed wholesale when its kernel
ends, and RLIMIT_NPROC counts per uid."""

from __future__ import annotations

import fcntl
import os
import random
import tempfile
import threading
from pathlib import Path

from grading.errors import SandboxError

SPAN = 1_000_000


class UidLeases:
    """Hands out uids from [base, base + SPAN), each held by an flock until released."""

    def __init__(self, base: int) -> None:
        self.base = base
        self.folder = Path(tempfile.gettempdir()) / "workbook-uid-leases"
        self.folder.mkdir(mode=0o700, exist_ok=True)
        self._held: dict[int, int] = {}  # uid -> open lock descriptor
        self._free: list[int] = []
        self._lock = threading.Lock()

    def take(self) -> int:
        with self._lock:
            if self._free:
                return self._free.pop()
            for _ in range(100):
                uid = self.base + random.randrange(SPAN)
                if uid in self._held:
                    continue
                fd = os.open(self.folder / str(uid), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC,
                             0o600)
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    os.close(fd)
                    continue
                self._held[uid] = fd
                return uid
        raise SandboxError(f"no free kernel uid found in {self.folder}")

    def give_back(self, uid: int) -> None:
        with self._lock:
            self._free.append(uid)

    def close(self) -> None:
        with self._lock:
            for uid, fd in self._held.items():
                os.close(fd)
                (self.folder / str(uid)).unlink(missing_ok=True)
            self._held.clear()
            self._free.clear()
