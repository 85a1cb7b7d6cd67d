from reward_service.cache.memory import MemoryCache
from tests.conftest import run


def test_hits_misses_and_lru_eviction() -> None:
    cache = MemoryCache(2)
    run(cache.set_many({"a": "1", "b": "2"}))
    assert run(cache.get_many(["a", "x"])) == ["1", None]
    run(cache.set_many({"c": "3"}))  # evicts b, the least recently used
    assert run(cache.get_many(["a", "b", "c"])) == ["1", None, "3"]
    assert len(cache) == 2


def test_zero_capacity_stores_nothing() -> None:
    cache = MemoryCache(0)
    run(cache.set_many({"a": "1"}))
    assert run(cache.get_many(["a"])) == [None]
