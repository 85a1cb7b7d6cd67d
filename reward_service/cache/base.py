"""The protocol every cache backend implements."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol


class CacheUnavailable(Exception):
    """The backend could not answer (down, slow past its timeout, protocol error). The
    service treats it as a miss and goes on uncached: the cache fails open."""


class CacheBackend(Protocol):
    """Small text values by key. Batch-shaped: one call is one round trip to a remote store."""

    async def get_many(self, keys: Sequence[str]) -> list[str | None]:
        """One value per key, None for a miss. May raise :class:`CacheUnavailable`."""
        ...

    async def set_many(self, items: Mapping[str, str]) -> None:
        """Store all items. May raise :class:`CacheUnavailable`."""
        ...

    async def aclose(self) -> None: ...
