"""Every pair of fingerprints whose score can reach the threshold, found through an index
of their hashes in the run's `Findings` instead of by scoring every pair.

The score of A and B, |A| <= |B|, is the share of A's hashes found in B. For it to reach
t they must share at least `least_shared(|A|, t)` = m of A's hashes, so any |A| - m + 1 of
A's hashes include a shared one: probing the index with that many of A's hashes finds B.
Probing with the rarest first (fewest fingerprints holding them) keeps the pairs proposed
few, and each proposed pair is scored exactly, so the pairs found are exactly those that
scoring every pair finds, in time that grows with the answers rather than their pairs.
(MinHash LSH, used before, estimated Jaccard similarity and could miss a pair.)

Fingerprints are passed packed (`pack`): eight bytes a hash, a tenth of a frozenset's
size, so the distinct answers of a large cohort are held compactly while the index, the
part that grows with every hash, is on disk.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterator, Sequence

from workbook.similarity.findings import Findings


def pack(hashes: frozenset[int]) -> bytes:
    """The hashes, sorted, as bytes: equal sets give equal bytes."""
    return array("q", sorted(hashes)).tobytes()


def unpack(packed: bytes) -> frozenset[int]:
    values = array("q")
    values.frombytes(packed)
    return frozenset(values)


def least_shared(size: int, threshold: float) -> int:
    """The fewest hashes of a fingerprint of `size` another must hold to score at least
    `threshold`, as the score's own division decides it (no rounding surprises)."""
    shared = max(int(size * threshold) - 1, 0)
    while shared < size and shared / size < threshold:
        shared += 1
    return shared


def indexed_pairs(findings: Findings, question_id: str, packed: Sequence[bytes],
                  threshold: float) -> Iterator[tuple[int, int, float]]:
    """(a, b, score), a < b, of every pair of `packed` fingerprints scoring at least
    `threshold` (the share of the smaller one found in the other)."""
    findings.index_prints(question_id, packed)
    sizes = [len(one) // 8 for one in packed]
    for mine, one in enumerate(packed):
        size = sizes[mine]
        if not size:
            continue
        hashes = unpack(one)
        rarest = findings.rarest_first(question_id, hashes)
        probe = rarest[:size - least_shared(size, threshold) + 1]
        # the smaller of a pair (by size, then position) probes for the other, whose
        # hashes are read straight from its bytes (a set of each cost 20x the scoring)
        for other in sorted(findings.holding(question_id, probe)):
            if (sizes[other], other) <= (size, mine):
                continue
            theirs = array("q")
            theirs.frombytes(packed[other])
            score = len(hashes.intersection(theirs)) / size
            if score >= threshold:
                yield min(mine, other), max(mine, other), score
