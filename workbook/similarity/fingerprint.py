"""Tokens -> a winnowed fingerprint: the k-gram hashes MOSS would keep, and where they are.

Every run of K consecutive normalised tokens is hashed; of each window of W consecutive
hashes the smallest is kept (the rightmost on a tie), as in Schleimer, Wilkerson and Aiken's
winnowing. Any match of at least K + W - 1 tokens therefore shares at least one kept hash,
and matches shorter than K tokens (a `return result`, a `for i in range(n)`) are noise
that is never seen. Each kept hash remembers the lines its tokens span, so a match can be
shown where it is.

Hashes are Python's hash of a tuple of token ids: stable across processes (ints and tuples
of ints are not salted), fast, and never stored, only compared within one run.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from workbook.similarity.normalise import Token, normalised_tokens

#: tokens per k-gram: a shared run shorter than this is not evidence of anything
K = 12
#: window of k-grams: any shared run of K + W - 1 tokens is guaranteed to be seen
W = 6


@dataclass(frozen=True)
class Fingerprint:
    """An answer's kept hashes, each with the source lines its occurrences cover."""

    spans: dict[int, frozenset[int]]

    @property
    def hashes(self) -> frozenset[int]:
        return frozenset(self.spans)

    def __len__(self) -> int:
        return len(self.spans)

    def without(self, hashes: Iterable[int]) -> Fingerprint:
        """This fingerprint less `hashes` (code every answer shares, say)."""
        dropped = set(hashes)
        return Fingerprint({h: s for h, s in self.spans.items() if h not in dropped})

    def lines(self, hashes: Iterable[int]) -> frozenset[int]:
        """Every source line covered by the given hashes' occurrences."""
        covered: set[int] = set()
        for value in hashes:
            covered.update(self.spans.get(value, ()))
        return frozenset(covered)


def _ids(tokens: Sequence[Token]) -> list[int]:
    return [zlib.crc32(token.text.encode("utf-8", "surrogatepass")) for token in tokens]


def kgram_hashes(tokens: Sequence[Token], k: int = K) -> list[int]:
    """The hash of every k-gram, in order."""
    ids = _ids(tokens)
    return [hash(tuple(ids[i:i + k])) for i in range(len(ids) - k + 1)]


def all_kgrams(source: str, k: int = K) -> frozenset[int]:
    """Every k-gram hash of `source` (not winnowed): what to subtract when it is shared."""
    return frozenset(kgram_hashes(normalised_tokens(source), k))


def winnow(hashes: Sequence[int], w: int = W) -> list[int]:
    """Positions of the hashes kept: the rightmost minimum of every window of `w`."""
    if not hashes:
        return []
    w = min(w, len(hashes))
    kept: list[int] = []
    for start in range(len(hashes) - w + 1):
        window = hashes[start:start + w]
        chosen = start + w - 1 - window[::-1].index(min(window))
        if not kept or kept[-1] != chosen:
            kept.append(chosen)
    return kept


def fingerprint(source: str, k: int = K, w: int = W) -> Fingerprint:
    """The winnowed fingerprint of `source`."""
    tokens = normalised_tokens(source)
    hashes = kgram_hashes(tokens, k)
    spans: dict[int, set[int]] = {}
    for position in winnow(hashes, w):
        # the tokens' own lines, not a range: sorted statements may sit far apart
        spans.setdefault(hashes[position], set()).update(
            token.line for token in tokens[position:position + k])
    return Fingerprint({h: frozenset(lines) for h, lines in spans.items()})
