"""What a rerun keeps of the similarity step: answers' fingerprints and the last files.

`workbook grade` on a folder graded already must not fingerprint every answer again, nor
compare and write the similarity files when nothing they are made from changed. Both are
kept in one SQLite file in the output folder (standard library only: the rerun path stays
light):

- `fingerprints`: an answer's winnowed fingerprint by a digest of its exact text and of
  the code that fingerprints (normalise.py, fingerprint.py, K, W, the Python version, whose
  tuple hash the k-grams use), so a changed answer, or changed code, is computed afresh;
- `outputs`: the digest of everything the similarity files were made from (every answer,
  the questions' given code and known sources, the settings, the title, the code of this
  package) with the files' modification times and the cohort page's section, and
  `copy_lines`, each candidate's lines for their graded copy (written in the same
  transaction): a rerun with the same digest and untouched files reuses these as they
  are. The lines are read a candidate at a time as copies are written (`KeptLines`),
  never all at once: at 10,000 candidates they were 12 MB.

A cache that is missing, unreadable, or written by another version only costs the work
again: nothing in it is trusted beyond its shape, and it is never the only copy of anything.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import sys
from collections.abc import Iterable, Iterator, Mapping
from contextlib import closing, contextmanager
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from typing import Any

from workbook.similarity.fingerprint import Fingerprint, K, W, fingerprint

#: the cache's name inside the output folder
CACHE = ".similarity-cache.sqlite"
_SCHEMA = ("CREATE TABLE IF NOT EXISTS fingerprints (key TEXT PRIMARY KEY, spans TEXT NOT NULL)",
           "CREATE TABLE IF NOT EXISTS outputs (name TEXT PRIMARY KEY, entry TEXT NOT NULL)",
           "CREATE TABLE IF NOT EXISTS copy_lines (owner TEXT PRIMARY KEY, lines TEXT NOT NULL)")
#: rows of answers no longer in the gradebook are dropped once they outnumber the live ones
_STALE_SHARE = 1.0
#: how long to wait for another process writing the cache, before doing without it
_BUSY_SECONDS = 5
#: keys looked up per query (SQLite allows 999 parameters on old builds)
_CHUNK = 500
#: fingerprints kept at hand between calls (a bound: a few hundred KB)
_RECENT = 256


@cache
def code_digest(*names: str) -> str:
    """A digest of this package's modules named (all of them, and the CSV writer the
    files go through, when none is named)."""
    from grading import spreadsheet

    digest = hashlib.sha256(f"{sys.version_info[:2]} K={K} W={W}".encode())
    package = Path(__file__).resolve().parent
    sources = [path for path in sorted(package.glob("*.py")) if not names or path.stem in names]
    if not names:
        sources.append(Path(spreadsheet.__file__))
    for source in sources:
        digest.update(source.name.encode())
        digest.update(source.read_bytes())
    return digest.hexdigest()


def _text_key(text: str) -> str:
    digest = hashlib.sha256(code_digest("normalise", "fingerprint").encode())
    digest.update(text.encode("utf-8", "surrogatepass"))
    return digest.hexdigest()


@dataclass(frozen=True, kw_only=True)
class KeptFiles:
    """What the last run's similarity files were made from, and the cohort page's section."""

    inputs: str
    #: the files' modification times when written
    stamps: tuple[int, ...]
    section: str
    #: how many candidates' lines were kept with it (set by `keep_files`)
    owners: int = 0


class SimilarityCache:
    """The cache file of one output folder; every method degrades to "nothing kept"."""

    def __init__(self, connection: sqlite3.Connection | None, path: Path) -> None:
        self._db = connection
        self.path = path
        #: how many fingerprints this run computed (not found in the cache)
        self.computed = 0
        # the keys this run asked for, in a table of the connection's temporary storage
        # (pages on disk beyond SQLite's cache): a set of them grew 5 MB at 10,000
        self._write("CREATE TEMP TABLE IF NOT EXISTS used (key TEXT PRIMARY KEY)", [()])
        #: the last fingerprints read or made: what a page's views ask for again
        self._recent: dict[str, Fingerprint] = {}

    @classmethod
    @contextmanager
    def of(cls, outdir: Path) -> Iterator[SimilarityCache]:
        """The cache in `outdir`, created when missing and replaced when unreadable."""
        connection = _connect(outdir / CACHE)
        if connection is None:
            yield cls(None, outdir / CACHE)
            return
        with closing(connection):
            yield cls(connection, outdir / CACHE)

    def fingerprints(self, texts: Iterable[str]) -> dict[str, Fingerprint]:
        """Each text's fingerprint: read from the cache, or computed and kept."""
        wanted = {_text_key(text): text for text in dict.fromkeys(texts)}
        self._write("INSERT OR IGNORE INTO used VALUES (?)", [(key,) for key in wanted])
        found = {text: self._recent[key] for key, text in wanted.items() if key in self._recent}
        keys = [key for key, text in wanted.items() if text not in found]
        for start in range(0, len(keys), _CHUNK):
            chunk = keys[start:start + _CHUNK]
            marks = ", ".join("?" * len(chunk))
            for key, spans in self._rows(f"SELECT key, spans FROM fingerprints WHERE key IN "
                                         f"({marks})", *chunk):
                kept = _fingerprint(spans)
                if kept is not None and key in wanted:
                    found[wanted[key]] = kept
        new = {key: text for key, text in wanted.items() if text not in found}
        for text in new.values():
            found[text] = fingerprint(text)
        self.computed += len(new)
        if new:
            self._write("INSERT OR REPLACE INTO fingerprints VALUES (?, ?)",
                        [(key, _spans_json(found[text])) for key, text in new.items()])
        for key, text in wanted.items():
            self._recent.pop(key, None)
            self._recent[key] = found[text]
        while len(self._recent) > _RECENT:
            del self._recent[next(iter(self._recent))]
        return found

    def forget_unused(self) -> None:
        """Drop the fingerprints this run did not ask for once they outnumber those it
        did, so the file grows with the cohort, not with every answer ever seen."""
        rows = self._rows("SELECT (SELECT count(*) FROM fingerprints), "
                          "(SELECT count(*) FROM used)")
        if not rows or rows[0][0] <= rows[0][1] * (1 + _STALE_SHARE):
            return
        self._write("DELETE FROM fingerprints WHERE key NOT IN (SELECT key FROM used)", [()])

    def kept_files(self, name: str) -> KeptFiles | None:
        rows = self._rows("SELECT entry FROM outputs WHERE name = ?", name)
        return _kept_files(rows[0][0]) if rows else None

    def keep_files(self, name: str, kept: KeptFiles,
                   lines: Iterable[tuple[str, tuple[str, ...]]]) -> KeptFiles | None:
        """Keep `kept` under `name` and each (candidate, lines) in place of the last ones,
        in one transaction; what was kept, or None when the cache cannot hold them."""
        if self._db is None:
            return None
        try:
            with self._db:
                self._db.execute("DELETE FROM copy_lines")
                self._db.executemany("INSERT OR REPLACE INTO copy_lines VALUES (?, ?)",
                                     ((owner, json.dumps(list(kept_lines)))
                                      for owner, kept_lines in lines))
                (owners,), = self._db.execute("SELECT count(*) FROM copy_lines")
                entry = json.dumps({"inputs": kept.inputs, "stamps": list(kept.stamps),
                                    "section": kept.section, "owners": owners})
                self._db.execute("INSERT OR REPLACE INTO outputs VALUES (?, ?)", (name, entry))
        except sqlite3.Error:
            return None
        return replace(kept, owners=owners)

    def kept_lines(self, kept: KeptFiles) -> KeptLines | None:
        """The lines kept with `kept`, read as asked; None when the file cannot be read
        or they are not all there, each a list of strings (read through once, a row at
        a time, so a damaged cache costs the work again rather than a copy its lines)."""
        if self._db is None:
            return None
        try:
            rows = self._db.execute("SELECT lines FROM copy_lines")
            count = 0
            for (text,) in rows:
                if _lines(text) is None:
                    return None
                count += 1
            return KeptLines(self.path) if count == kept.owners else None
        except sqlite3.Error:
            return None

    def _rows(self, query: str, *parameters: object) -> list[Any]:
        if self._db is None:
            return []
        try:
            return self._db.execute(query, parameters).fetchall()
        except sqlite3.Error:
            return []

    def _write(self, query: str, rows: list[tuple[object, ...]]) -> None:
        if self._db is None:
            return
        try:
            with self._db:
                self._db.executemany(query, rows)
        except sqlite3.Error:
            pass  # a cache that cannot be written only means the work again next run


def _connect(path: Path) -> sqlite3.Connection | None:
    for _attempt in range(2):
        try:
            connection = sqlite3.connect(path, timeout=_BUSY_SECONDS)
            try:
                # a cache need not survive a power cut, and an fsync per run was a
                # tenth of the step on 40 candidates; a crash mid-write still rolls back
                connection.execute("PRAGMA synchronous = OFF")
                for statement in _SCHEMA:
                    connection.execute(statement)
                connection.commit()
                return connection
            except sqlite3.Error:
                connection.close()
                raise
        except sqlite3.OperationalError:
            return None  # busy, or the folder is read-only: do without the cache this run
        except sqlite3.Error:
            try:  # not a database (a damaged or foreign file): start a new one
                path.unlink(missing_ok=True)
            except OSError:
                return None
    return None


def _spans_json(print_: Fingerprint) -> str:
    return json.dumps([[value, sorted(lines)] for value, lines in print_.spans.items()],
                      separators=(",", ":"))


def _fingerprint(text: object) -> Fingerprint | None:
    try:
        data = json.loads(text) if isinstance(text, str) else None
    except ValueError:
        return None
    if not isinstance(data, list):
        return None
    spans: dict[int, frozenset[int]] = {}
    for item in data:
        if not (isinstance(item, list) and len(item) == 2 and _is_int(item[0])
                and isinstance(item[1], list) and all(map(_is_int, item[1]))):
            return None
        spans[item[0]] = frozenset(item[1])
    return Fingerprint(spans)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _kept_files(text: object) -> KeptFiles | None:
    try:
        data = json.loads(text) if isinstance(text, str) else None
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    inputs, stamps, section = data.get("inputs"), data.get("stamps"), data.get("section")
    owners = data.get("owners")
    if not (isinstance(inputs, str) and isinstance(section, str)
            and isinstance(owners, int) and not isinstance(owners, bool)
            and isinstance(stamps, list) and all(map(_is_int, stamps))):
        return None
    return KeptFiles(inputs=inputs, stamps=tuple(stamps), section=section, owners=owners)


class KeptLines(Mapping[str, tuple[str, ...]]):
    """Each candidate's lines for their graded copy, read from the cache file as asked
    (a connection of its own, open until `close`); `SimilarityCache.kept_lines` checked
    every row's shape first."""

    def __init__(self, path: Path) -> None:
        self._db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True,
                                   timeout=_BUSY_SECONDS)

    def __getitem__(self, owner: str) -> tuple[str, ...]:
        try:
            row = self._db.execute("SELECT lines FROM copy_lines WHERE owner = ?",
                                   (owner,)).fetchone()
        except sqlite3.Error:
            row = None  # a copy without its lines beats no copies
        lines = None if row is None else _lines(row[0])
        if lines is None:
            raise KeyError(owner)
        return lines

    def __iter__(self) -> Iterator[str]:
        return (owner for (owner,) in self._db.execute(
            "SELECT owner FROM copy_lines ORDER BY owner"))

    def __len__(self) -> int:
        (count,), = self._db.execute("SELECT count(*) FROM copy_lines")
        return int(count)

    def close(self) -> None:
        self._db.close()


def _lines(text: object) -> tuple[str, ...] | None:
    try:
        data = json.loads(text) if isinstance(text, str) else None
    except ValueError:
        return None
    if not (isinstance(data, list) and all(isinstance(line, str) for line in data)):
        return None
    return tuple(data)


def inputs_digest(parts: Iterable[object]) -> str:
    """A digest of everything the similarity files are made from (`parts`: plain values
    whose repr says all of them) and of the code of this package."""
    digest = hashlib.sha256(code_digest().encode())
    for part in parts:
        digest.update(b"\0")
        digest.update(repr(part).encode("utf-8", "surrogatepass"))
    return digest.hexdigest()
