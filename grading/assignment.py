"""What a candidate was issued, as the grading side recorded it: the tasks that count.

An *assignment* is made when a workbook is issued: an unguessable id, the task ids, the
candidate when known, and details the issuer keeps (the interview side puts the level,
bank version and seed there). It is stored in the gradebook with an HMAC-SHA256 signature
made with the gradebook's own key (`grading.gradebook.keys`), which never leaves the
grading side. The notebook carries only the id.

Grading a notebook against its assignment, the notebook's own claims decide nothing: a
question it dropped scores 0 (its starter is graded), and any claim that differs from the
assignment (questions, candidate, details) is reported as an edited assignment. A
notebook whose id the gradebook does not know (or whose record fails its signature) is
graded from its own cells and marked *not verified* on every report.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

#: bytes of randomness in an assignment id: guessing another candidate's id is hopeless
ID_BYTES = 16
ID_PREFIX = "wb-"
#: the longest id a notebook may claim; anything longer is not an id this project made
MAX_ID_LENGTH = 64
#: what an assignment id may look like; anything else is never looked up
ID_PATTERN = re.compile(rf"[A-Za-z0-9_-]{{1,{MAX_ID_LENGTH}}}")


class AssignmentState(StrEnum):
    """How far a submission's questions are backed by an issued assignment."""

    VERIFIED = "verified"  # graded against the issued assignment; the notebook agrees
    EDITED = "edited"  # graded against the issued assignment; the notebook claims otherwise
    NOT_VERIFIED = "not verified"  # no known assignment: graded from the notebook's cells


@dataclass(frozen=True, kw_only=True)
class Assignment:
    """One issued workbook: which tasks count, for whom, and the issuer's details."""

    id: str
    tasks: tuple[str, ...]
    candidate: str | None = None
    #: plain JSON data the issuer keeps (level, bank version, seed, ...)
    details: Mapping[str, Any] = field(default_factory=dict)


def new_assignment_id() -> str:
    return ID_PREFIX + secrets.token_hex(ID_BYTES)


def is_assignment_id(value: object) -> bool:
    """True for text shaped like an id this project issues (plain ASCII, bounded), so a
    claimed id with NULs, lone surrogates or megabytes never reaches a query."""
    return isinstance(value, str) and ID_PATTERN.fullmatch(value) is not None


def signed_bytes(assignment: Assignment) -> bytes:
    """The canonical form that is signed: every field, in one unambiguous JSON text."""
    return json.dumps({"id": assignment.id, "tasks": list(assignment.tasks),
                       "candidate": assignment.candidate, "details": dict(assignment.details)},
                      sort_keys=True, ensure_ascii=True, separators=(",", ":")).encode()


def signature(assignment: Assignment, key: bytes) -> str:
    return hmac.new(key, signed_bytes(assignment), hashlib.sha256).hexdigest()


def is_authentic(assignment: Assignment, recorded_signature: str, key: bytes) -> bool:
    return hmac.compare_digest(signature(assignment, key), recorded_signature)


def differences(assignment: Assignment, *, tasks: Sequence[str] | None,
                candidate: str | None, details: Mapping[str, Any]) -> list[str]:
    """What a notebook claims that the assignment does not say, one phrase per field."""
    found = []
    if tasks is not None and tuple(tasks) != assignment.tasks:
        found.append(f"questions {_short(list(tasks))} instead of "
                     f"{_short(list(assignment.tasks))}")
    if candidate is not None and assignment.candidate is not None \
            and candidate != assignment.candidate:
        found.append(f"candidate {_short(candidate)} instead of {_short(assignment.candidate)}")
    for name, issued in assignment.details.items():
        if name in details and details[name] != issued:
            found.append(f"{name} {_short(details[name])} instead of {_short(issued)}")
    return found


def _short(value: Any, limit: int = 120) -> str:
    text = json.dumps(value, ensure_ascii=True, default=str)
    return text if len(text) <= limit else text[:limit] + "..."
