"""A mapping bounded by entry count that forgets its least recently used entry first.

The chart backends keep what they learnt (a tag's digest, a parsed chart, a registry client per
repository) for every chart ever named; a long-running server names many. Forgetting costs only
a registry request the next time.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Generic, TypeVar

__all__ = ["Lru"]

K = TypeVar("K")
V = TypeVar("V")


class Lru(Generic[K, V]):
    """At most `size` entries; `get` and `put` make an entry the most recently used."""

    def __init__(self, size: int) -> None:
        if size < 1:
            raise ValueError(f"a cache must hold at least 1 entry, got {size}")
        self.size = size
        self.evicted = 0
        """Entries forgotten to make room."""
        self._entries: OrderedDict[K, V] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: K) -> V | None:
        found = self._entries.get(key)
        if found is not None:
            self._entries.move_to_end(key)
        return found

    def put(self, key: K, value: V) -> V:
        """Keep `value` under `key` (forgetting the least recently used if full); `value`."""
        self._entries[key] = value
        self._entries.move_to_end(key)
        while len(self._entries) > self.size:
            self._entries.popitem(last=False)
            self.evicted += 1
        return value

    def discard(self, key: K) -> None:
        self._entries.pop(key, None)

    def items(self) -> list[tuple[K, V]]:
        """A copy, least recently used first; reading it uses nothing."""
        return list(self._entries.items())
