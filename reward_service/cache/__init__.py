"""Score cache: key derivation, records, the fail-open store, and backends (in-process LRU by
default, Redis when ``cache_url`` is set, optionally both)."""

from __future__ import annotations

from reward_service.cache.base import CacheBackend
from reward_service.cache.memory import MemoryCache
from reward_service.cache.store import ScoreCache
from reward_service.metrics import Metrics
from reward_service.settings import Settings


def build_cache(settings: Settings, metrics: Metrics) -> ScoreCache:
    """The cache the settings ask for: Redis at ``cache_url`` (with an LRU in front when
    ``cache_two_level``), else the in-process LRU."""
    backend: CacheBackend
    if settings.cache_url is None:
        backend, name = MemoryCache(settings.cache_size), "memory"
    else:
        try:  # the redis extra: only a service given a cache URL needs it
            from reward_service.cache.redis import RedisCache, TwoLevelCache  # noqa: PLC0415
        except ImportError as error:
            raise RuntimeError(
                "cache_url is set but the Redis client is not installed: "
                "pip install 'reward-service[redis]'"
            ) from error
        redis = RedisCache(
            settings.cache_url, ttl_s=settings.cache_ttl_s, timeout_s=settings.cache_timeout_s
        )
        backend, name = redis, "redis"
        if settings.cache_two_level:
            backend, name = TwoLevelCache(MemoryCache(settings.cache_size), redis), "lru+redis"
    return ScoreCache(backend, metrics, name)


__all__ = ["CacheBackend", "MemoryCache", "ScoreCache", "build_cache"]
