"""Where one similarity run keeps its answers and what it finds, so memory stays flat.

A cohort of 10,000 holds 10,000 answers per question, as many pairs with the reference
when most candidates wrote it, and groups naming every candidate. Held as objects they
grew the report stage by ~16 KB per candidate (issue 13). Here they are rows of a private
temporary SQLite database: SQLite keeps its pages in memory up to `CACHE_KIB` and spills
the rest to a temporary file it deletes on close, so a small cohort never touches the disk
and a large one costs a bounded amount of memory.

Rows:
- `answers`: every compared text of the run, a candidate's answer or a known source, in
  the order read, with the group of identical fingerprints it belongs to;
- `pairs`: the listed similar pairs (`section` 0: two candidates, 1: a candidate and a
  known source), each side an `answers` row;
- `groups`: each group's cluster (candidates joined by identical answers or similar pairs)
  with the cluster's rank on the page and its size;
- `prints` and `rarity`: each group's hashes, and how many groups hold each hash, for a
  question with too many distinct answers to score every pair (`index.py`).

Owners are compared with SQLite's BINARY collation, which orders valid UTF-8 as Python
orders str, so a list sorted here is the list Python's `sorted` gives.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from itertools import groupby

#: SQLite's page cache for the run; beyond it, pages go to a temporary file
CACHE_KIB = 4096
_SCHEMA = (
    "CREATE TABLE answers (id INTEGER PRIMARY KEY, question TEXT NOT NULL, "
    "owner TEXT NOT NULL, kind TEXT NOT NULL, code TEXT NOT NULL, grp INTEGER)",
    "CREATE INDEX answers_in_question ON answers (question, id)",
    "CREATE INDEX answers_in_group ON answers (question, grp, id)",
    "CREATE TABLE pairs (question TEXT NOT NULL, section INTEGER NOT NULL, "
    "score REAL NOT NULL, left_id INTEGER NOT NULL, right_id INTEGER NOT NULL)",
    "CREATE TABLE groups (question TEXT NOT NULL, grp INTEGER NOT NULL, "
    "rank INTEGER, size INTEGER, PRIMARY KEY (question, grp))",
    "CREATE TABLE prints (question TEXT NOT NULL, grp INTEGER NOT NULL, "
    "hash INTEGER NOT NULL)",
    "CREATE TABLE rarity (question TEXT NOT NULL, hash INTEGER NOT NULL, "
    "holders INTEGER NOT NULL, PRIMARY KEY (question, hash)) WITHOUT ROWID",
)
#: values bound in one query (SQLite allowed 999 on old builds)
_CHUNK = 500
#: created once every question is compared: maintained row by row they slow the inserts
_LOOKUP_INDEXES = (
    "CREATE INDEX IF NOT EXISTS answers_by_owner ON answers (owner, kind)",
    "CREATE INDEX IF NOT EXISTS pairs_by_left ON pairs (left_id)",
    "CREATE INDEX IF NOT EXISTS pairs_by_right ON pairs (right_id)",
)
#: one listed pair, as the files list it: (left owner, left kind, right owner, right
#: kind, score) and the two sides' code
PairRow = tuple[str, str, str, str, float, str, str]


class Findings:
    """The database of one run; every query reads rows, a page at a time."""

    def __init__(self) -> None:
        # "": a private temporary database, deleted when the connection closes
        self._db = sqlite3.connect("")
        self._db.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
        self._db.execute("PRAGMA journal_mode = OFF")
        self._db.execute("PRAGMA synchronous = OFF")
        for statement in _SCHEMA:
            self._db.execute(statement)
        #: whether the lookup indexes are made (SQLite keeps them up from then on)
        self._indexed = False

    def close(self) -> None:
        self._db.close()

    def add_answers(self, rows: Iterable[tuple[str, str, str, str]]) -> None:
        """(question, owner, kind, code) rows, in the order they are compared."""
        with self._db:
            self._db.executemany(
                "INSERT INTO answers (question, owner, kind, code) VALUES (?, ?, ?, ?)",
                (_storable(row) for row in rows))

    def questions(self) -> list[str]:
        return [q for (q,) in self._db.execute(
            "SELECT DISTINCT question FROM answers WHERE kind = 'candidate' ORDER BY question")]

    def answers(self, question: str, *, sources: bool = False, page: int = 64
                ) -> Iterator[list[tuple[int, str, str]]]:
        """(id, owner, code) of `question`'s candidates' answers (or of its known
        sources), `page` rows at a time: each page's fingerprints are made at once, and
        500 of them were 24 MB while they lasted."""
        compared = "!=" if sources else "="
        cursor = self._db.execute(
            f"SELECT id, owner, code FROM answers WHERE question = ? "
            f"AND kind {compared} 'candidate' ORDER BY id", (question,))
        while rows := cursor.fetchmany(page):
            yield rows

    def answer_rows(self) -> Iterator[tuple[str, str, str]]:
        """(question, owner, code) of every candidate's answer, by question then as read."""
        yield from self._db.execute(
            "SELECT question, owner, code FROM answers WHERE kind = 'candidate' "
            "ORDER BY question, id")

    def assign(self, grouped: Iterable[tuple[int, int]]) -> None:
        """Put answers in groups: (group, answer id) rows."""
        with self._db:
            self._db.executemany("UPDATE answers SET grp = ? WHERE id = ?", grouped)

    def members(self, question: str, group: int, limit: int) -> list[int]:
        """The first `limit` answer ids of a group, in the order read."""
        return [ident for (ident,) in self._db.execute(
            "SELECT id FROM answers WHERE question = ? AND kind = 'candidate' AND grp = ? "
            "ORDER BY id LIMIT ?", (question, group, limit))]

    def add_pairs(self, question: str, section: int,
                  pairs: Iterable[tuple[int, int, float]]) -> None:
        """(left id, right id, score) of listed pairs."""
        with self._db:
            self._db.executemany(
                "INSERT INTO pairs VALUES (?, ?, ?, ?, ?)",
                ((question, section, score, left, right) for left, right, score in pairs))

    def add_clusters(self, question: str, clustered: Iterable[tuple[int, int]]) -> None:
        """(group, cluster) of each group in a cluster; clusters are then ranked as the
        page lists them: largest first, then by their first owner."""
        db = self._db
        with db:
            db.executemany("INSERT INTO groups (question, grp, rank) VALUES (?, ?, ?)",
                           ((question, group, cluster) for group, cluster in clustered))
            found = db.execute(
                "SELECT g.rank, count(*), min(a.owner) FROM answers a JOIN groups g "
                "ON g.question = a.question AND g.grp = a.grp WHERE a.question = ? "
                "AND a.kind = 'candidate' GROUP BY g.rank", (question,)).fetchall()
            ranked = sorted(found, key=lambda row: (-row[1], row[2]))
            # through negative ranks, so a new rank never meets an old one still there
            db.executemany("UPDATE groups SET rank = ?, size = ? WHERE question = ? "
                           "AND rank = ?", ((-1 - new, size, question, old)
                                            for new, (old, size, _first) in enumerate(ranked)))
            db.execute("UPDATE groups SET rank = -1 - rank WHERE question = ?", (question,))

    def clusters(self, question: str) -> Iterator[tuple[str, ...]]:
        """Each cluster of more than one candidate: its owners, sorted; largest first."""
        rows = self._db.execute(
            "SELECT g.rank, a.owner FROM answers a JOIN groups g ON g.question = a.question "
            "AND g.grp = a.grp WHERE a.question = ? AND a.kind = 'candidate' AND g.size > 1 "
            "ORDER BY g.rank, a.owner", (question,))
        for _rank, members in groupby(rows, key=lambda row: row[0]):
            yield tuple(owner for _rank, owner in members)

    def cluster_count(self, question: str) -> int:
        (count,), = self._db.execute(
            "SELECT count(DISTINCT rank) FROM groups WHERE question = ? AND size > 1",
            (question,))
        return int(count)

    def pair_count(self, question: str) -> int:
        (count,), = self._db.execute("SELECT count(*) FROM pairs WHERE question = ?",
                                     (question,))
        return int(count)

    def pairs(self, question: str, limit: int = -1, *, code: bool = True
              ) -> Iterator[PairRow]:
        """The question's listed pairs: candidate pairs, then pairs with a known source,
        each highest score first, then by the owners' names; without `code`, the sides'
        code is read as "" (the CSV and JSON list names and scores only)."""
        codes = "l.code, r.code" if code else "'', ''"
        yield from self._db.execute(
            f"SELECT l.owner, l.kind, r.owner, r.kind, p.score, {codes} FROM pairs p "
            "JOIN answers l ON l.id = p.left_id JOIN answers r ON r.id = p.right_id "
            "WHERE p.question = ? ORDER BY p.section, p.score DESC, l.owner, r.owner "
            "LIMIT ?", (question, limit))

    def matches_of(self, owner: str) -> list[tuple[str, str, str, float]]:
        """(question, the other side's kind, its owner, score) of every listed pair a
        candidate named `owner` is in."""
        self._index()
        found = []
        for mine, theirs in (("left_id", "right_id"), ("right_id", "left_id")):
            found += self._db.execute(
                f"SELECT p.question, o.kind, o.owner, p.score FROM answers a "
                f"JOIN pairs p ON p.{mine} = a.id JOIN answers o ON o.id = p.{theirs} "
                f"WHERE a.owner = ? AND a.kind = 'candidate'", (owner,)).fetchall()
        return found

    def cluster_size(self, question: str, owner: str) -> int:
        """The size of the cluster `owner`'s answer to `question` is in (0: none)."""
        self._index()
        row = self._db.execute(
            "SELECT g.size FROM answers a JOIN groups g ON g.question = a.question "
            "AND g.grp = a.grp WHERE a.owner = ? AND a.kind = 'candidate' "
            "AND a.question = ? AND g.size > 1", (owner, question)).fetchone()
        return int(row[0]) if row else 0

    def owners_with_findings(self, crowded: Iterable[str]) -> Iterator[str]:
        """Every candidate in a listed pair, or in a cluster of a question in `crowded`
        (those whose pairs were too many to list), sorted."""
        self._index()  # before the read starts: lookups follow while it is open
        crowded = list(crowded)
        marks = ", ".join("?" * len(crowded))
        yield from (owner for (owner,) in self._db.execute(
            "SELECT a.owner FROM pairs p JOIN answers a ON a.id IN (p.left_id, p.right_id) "
            "WHERE a.kind = 'candidate' UNION SELECT a.owner FROM answers a JOIN groups g "
            "ON g.question = a.question AND g.grp = a.grp WHERE a.kind = 'candidate' "
            f"AND g.size > 1 AND a.question IN ({marks}) ORDER BY 1", crowded))

    def index_prints(self, question: str, packed: Sequence[bytes]) -> None:
        """Index each group's packed hashes (`index.pack`), group by position."""
        from workbook.similarity.index import unpack

        with self._db:
            self._db.executemany("INSERT INTO prints VALUES (?, ?, ?)",
                                 ((question, group, value) for group, one in enumerate(packed)
                                  for value in unpack(one)))
            self._db.execute("CREATE INDEX IF NOT EXISTS prints_by_hash "
                             "ON prints (question, hash)")
            self._db.execute("INSERT INTO rarity SELECT question, hash, count(*) FROM prints "
                             "WHERE question = ? GROUP BY hash", (question,))

    def rarest_first(self, question: str, hashes: Iterable[int]) -> list[int]:
        """`hashes`, those fewest groups hold first (then by value: a fixed order)."""
        found: list[tuple[int, int]] = []
        values = list(hashes)
        for start in range(0, len(values), _CHUNK):
            chunk = values[start:start + _CHUNK]
            found += self._db.execute(
                f"SELECT holders, hash FROM rarity WHERE question = ? "
                f"AND hash IN ({', '.join('?' * len(chunk))})", (question, *chunk))
        return [value for _holders, value in sorted(found)]

    def holding(self, question: str, hashes: Sequence[int]) -> set[int]:
        """The groups holding any of `hashes`."""
        found: set[int] = set()
        for start in range(0, len(hashes), _CHUNK):
            chunk = hashes[start:start + _CHUNK]
            found.update(group for (group,) in self._db.execute(
                f"SELECT DISTINCT grp FROM prints WHERE question = ? "
                f"AND hash IN ({', '.join('?' * len(chunk))})", (question, *chunk)))
        return found

    def _index(self) -> None:
        if not self._indexed:
            with self._db:
                for statement in _LOOKUP_INDEXES:
                    self._db.execute(statement)
            self._indexed = True


def _storable(row: tuple[str, str, str, str]) -> tuple[str, ...]:
    """SQLite stores UTF-8: a lone surrogate (a notebook can carry one) is replaced."""
    return tuple(_text(value) for value in row)


def _text(value: str) -> str:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return value.encode("utf-8", "replace").decode("utf-8")
    return value
