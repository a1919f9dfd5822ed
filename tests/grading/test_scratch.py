"""The scratch database a batch notes its per-submission bookkeeping in."""

from __future__ import annotations

import tracemalloc

from hypothesis import given
from hypothesis import strategies as st

from grading.scratch import SeenOnce


@given(st.lists(st.text(max_size=4) | st.sampled_from(["a", "\udc80", "x" * 300])))
def test_each_key_seen_first_gets_the_next_position_and_a_repeat_none(keys: list[str]) -> None:
    expected: dict[str, int] = {}
    seen = SeenOnce()
    try:
        got = [seen.first(key) for key in keys]
    finally:
        seen.close()

    assert got == [None if key in expected else expected.setdefault(key, len(expected))
                   for key in keys]
    assert len(seen) == len(expected)


def test_keys_seen_are_kept_on_disk_not_in_memory() -> None:
    seen = SeenOnce()
    try:
        for i in range(200):  # the first few allocate what every later one reuses
            seen.first(f"{i:064x}")
        tracemalloc.start()
        try:
            before = tracemalloc.get_traced_memory()[0]
            for i in range(200, 5200):
                seen.first(f"{i:064x}")
            grown = tracemalloc.get_traced_memory()[0] - before
        finally:
            tracemalloc.stop()
        assert seen.first(f"{4000:064x}") is None
    finally:
        seen.close()

    # a content hash alone is 113 bytes as a str: 5,000 kept would be over 500 kB
    assert grown < 20_000
