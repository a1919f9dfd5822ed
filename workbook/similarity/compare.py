"""One question's answers -> the pairs that are similar, and the clusters they form.

The score of two answers is the share of the smaller fingerprint found in the other one
(after the question's given code is subtracted): 1.0 when one answer is contained in the
other, whatever else was added around it. Up to `exhaustive_up_to` answers every pair is
scored; above that, MinHash LSH (datasketch) proposes the pairs whose fingerprints'
Jaccard similarity is likely above `lsh_threshold`, and only those are scored, so the cost
grows with the number of answers rather than the number of pairs. LSH estimates Jaccard,
not containment: an answer copied into one more than 1 / lsh_threshold times its size is
found only below `exhaustive_up_to`.

Identical fingerprints are compared once: a cohort where hundreds of candidates wrote the
same obvious solution would otherwise score (and hold) every pair of them, which grows as
the square of the cohort. Their pairs are counted, and only the `max_pairs` most similar
are listed with their lines; the clusters still hold every candidate.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from itertools import chain, combinations, islice

from workbook.similarity.fingerprint import Fingerprint, fingerprint
from workbook.similarity.sources import KnownSource


@dataclass(frozen=True, kw_only=True)
class SimilaritySettings:
    #: a pair at or above this score is listed
    threshold: float = 0.6
    #: an answer with fewer kept hashes than this (after subtraction) is too small to judge
    min_fingerprints: int = 5
    #: up to this many answers per question every pair is scored; above, LSH proposes pairs
    exhaustive_up_to: int = 300
    #: the Jaccard similarity from which LSH proposes a pair (below `threshold`: it is an
    #: estimate, and containment is larger than Jaccard)
    lsh_threshold: float = 0.3
    #: MinHash permutations: more is a better estimate and slower
    num_perm: int = 128
    #: the most similar candidate pairs listed per question; the others are only counted
    max_pairs: int = 1000


@dataclass(frozen=True, kw_only=True)
class Compared:
    """One side of a comparison: a candidate's answer or a known source."""

    #: the candidate's name, or a known source's label
    owner: str
    #: "candidate", "reference", "alternative", "decoy" or "known source"
    kind: str
    code: str
    fingerprint: Fingerprint = field(repr=False, compare=False)


@dataclass(frozen=True, kw_only=True)
class Pair:
    question_id: str
    left: Compared
    right: Compared
    score: float
    #: lines of each side's source that the shared hashes cover, for highlighting
    left_lines: frozenset[int]
    right_lines: frozenset[int]


@dataclass(frozen=True, kw_only=True)
class QuestionSimilarity:
    question_id: str
    answers: int
    #: candidate pairs, then answers similar to a known source, highest score first
    pairs: tuple[Pair, ...]
    #: groups of candidates linked by similar pairs, largest first
    clusters: tuple[tuple[str, ...], ...]
    #: answers too small to judge once the given code is subtracted (starter-only ones)
    too_small: int
    method: str
    #: similar candidate pairs beyond `max_pairs`, counted but not listed
    pairs_not_listed: int = 0

    @property
    def similar_pairs(self) -> int:
        """Every similar pair, listed or not."""
        return len(self.pairs) + self.pairs_not_listed


#: what a listed pair's sides carry in place of their fingerprints
_SCORED = Fingerprint(spans={})


def _score(left: Compared, right: Compared, question_id: str) -> Pair:
    """The pair, its sides without their fingerprints: a report lists every answer similar
    to a known source, so keeping them held ~25 KB per candidate of the cohort until the
    report was written (the reports worker's growth with the batch, issue 13)."""
    shared = left.fingerprint.hashes & right.fingerprint.hashes
    return Pair(question_id=question_id, left=replace(left, fingerprint=_SCORED),
                right=replace(right, fingerprint=_SCORED), score=_overlap(left, right),
                left_lines=left.fingerprint.lines(shared),
                right_lines=right.fingerprint.lines(shared))


def _lsh_candidates(entries: Sequence[Compared], settings: SimilaritySettings
                    ) -> set[tuple[int, int]]:
    from datasketch import MinHash, MinHashLSH

    lsh = MinHashLSH(threshold=settings.lsh_threshold, num_perm=settings.num_perm)
    sketches = []
    for index, entry in enumerate(entries):
        sketch = MinHash(num_perm=settings.num_perm, hashfunc=_hash32)
        sketch.update_batch(list(entry.fingerprint.hashes))
        lsh.insert(index, sketch)
        sketches.append(sketch)
    found = set()
    for index, sketch in enumerate(sketches):
        for other in lsh.query(sketch):
            if other != index:
                found.add((min(index, other), max(index, other)))
    return found


def _hash32(value: int) -> int:
    return value & 0xFFFFFFFF


def _clusters(groups: Sequence[Sequence[str]],
              links: Sequence[tuple[str, str]]) -> tuple[tuple[str, ...], ...]:
    """Owners joined by identical answers (`groups`) and by similar pairs (`links`)."""
    parent: dict[str, str] = {}

    def root(name: str) -> str:
        parent.setdefault(name, name)
        while parent[name] != name:
            parent[name] = parent[parent[name]]
            name = parent[name]
        return name

    for group in groups:
        for owner in group[1:]:
            parent[root(owner)] = root(group[0])
    for left, right in links:
        parent[root(left)] = root(right)
    found: dict[str, list[str]] = {}
    for name in parent:
        found.setdefault(root(name), []).append(name)
    return tuple(sorted((tuple(sorted(g)) for g in found.values() if len(g) > 1),
                        key=lambda g: (-len(g), g)))


def _order(pair: Pair) -> tuple[float, str, str]:
    return (-pair.score, pair.left.owner, pair.right.owner)


def compare_question(question_id: str, answers: Sequence[tuple[str, str]],
                     known: Sequence[KnownSource], shared: frozenset[int],
                     settings: SimilaritySettings | None = None, *,
                     fingerprints: Mapping[str, Fingerprint] | None = None
                     ) -> QuestionSimilarity:
    """Similar pairs among `answers` ((candidate, code), one per candidate) and between
    each answer and each known source; `shared` k-grams are subtracted from all of them.
    `fingerprints` holds codes fingerprinted already (`cache.py`); others are computed."""
    settings = settings or SimilaritySettings()
    given = fingerprints or {}

    def print_of(code: str) -> Fingerprint:
        found = given.get(code)
        return (fingerprint(code) if found is None else found).without(shared)

    entries = [Compared(owner=owner, kind="candidate", code=code, fingerprint=print_of(code))
               for owner, code in answers]
    judged = [e for e in entries if len(e.fingerprint) >= settings.min_fingerprints]
    sources = [Compared(owner=k.label, kind=k.kind, code=k.code, fingerprint=print_of(k.code))
               for k in known]
    sources = [s for s in sources if len(s.fingerprint) >= settings.min_fingerprints]
    # answers with the same fingerprint: one representative each is compared
    by_print: dict[frozenset[int], list[Compared]] = {}
    for entry in judged:
        by_print.setdefault(entry.fingerprint.hashes, []).append(entry)
    groups = list(by_print.values())
    representatives = [group[0] for group in groups]
    if len(representatives) <= settings.exhaustive_up_to:
        method = "every pair"
        proposed: Sequence[tuple[int, int]] = list(combinations(range(len(groups)), 2))
    else:
        method = "MinHash LSH"
        proposed = sorted(_lsh_candidates(representatives, settings))
    similar = [(a, b, score) for a, b in proposed
               if (score := _overlap(representatives[a], representatives[b]))
               >= settings.threshold]
    listed, counted = _listed_pairs(groups, similar, settings.max_pairs)
    between = [_score(left, right, question_id) for left, right in listed]
    with_known = [_score(member, source, question_id)
                  for group in groups for source in sources
                  if _overlap(group[0], source) >= settings.threshold for member in group]
    clusters = _clusters([[e.owner for e in g] for g in groups],
                         [(groups[a][0].owner, groups[b][0].owner) for a, b, _ in similar])
    return QuestionSimilarity(
        question_id=question_id, answers=len(entries),
        pairs=(*sorted(between, key=_order), *sorted(with_known, key=_order)),
        clusters=clusters, too_small=len(entries) - len(judged), method=method,
        pairs_not_listed=counted - len(between))


def _overlap(left: Compared, right: Compared) -> float:
    smaller = min(len(left.fingerprint), len(right.fingerprint))
    shared = len(left.fingerprint.hashes & right.fingerprint.hashes)
    return shared / smaller if smaller else 0.0


def _listed_pairs(groups: Sequence[Sequence[Compared]],
                  similar: Sequence[tuple[int, int, float]], limit: int
                  ) -> tuple[list[tuple[Compared, Compared]], int]:
    """The `limit` most similar candidate pairs (identical answers first, score 1.0) and
    how many similar pairs there are in all; pairs are made lazily, never all at once."""
    def across(a: int, b: int) -> Iterator[tuple[Compared, Compared]]:
        return ((left, right) for left in groups[a] for right in groups[b])

    counted = sum(len(g) * (len(g) - 1) // 2 for g in groups) + sum(
        len(groups[a]) * len(groups[b]) for a, b, _ in similar)
    ordered = chain(chain.from_iterable(combinations(g, 2) for g in groups),
                    chain.from_iterable(across(a, b) for a, b, _ in
                                        sorted(similar, key=lambda s: -s[2])))
    return list(islice(ordered, limit)), counted
