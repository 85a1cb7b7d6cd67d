"""Redis backend (``redis.asyncio`` with hiredis): MGET for a batch's lookups, one pipeline of
``SET … EX`` for its stores, every call bounded by a timeout. Any failure raises
:class:`CacheUnavailable`; the connection pool reconnects by itself when Redis is back."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from reward_service.cache.base import CacheUnavailable
from reward_service.cache.memory import MemoryCache


class RedisCache:
    """``url``: ``redis://host:port/db``, ``rediss://…`` (TLS) or ``unix:///path.sock``."""

    def __init__(self, url: str, *, ttl_s: int, timeout_s: float) -> None:
        self._url = url
        self._ttl_s = ttl_s
        self._timeout_s = timeout_s
        self._clients: dict[asyncio.AbstractEventLoop, aioredis.Redis] = {}

    def _client(self) -> aioredis.Redis:
        """The client of the running loop (connections belong to the loop that made them;
        a service used from several ``asyncio.run`` calls gets one per loop)."""
        loop = asyncio.get_running_loop()
        client = self._clients.get(loop)
        if client is None:
            for stale in [other for other in self._clients if other.is_closed()]:
                del self._clients[stale]
            client = self._clients[loop] = aioredis.Redis.from_url(
                self._url,
                socket_timeout=self._timeout_s,
                socket_connect_timeout=self._timeout_s,
                decode_responses=True,
                health_check_interval=30,
            )
        return client

    async def get_many(self, keys: Sequence[str]) -> list[str | None]:
        if not keys:
            return []
        try:
            values = await asyncio.wait_for(self._client().mget(list(keys)), self._timeout_s)
        except (RedisError, OSError, TimeoutError) as error:
            raise CacheUnavailable(f"{type(error).__name__}: {error}") from error
        return [v if isinstance(v, str) else None for v in values]

    async def set_many(self, items: Mapping[str, str]) -> None:
        if not items:
            return
        pipe = self._client().pipeline(transaction=False)
        for key, value in items.items():
            pipe.set(key, value, ex=self._ttl_s)
        try:
            await asyncio.wait_for(pipe.execute(), self._timeout_s)
        except (RedisError, OSError, TimeoutError) as error:
            raise CacheUnavailable(f"{type(error).__name__}: {error}") from error

    async def aclose(self) -> None:
        loop = asyncio.get_running_loop()
        client = self._clients.pop(loop, None)
        if client is not None:
            await client.aclose()


class TwoLevelCache:
    """An in-process LRU in front of Redis: hits in the LRU cost no round trip; Redis hits
    are copied into the LRU."""

    def __init__(self, front: MemoryCache, back: RedisCache) -> None:
        self._front = front
        self._back = back

    async def get_many(self, keys: Sequence[str]) -> list[str | None]:
        found = await self._front.get_many(keys)
        missing = [k for k, v in zip(keys, found, strict=True) if v is None]
        if not missing:
            return found
        from_back = dict(zip(missing, await self._back.get_many(missing), strict=True))
        await self._front.set_many({k: v for k, v in from_back.items() if v is not None})
        return [v if v is not None else from_back[k] for k, v in zip(keys, found, strict=True)]

    async def set_many(self, items: Mapping[str, str]) -> None:
        await self._front.set_many(items)
        await self._back.set_many(items)

    async def aclose(self) -> None:
        await self._front.aclose()
        await self._back.aclose()
