"""In-process LRU cache: the embedded default."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping, Sequence

from reward_service.verdicts import Decision


class MemoryCache:
    """A bounded LRU of decisions; ``capacity`` 0 stores nothing."""

    def __init__(self, capacity: int) -> None:
        self._capacity = capacity
        self._entries: OrderedDict[str, Decision] = OrderedDict()
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._entries)

    async def get_many(self, keys: Sequence[str]) -> list[Decision | None]:
        found: list[Decision | None] = []
        for key in keys:
            decision = self._entries.get(key)
            if decision is None:
                self.misses += 1
            else:
                self.hits += 1
                self._entries.move_to_end(key)
            found.append(decision)
        return found

    async def set_many(self, items: Mapping[str, Decision]) -> None:
        if self._capacity == 0:
            return
        for key, decision in items.items():
            self._entries[key] = decision
            self._entries.move_to_end(key)
        while len(self._entries) > self._capacity:
            self._entries.popitem(last=False)
