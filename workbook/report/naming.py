"""File names of reports: derived from a candidate id, never the id itself.

A candidate id comes from the candidate's notebook (or the file's name), so it can hold
path separators, `..`, characters a file system refuses or folds (case, Unicode forms),
bytes that are not UTF-8, or be chosen to equal another candidate's file name. A report's
file name is a short readable slug (ASCII letters, digits, `.`, `_`, `-`; lower case) and
a suffix hashed from the exact id, so:

- the name stays inside its folder and is valid on every file system;
- two distinct ids never share a name, even on a case-insensitive or normalising file
  system: the suffix differs, and the suffix is lower-case hex;
- no id can choose its way onto another's name, because the suffix of a name is a hash of
  that name's own id, not of the text an id spells.

When two submissions claim one candidate (a conflict a person must resolve), each copy is
named with the submission too, so both are kept and each link opens its own.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

#: the folder of graded copies, under the output folder
GRADED_DIR = "graded"


@dataclass(frozen=True, kw_only=True)
class ReportFiles:
    """The files a report stage wrote. Defined here, beside the names, because the
    reports worker sends it to the grading process, which imports nothing of the
    report stack (`ahead.py`)."""

    #: how many graded copies there are, written or kept
    copies: int = 0
    cohort: tuple[Path, ...] = ()
    exports: tuple[Path, ...] = ()


#: characters of the readable part; the hash keeps names distinct, not the slug
SLUG_LENGTH = 40
#: hex digits of the suffix: 64 bits, so a collision needs ~4 billion candidates
SUFFIX_LENGTH = 16
_UNSAFE = re.compile(r"[^a-z0-9._-]+")


def identity_bytes(text: str) -> bytes:
    """The exact id as bytes; a file name that was not UTF-8 (surrogate escapes) too."""
    return text.encode("utf-8", "surrogatepass")


def slug(text: str) -> str:
    """A readable ASCII rendering of `text`, maybe empty; not unique on its own."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return _UNSAFE.sub("-", folded.lower()).strip(".-_")[:SLUG_LENGTH].strip(".-_")


def report_stem(candidate: str, submission: str | None = None) -> str:
    """The file stem of a candidate's report; `submission` (a content hash) when several
    submissions claim the candidate."""
    digest = hashlib.sha256(identity_bytes(candidate))
    if submission is not None:
        digest.update(b"\0" + identity_bytes(submission))
    return f"{slug(candidate) or 'candidate'}-{digest.hexdigest()[:SUFFIX_LENGTH]}"
