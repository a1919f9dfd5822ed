"""A cohort of any size, ranked on disk: the cohort files read it without holding it.

The report stage walks the gradebook one candidate at a time (`from_gradebook.iter_reports`),
and each candidate's cohort summary (`stage.for_cohort`: the report less its answers and
outputs) goes into a SQLite file of its own as it passes, with its sort keys as columns.
The ranking is then an ORDER BY over that file, read a row at a time as often as the
cohort page, CSV, JSON and ATS exports need it, and the statistics are taken from one
such read (`cohort.CohortTally`). So the cohort files hold one candidate, never the
cohort (bench/report_memory_bench.py measures the report stage at two sizes).

Why a scratch database (`grading.scratch`: SQLite's temporary database, on disk, unlinked
as it is made, so gone with the process however it ends) rather than the gradebook: a
summary is what the report assembles from results, live scores and the returned notebook,
none of which the gradebook stores in one row, and the gradebook may be a server the
report stage should not write to.

The order is `cohort.rank_key`'s, in SQL: graded first by percentage and points (REAL
columns: the same doubles), then by name compared as UTF-8 bytes (with surrogates passed
through: the same order as Python's comparison of the strings), equal keys in the order
they were added.
"""

from __future__ import annotations

import hashlib
import pickle
import sqlite3
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Self

from grading.results import SubmissionStatus
from grading.scratch import scratch_database
from workbook.report.cohort import CohortOverview, CohortTally, RankedCandidate
from workbook.report.records import CandidateReport

_SCHEMA = """
CREATE TABLE candidates (
    seq INTEGER PRIMARY KEY,
    graded INTEGER NOT NULL,
    percent REAL NOT NULL,
    points REAL NOT NULL,
    status TEXT NOT NULL,
    name BLOB NOT NULL,
    content_hash TEXT NOT NULL,
    copy TEXT,
    summary BLOB NOT NULL
);
CREATE INDEX candidates_by_key ON candidates (name, content_hash);
"""

_RANKED = ("SELECT graded, summary FROM candidates "
           "ORDER BY graded DESC, "
           "CASE WHEN graded THEN percent END DESC, CASE WHEN graded THEN points END DESC, "
           "CASE WHEN graded THEN '' ELSE status END, name, seq")


def _name(candidate: str) -> bytes:
    return candidate.encode("utf-8", "surrogatepass")


#: cohorts up to this many candidates keep their ranking in memory once read: a bound,
#: so a large cohort's memory does not grow with it. A summary of the junior workbook is
#: 2-5 KB pickled but ~33 KB decoded: at the 2,000 this was once, the report stage's
#: peak rose by 65 MB (145 MiB, against 82 MiB at 4,000 read from disk)
KEPT_IN_MEMORY = 200


class CohortSpool:
    """Candidate summaries in a scratch database on disk; `ranked()` reads them in order."""

    def __init__(self) -> None:
        self._db = scratch_database()
        self._db.executescript(_SCHEMA)
        self._digest = hashlib.sha256()
        self.counts: dict[SubmissionStatus, int] = {}
        self._overview: CohortOverview | None = None
        #: the ranking of a small cohort, once read whole (`ranked`)
        self._kept: list[RankedCandidate] | None = None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._db.close()

    def add(self, summary: CandidateReport, copy: str | None) -> None:
        """The next candidate's summary, and their graded copy's page (relative to the
        report folder) if it may exist: `drop_missing_copies` checks once copies are
        written."""
        graded = summary.status is SubmissionStatus.GRADED
        self._db.execute(
            "INSERT INTO candidates (graded, percent, points, status, name, content_hash, "
            "copy, summary) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (int(graded), summary.percent if graded else 0.0,
             summary.points if graded else 0.0, str(summary.status), _name(summary.candidate),
             summary.content_hash, copy, pickle.dumps(summary, pickle.HIGHEST_PROTOCOL)))
        self.counts[summary.status] = self.counts.get(summary.status, 0) + 1
        self._kept = None
        # frozen records: their repr says every field (as `unchanged.fingerprint` reads them)
        self._digest.update(b"\0" + repr(summary).encode("utf-8", "surrogatepass"))
        self._overview = None

    def drop_missing_copies(self, outdir: Path) -> None:
        """Forget each copy whose page was not written (its candidate keeps a row, without
        a link), and fold the links into the digest."""
        missing = [seq for seq, copy in self._db.execute(
            "SELECT seq, copy FROM candidates WHERE copy IS NOT NULL ORDER BY seq")
                   if not (outdir / copy).exists()]
        self._kept = None
        self._db.executemany("UPDATE candidates SET copy = NULL WHERE seq = ?",
                             [(seq,) for seq in missing])
        for name, content_hash, copy in self._db.execute(
                "SELECT name, content_hash, copy FROM candidates ORDER BY seq"):
            self._digest.update(b"\1" + repr((name, content_hash, copy)).encode())

    def digest(self) -> str:
        """A digest of every summary and link added, in order: what the cohort files are
        made from, for `unchanged`."""
        return self._digest.hexdigest()

    def ranked(self) -> Iterator[RankedCandidate]:
        """Every candidate in ranking order, graded ones numbered from 1, read a row at a
        time. A cohort of at most `KEPT_IN_MEMORY` is read from disk once and its ranking
        kept: the cohort files read it six times, and decoding every summary each time was
        a tenth of what reports do once grading ends for 40 candidates."""
        if self._kept is not None:
            yield from self._kept
            return
        small = sum(self.counts.values()) <= KEPT_IN_MEMORY
        kept: list[RankedCandidate] = []
        rank = 0
        for graded, summary in self._db.execute(_RANKED):
            rank += graded
            candidate = RankedCandidate(rank=rank if graded else None,
                                        report=pickle.loads(summary))
            if small:
                kept.append(candidate)
            yield candidate
        if small:
            self._kept = kept

    @property
    def candidates(self) -> Iterator[RankedCandidate]:
        """`ranked()`: a new read each time, as the cohort files ask for it."""
        return self.ranked()

    @property
    def overview(self) -> CohortOverview:
        """The cohort's statistics, taken from one read of the ranking."""
        if self._overview is None:
            tally = CohortTally(graded=self.counts.get(SubmissionStatus.GRADED, 0))
            for candidate in self.ranked():
                tally.add(candidate)
            self._overview = tally.overview(self.counts)
        return self._overview

    @property
    def copies(self) -> Mapping[tuple[str, str], str]:
        """A report's `key` -> its graded copy's page, looked up in the file."""
        return _Copies(self._db)


class _Copies(Mapping[tuple[str, str], str]):
    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def __getitem__(self, key: tuple[str, str]) -> str:
        row = self._db.execute(
            "SELECT copy FROM candidates WHERE name = ? AND content_hash = ? "
            "AND copy IS NOT NULL ORDER BY seq LIMIT 1", (_name(key[0]), key[1])).fetchone()
        if row is None:
            raise KeyError(key)
        return str(row[0])

    def __iter__(self) -> Iterator[tuple[str, str]]:
        for name, content_hash in self._db.execute(
                "SELECT DISTINCT name, content_hash FROM candidates WHERE copy IS NOT NULL"):
            yield bytes(name).decode("utf-8", "surrogatepass"), content_hash

    def __len__(self) -> int:
        return int(self._db.execute(
            "SELECT COUNT(*) FROM (SELECT DISTINCT name, content_hash FROM candidates "
            "WHERE copy IS NOT NULL)").fetchone()[0])
