"""The cache protocol every backend implements."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

from reward_service.verdicts import Decision


class Cache(Protocol):
    """Maps content-addressed keys to decisions. Batch-shaped so a remote backend can answer a
    whole batch in one round trip. Backends must not raise on lookup failure: a miss is None."""

    async def get_many(self, keys: Sequence[str]) -> list[Decision | None]:
        """One entry per key, None for a miss."""
        ...

    async def set_many(self, items: Mapping[str, Decision]) -> None:
        """Store decided results (callers never pass undecided ones)."""
        ...
