"""Lock files: a question's drawn inputs pinned next to it, so the answer key does not
depend on the installed Hypothesis version.

`workbook bank lock` writes `<question>.inputs.lock` beside each question file that has
properties. Per property it holds a key (a digest of the generators' code, the inputs,
the count and the seed: everything the drawing depends on but Hypothesis itself) and
one line per drawn input: the input as a Python literal, a tab, and the hex of the
Hypothesis choices that drew it (the shrinker's seed; "-" when unknown). The grader
uses a property's locked inputs when the key still matches (draw.py); `bank check`
refuses a lock that is stale (a key that no longer matches, a property missing or
gone) or damaged, with one line naming the file.

    # Drawn inputs of ds-merge-intervals (Hypothesis 6.170.17): part of the answer key.
    # Written by `workbook bank lock`; `workbook bank check` refuses it once stale.
    [merges-like-reference] 1f3c...
    {'intervals': [(1, 3), (3, 3)]}	0141fd...
"""

from __future__ import annotations

import ast
import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from workbook.errors import WorkbookError
from workbook.generated.draw import Cases, Seeds, drawn_inputs, lock_key, valid_inputs
from workbook.model import Property, Question

SUFFIX = ".inputs.lock"


class LockError(WorkbookError):
    """A lock file that cannot be read: the message names the file and line."""


@dataclass(frozen=True)
class Locked:
    """One property's pinned inputs."""

    key: str
    cases: Cases
    seeds: Seeds


def lock_path(question: Question) -> Path | None:
    """Where `question`'s lock file lives (None for a question not read from a file)."""
    if not question.source or not question.source.endswith(".md"):
        return None
    return Path(question.source[:-len(".md")] + SUFFIX)


def read_lock(path: Path) -> dict[str, Locked]:
    """The properties a lock file pins, or LockError naming the line that is wrong."""
    stat = path.stat()
    return _read(str(path), stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=256)
def _read(path: str, _mtime: int, _size: int) -> dict[str, Locked]:
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        raise LockError(f"{path}: cannot read the lock file ({error}); run "
                        "`workbook bank lock` to write it again") from None
    found: dict[str, Locked] = {}
    name, key = "", ""
    cases: list[Any] = []
    seeds: list[bytes | None] = []

    def close(number: int) -> None:
        if not name:
            return
        if not valid_inputs(tuple(cases), tuple(seeds)):
            raise LockError(f"{path}:{number}: property '{name}' has no inputs, or inputs "
                            "that are not plain data; run `workbook bank lock` again")
        found[name] = Locked(key, tuple(cases), tuple(seeds))

    for number, line in enumerate(lines, 1):
        if not line.strip() or line.startswith("#"):
            continue
        if line.startswith("["):
            close(number)
            head, _, key = line[1:].partition("] ")
            name, cases, seeds = head, [], []
            if not name or len(key) != 64:
                raise LockError(f"{path}:{number}: expected '[property-name] <key>'")
            continue
        literal, _, seed = line.partition("\t")
        try:
            case = ast.literal_eval(literal)
            choices = None if seed in ("", "-") else bytes.fromhex(seed)
        except (ValueError, SyntaxError, MemoryError, RecursionError):
            raise LockError(f"{path}:{number}: not an input literal and its choices in "
                            "hex; run `workbook bank lock` to write the file again") from None
        if not name:
            raise LockError(f"{path}:{number}: an input before any '[property-name] <key>'")
        cases.append(case)
        seeds.append(choices)
    close(len(lines))
    return found


def locked_inputs(question: Question, prop: Property) -> tuple[Cases, Seeds] | None:
    """`prop`'s inputs from the lock file, when it has a fresh entry for it; a missing,
    damaged or stale lock gives None (the inputs are drawn; `bank check` says why)."""
    path = lock_path(question)
    if path is None or not path.is_file():
        return None
    try:
        entry = read_lock(path).get(prop.name)
    except (LockError, OSError):
        return None
    if entry is None or entry.key != lock_key(question, prop):
        return None
    return entry.cases, entry.seeds


def lock_problem(question: Question) -> str | None:
    """Why `question`'s lock file does not pin its inputs (one line), or None when it
    does or the question has no properties."""
    path = lock_path(question)
    if path is None or not question.properties:
        return None
    if not path.is_file():
        return f"{path}: no lock file; run `workbook bank lock {question.id}`"
    try:
        entries = read_lock(path)
    except LockError as error:
        return str(error)
    names = {prop.name for prop in question.properties}
    stale = [prop.name for prop in question.properties
             if prop.name not in entries or entries[prop.name].key != lock_key(question, prop)]
    gone = sorted(set(entries) - names)
    if stale or gone:
        what = ", ".join([f"'{name}'" for name in stale]
                         + [f"'{name}' (no longer a property)" for name in gone])
        return (f"{path}: stale for {what}: the generators, inputs or count changed; run "
                f"`workbook bank lock {question.id}`")
    return None


def write_lock(question: Question) -> bool:
    """Write `question`'s lock file unless it is fresh; whether it was written. Entries
    still fresh are kept as they are, so locking never moves inputs that did not change."""
    import hypothesis

    path = lock_path(question)
    if path is None or not question.properties or lock_problem(question) is None:
        return False
    try:
        kept = read_lock(path) if path.is_file() else {}
    except LockError:
        kept = {}
    lines = [f"# Drawn inputs of {question.id} (Hypothesis {hypothesis.__version__}): part "
             "of the answer key.",
             "# Written by `workbook bank lock`; `workbook bank check` refuses it once stale."]
    for prop in question.properties:
        key = lock_key(question, prop)
        entry = kept.get(prop.name)
        if entry is None or entry.key != key:
            cases, seeds = drawn_inputs(question, prop)
            entry = Locked(key, cases, seeds)
        lines.append(f"[{prop.name}] {key}")
        for case in entry.cases:
            try:
                same = repr(ast.literal_eval(repr(case))) == repr(case)
            except (ValueError, SyntaxError):
                same = False
            if not same:
                raise LockError(f"{path}: an input of '{prop.name}' cannot be written as a "
                                f"Python literal ({repr(case)[:80]}); draw plainer values")
        lines += [f"{case!r}\t{seed.hex() if seed is not None else '-'}"
                  for case, seed in zip(entry.cases, entry.seeds, strict=True)]
    partial = path.with_name(path.name + ".tmp")
    partial.write_text("\n".join(lines) + "\n", encoding="utf-8")
    partial.replace(path)
    return True
