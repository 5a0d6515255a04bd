"""The bounded cache behind the chart backends: full, it forgets the least recently used."""

from __future__ import annotations

import pytest

from fasit.charts.lru import Lru


def test_a_full_cache_forgets_the_least_recently_used_entry() -> None:
    cache: Lru[str, int] = Lru(2)
    cache.put("a", 1)
    cache.put("b", 2)
    cache.get("a")  # now "b" is the least recently used

    cache.put("c", 3)

    assert cache.items() == [("a", 1), ("c", 3)]
    assert cache.evicted == 1


def test_a_cache_never_holds_more_than_its_size() -> None:
    cache: Lru[int, int] = Lru(3)
    for key in range(100):
        cache.put(key, key)

    assert len(cache) == 3
    assert cache.evicted == 97


def test_a_cache_without_room_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 1 entry, got 0"):
        Lru(0)
