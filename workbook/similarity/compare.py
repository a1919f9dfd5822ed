"""One question's answers -> the pairs that are similar, and the clusters they form.

The score of two answers is the share of the smaller fingerprint found in the other one
(after the question's given code is subtracted): 1.0 when one answer is contained in the
other, whatever else was added around it. Up to `exhaustive_up_to` distinct answers every
pair is scored; above that, an index of their hashes proposes only the pairs that can
reach the threshold (`index.py`), so the cost grows with the number of answers rather
than the number of pairs, and the pairs found are the same.

Identical fingerprints are compared once: a cohort where hundreds of candidates wrote the
same obvious solution would otherwise score (and hold) every pair of them, which grows as
the square of the cohort. Their pairs are counted, and only the `max_pairs` most similar
are listed; the clusters still hold every candidate.

Answers, pairs and clusters live in the run's `Findings` (a temporary SQLite database):
what is held in memory is one entry per distinct fingerprint, never one per candidate.
A pair's matched lines are worked out when it is shown, from the two sides' code.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import chain, combinations, islice, product

from workbook.similarity.findings import Findings, PairRow
from workbook.similarity.fingerprint import Fingerprint, fingerprint
from workbook.similarity.index import indexed_pairs, pack, unpack
from workbook.similarity.sources import KnownSource

#: codes -> their fingerprints, computed or read from a cache (`cache.py`)
Fingerprints = Callable[[Sequence[str]], Mapping[str, Fingerprint]]


@dataclass(frozen=True, kw_only=True)
class SimilaritySettings:
    #: a pair at or above this score is listed
    threshold: float = 0.6
    #: an answer with fewer kept hashes than this (after subtraction) is too small to judge
    min_fingerprints: int = 5
    #: up to this many distinct answers per question every pair is scored; above, an
    #: index of their hashes finds the same pairs without scoring them all (`index.py`)
    exhaustive_up_to: int = 300
    #: the most similar candidate pairs listed per question; the others are only counted
    max_pairs: int = 1000


@dataclass(frozen=True, kw_only=True)
class Compared:
    """One side of a listed pair: a candidate's answer or a known source."""

    #: the candidate's name, or a known source's label
    owner: str
    #: "candidate", "reference", "alternative", "decoy" or "known source"
    kind: str
    code: str


@dataclass(frozen=True, kw_only=True)
class Pair:
    question_id: str
    left: Compared
    right: Compared
    score: float
    #: lines of each side's source that the shared hashes cover, for highlighting
    left_lines: frozenset[int]
    right_lines: frozenset[int]


def computed(codes: Sequence[str]) -> dict[str, Fingerprint]:
    """Fingerprints without a cache."""
    return {code: fingerprint(code) for code in codes}


@dataclass(frozen=True, kw_only=True)
class QuestionSimilarity:
    """One question's comparison; its pairs and clusters are read from `findings`."""

    question_id: str
    answers: int
    #: answers too small to judge once the given code is subtracted (starter-only ones)
    too_small: int
    method: str
    #: pairs listed: candidate pairs, then answers similar to a known source
    listed: int
    #: similar candidate pairs beyond `max_pairs`, counted but not listed
    pairs_not_listed: int = 0
    findings: Findings = field(repr=False, compare=False)
    #: the k-grams subtracted from every fingerprint, to show a pair's matched lines
    shared: frozenset[int] = field(repr=False, compare=False)
    fingerprints: Fingerprints = field(default=computed, repr=False, compare=False)

    @property
    def similar_pairs(self) -> int:
        """Every similar pair, listed or not."""
        return self.listed + self.pairs_not_listed

    @property
    def pairs(self) -> tuple[Pair, ...]:
        """Every listed pair with its matched lines, highest score first (candidate pairs,
        then pairs with a known source); `shown` reads fewer."""
        return tuple(self.shown(-1))

    def shown(self, limit: int) -> Iterator[Pair]:
        """The first `limit` listed pairs (-1: all) with their matched lines."""
        rows = list(self.findings.pairs(self.question_id, limit))
        prints = self.fingerprints([code for row in rows for code in row[5:]])
        for left, left_kind, right, right_kind, score, left_code, right_code in rows:
            mine = prints[left_code].without(self.shared)
            theirs = prints[right_code].without(self.shared)
            both = mine.hashes & theirs.hashes
            yield Pair(question_id=self.question_id,
                       left=Compared(owner=left, kind=left_kind, code=left_code),
                       right=Compared(owner=right, kind=right_kind, code=right_code),
                       score=score, left_lines=mine.lines(both), right_lines=theirs.lines(both))

    def rows(self) -> Iterator[PairRow]:
        """Every listed pair as a row, without its lines: what the CSV and JSON list."""
        return self.findings.pairs(self.question_id, code=False)

    @property
    def clusters(self) -> tuple[tuple[str, ...], ...]:
        """Groups of candidates linked by similar pairs, largest first."""
        return tuple(self.findings.clusters(self.question_id))


@dataclass(kw_only=True)
class _Group:
    """Answers with one fingerprint: compared once, for all of them."""

    index: int
    #: the fingerprint's hashes, packed (`index.pack`)
    packed: bytes
    size: int = 0
    #: (known source's id, score) of each known source it is similar to
    known: list[tuple[int, float]] = field(default_factory=list)


class _Links:
    """Which groups similar pairs join (union-find), taken as the pairs stream past."""

    def __init__(self, count: int) -> None:
        self._parent = list(range(count))
        self._linked = bytearray(count)

    def _root(self, index: int) -> int:
        parent = self._parent
        while parent[index] != index:
            parent[index] = parent[parent[index]]
            index = parent[index]
        return index

    def join(self, left: int, right: int) -> None:
        self._parent[self._root(left)] = self._root(right)
        self._linked[left] = self._linked[right] = 1

    def clusters(self, groups: Sequence[_Group]) -> Iterator[tuple[int, int]]:
        """(group, cluster) of every group in a cluster: a group of several answers, or
        one joined to another by a similar pair."""
        for group in groups:
            if group.size > 1 or self._linked[group.index]:
                yield group.index, self._root(group.index)


def compare_question(question_id: str, answers: Iterable[tuple[str, str]],
                     known: Sequence[KnownSource], shared: frozenset[int],
                     settings: SimilaritySettings | None = None, *,
                     fingerprints: Fingerprints = computed) -> QuestionSimilarity:
    """Similar pairs among `answers` ((candidate, code), one per candidate) and between
    each answer and each known source; `shared` k-grams are subtracted from all of them.
    The result's pairs and clusters are kept in a `Findings` of its own."""
    findings = Findings()
    findings.add_answers((question_id, owner, "candidate", code) for owner, code in answers)
    return compare_found(findings, question_id, known, shared, settings,
                         fingerprints=fingerprints)


def compare_found(findings: Findings, question_id: str, known: Sequence[KnownSource],
                  shared: frozenset[int], settings: SimilaritySettings | None = None, *,
                  fingerprints: Fingerprints = computed) -> QuestionSimilarity:
    """Compare `question_id`'s answers in `findings`, and keep what is found there."""
    settings = settings or SimilaritySettings()
    findings.add_answers((question_id, k.label, k.kind, k.code) for k in known)
    sources = [(ident, hashes) for page in findings.answers(question_id, sources=True)
               for ident, hashes in _judged(page, shared, settings, fingerprints)]
    groups: list[_Group] = []
    by_print: dict[bytes, _Group] = {}
    answers = too_small = 0
    for page in findings.answers(question_id):
        judged = _judged(page, shared, settings, fingerprints)
        answers += len(page)
        too_small += len(page) - len(judged)
        grouped, with_known = [], []
        for ident, hashes in judged:
            packed = pack(hashes)
            group = by_print.get(packed)
            if group is None:
                group = by_print[packed] = _Group(index=len(groups), packed=packed, known=[
                    (source, score) for source, theirs in sources
                    if (score := _overlap(hashes, theirs)) >= settings.threshold])
                groups.append(group)
            group.size += 1
            grouped.append((group.index, ident))
            with_known += [(ident, source, score) for source, score in group.known]
        findings.assign(grouped)
        findings.add_pairs(question_id, 1, with_known)
    similar: Iterable[tuple[int, int, float]]
    if len(groups) <= settings.exhaustive_up_to:
        method = "every pair"
        prints = [unpack(group.packed) for group in groups]
        similar = ((a, b, score) for a, b in combinations(range(len(groups)), 2)
                   if (score := _overlap(prints[a], prints[b])) >= settings.threshold)
    else:
        method = "k-gram index"
        similar = indexed_pairs(findings, question_id, [g.packed for g in groups],
                                settings.threshold)
    # similar pairs of distinct answers can be as many as their square (a cohort of
    # near-copies): they are counted and joined as they stream past, and only the
    # `max_pairs` most similar are kept, which are all the listing can use
    links = _Links(len(groups))
    counted = sum(g.size * (g.size - 1) // 2 for g in groups)

    def tallied() -> Iterator[tuple[int, int, float]]:
        nonlocal counted
        for a, b, score in similar:
            counted += groups[a].size * groups[b].size
            links.join(a, b)
            yield a, b, score

    most = heapq.nsmallest(settings.max_pairs, tallied(), key=lambda s: (-s[2], s[0], s[1]))
    listed = list(_listed_pairs(findings, question_id, groups, most, settings.max_pairs))
    findings.add_pairs(question_id, 0, listed)
    findings.add_clusters(question_id, links.clusters(groups))
    return QuestionSimilarity(
        question_id=question_id, answers=answers, too_small=too_small, method=method,
        listed=findings.pair_count(question_id), pairs_not_listed=counted - len(listed),
        findings=findings, shared=shared, fingerprints=fingerprints)


def _judged(page: Sequence[tuple[int, str, str]], shared: frozenset[int],
            settings: SimilaritySettings, fingerprints: Fingerprints
            ) -> list[tuple[int, frozenset[int]]]:
    """(id, kept hashes) of each row large enough to judge once `shared` is subtracted."""
    prints = fingerprints([code for _ident, _owner, code in page])
    kept = [(ident, prints[code].hashes - shared) for ident, _owner, code in page]
    return [(ident, hashes) for ident, hashes in kept
            if len(hashes) >= settings.min_fingerprints]


def _overlap(left: frozenset[int], right: frozenset[int]) -> float:
    smaller = min(len(left), len(right))
    return len(left & right) / smaller if smaller else 0.0


def _listed_pairs(findings: Findings, question_id: str, groups: Sequence[_Group],
                  most: Sequence[tuple[int, int, float]], limit: int
                  ) -> Iterator[tuple[int, int, float]]:
    """(left id, right id, score) of the `limit` most similar candidate pairs: identical
    answers first (score 1.0), then pairs of the `most` similar groups, in that order.
    Only a group's first `limit` + 1 members can be in them, and only those are read."""
    def members(group: int) -> list[int]:
        return findings.members(question_id, group, limit + 1)

    within = (((left, right, 1.0) for left, right in combinations(members(g.index), 2))
              for g in groups if g.size > 1)
    across = (((left, right, score) for left, right in product(members(a), members(b)))
              for a, b, score in most)
    return islice(chain(chain.from_iterable(within), chain.from_iterable(across)), limit)
