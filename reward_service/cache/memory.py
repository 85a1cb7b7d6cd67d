"""In-process LRU cache: the embedded default, and the front level of the two-level mode."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping, Sequence


class MemoryCache:
    """A bounded LRU of text values; ``capacity`` 0 stores nothing."""

    def __init__(self, capacity: int) -> None:
        self._capacity = capacity
        self._entries: OrderedDict[str, str] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    async def get_many(self, keys: Sequence[str]) -> list[str | None]:
        found: list[str | None] = []
        for key in keys:
            value = self._entries.get(key)
            if value is not None:
                self._entries.move_to_end(key)
            found.append(value)
        return found

    async def set_many(self, items: Mapping[str, str]) -> None:
        if self._capacity == 0:
            return
        for key, value in items.items():
            self._entries[key] = value
            self._entries.move_to_end(key)
        while len(self._entries) > self._capacity:
            self._entries.popitem(last=False)

    async def aclose(self) -> None:
        self._entries.clear()
