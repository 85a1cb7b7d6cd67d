"""Score cache: content-addressed keys and backends (in-process LRU by default)."""

from reward_service.cache.base import Cache
from reward_service.cache.memory import MemoryCache

__all__ = ["Cache", "MemoryCache"]
