"""What a question gives every answer (subtracted) and the sources answers are compared with.

Code that every correct answer must contain (the starter's signature and given lines, the
public checks' calls, the code the prompt shows) says nothing about copying, so all of its
k-grams are taken out of every fingerprint before comparing: two independent correct
answers then share only what they wrote themselves.

Known sources are the question's own reference, alternatives and decoys, and any `*.py`
a team drops into `<bank>/known-sources/<question-id>/` (a public solution, last year's
leaked answers).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from workbook.model import Question
from workbook.similarity.fingerprint import all_kgrams

KNOWN_SOURCES = "known-sources"
#: a known source larger than this is read up to here (a pasted archive is not an answer)
MAX_KNOWN_BYTES = 256 * 1024
_PROMPT_CODE = re.compile(r"```[a-zA-Z]*\n(.*?)```", re.DOTALL)


@dataclass(frozen=True, kw_only=True)
class KnownSource:
    """Code an answer is compared with that is not another candidate's answer."""

    #: "reference", "alternative", "decoy" or "known source"
    kind: str
    label: str
    code: str


def given_code(question: Question) -> list[str]:
    """Every piece of code the candidate was given: starter, public checks, prompt blocks."""
    return [question.starter, question.public_checks,
            *_PROMPT_CODE.findall(question.prompt)]


def shared_kgrams(question: Question | None) -> frozenset[int]:
    """The k-grams of everything given to every candidate, to subtract from answers."""
    if question is None:
        return frozenset()
    shared: set[int] = set()
    for code in given_code(question):
        shared |= all_kgrams(code)
    return frozenset(shared)


def known_sources(question: Question | None, question_id: str,
                  bank_folder: Path | None) -> list[KnownSource]:
    """The question's reference, alternatives and decoys, then the team's known sources."""
    found: list[KnownSource] = []
    if question is not None:
        if question.reference:
            found.append(KnownSource(kind="reference", label="reference",
                                     code=question.reference))
        found += [KnownSource(kind="alternative", label=f"alternative {a.name}", code=a.code)
                  for a in question.alternatives]
        found += [KnownSource(kind="decoy", label=f"decoy {d.name}", code=d.code)
                  for d in question.decoys]
    if bank_folder is not None:
        folder = bank_folder / KNOWN_SOURCES / question_id
        if question_id and "/" not in question_id and folder.is_dir():
            for path in sorted(folder.glob("*.py")):
                if path.is_file():
                    found.append(KnownSource(kind="known source", label=path.name,
                                             code=_read(path)))
    return found


def _read(path: Path) -> str:
    with path.open("rb") as handle:
        data = handle.read(MAX_KNOWN_BYTES)
    return data.decode("utf-8", "replace")
