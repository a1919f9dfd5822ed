"""Answer keys kept between runs: what each reference observed, by the digest of everything
that made it, so grading the same bank again (a second `workbook grade`, another grader on
the same gradebook) does not run every reference again.

A key is found by its digest: every task's id, reference, check setup, timeout and hidden
checks, plus what else decides an observation (the harness's code, the marshal format,
the Python version). A change to any of them is another digest, so a stale key is never
found rather than ever invalidated. Kept as marshal format 2 of plain data (the format
observations travel in) and read back through `plain_marshal`, like any observation; the
gradebook also signs it with its key (`Gradebook.answer_key`).
"""

from __future__ import annotations

import hashlib
import marshal
import sys
import threading
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

from grading.judge import Observation
from grading.kernel.inside.protocol import MARSHAL_VERSION
from grading.plain_marshal import NotPlain, loads_plain
from grading.tasks import Task

AnswerKey = dict[str, dict[int, Observation]]
_HARNESS = Path(__file__).parent / "kernel" / "inside" / "harness.py"


class StoredAnswerKeys(Protocol):
    """Where answer keys outlive the process (the gradebook)."""

    def answer_key(self, digest: str) -> bytes | None:
        """The key kept under `digest`, or None (none kept, or not authentic)."""

    def keep_answer_key(self, digest: str, data: bytes) -> None:
        """Keep `data` under `digest` (a key another grader kept first stays)."""


class AnswerKeyCache:
    """Answer keys by digest, in this process, so Graders opened one after another for one
    bank (tests, the Dask worker, bank checks) run each reference once. Bounded: the least
    recently used key goes first."""

    def __init__(self, capacity: int = 8) -> None:
        self.capacity = capacity
        self._keys: OrderedDict[str, AnswerKey] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, digest: str) -> AnswerKey | None:
        with self._lock:
            key = self._keys.get(digest)
            if key is not None:
                self._keys.move_to_end(digest)
            return key

    def put(self, digest: str, key: AnswerKey) -> None:
        with self._lock:
            self._keys[digest] = key
            self._keys.move_to_end(digest)
            while len(self._keys) > self.capacity:
                self._keys.popitem(last=False)


def key_digest(tasks: Sequence[Task]) -> str:
    """The digest of everything that decides what the references of `tasks` observe."""
    digest = hashlib.sha256()
    engine = [_HARNESS.read_text(encoding="utf-8"), str(MARSHAL_VERSION),
              ".".join(map(str, sys.version_info[:2]))]
    for part in engine:
        digest.update(part.encode())
        digest.update(b"\0")
    for task in tasks:
        parts = [task.id, task.reference, task.check_setup, str(task.timeout),
                 *(c.code for c in task.hidden_checks)]
        for part in parts:
            digest.update(part.encode())
            digest.update(b"\0")
    return digest.hexdigest()


def encode(key: AnswerKey) -> bytes:
    """`key` as marshal format 2 bytes: {task: {check: (value, raised, message, the
    bytes the value was read from)}}."""
    plain = {task_id: {index: (seen.value, seen.raised, seen.message, seen.data)
                       for index, seen in checks.items()}
             for task_id, checks in key.items()}
    return marshal.dumps(plain, MARSHAL_VERSION)


def decode(data: bytes) -> AnswerKey | None:
    """The key in `data`, or None when it is not one (then the key is made again)."""
    try:
        plain: Any = loads_plain(data)
    except NotPlain:
        return None
    if type(plain) is not dict:
        return None
    key: AnswerKey = {}
    for task_id, checks in plain.items():
        if type(task_id) is not str or type(checks) is not dict:
            return None
        key[task_id] = {}
        for index, seen in checks.items():
            if (type(index) is not int or type(seen) is not tuple or len(seen) != 4
                    or type(seen[2]) is not str or type(seen[1]) not in (str, type(None))
                    or type(seen[3]) is not bytes):
                return None
            key[task_id][index] = Observation(value=seen[0], raised=seen[1], message=seen[2],
                                              data=seen[3])
    return key
