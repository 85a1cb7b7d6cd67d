from reward_service.cache.keys import symbolic_key
from reward_service.cache.memory import MemoryCache
from reward_service.types import Reason, Verdict
from reward_service.verdicts import Decision
from tests.conftest import run

RIGHT = Decision(Verdict.CORRECT, Reason.ANSWER_EQUIVALENT)


def test_hits_misses_and_lru_eviction() -> None:
    cache = MemoryCache(2)
    run(cache.set_many({"a": RIGHT, "b": RIGHT}))
    assert run(cache.get_many(["a", "x"])) == [RIGHT, None]
    run(cache.set_many({"c": RIGHT}))  # evicts b, the least recently used
    assert run(cache.get_many(["a", "b", "c"])) == [RIGHT, None, RIGHT]
    assert (cache.hits, cache.misses) == (3, 2)


def test_zero_capacity_stores_nothing() -> None:
    cache = MemoryCache(0)
    run(cache.set_many({"a": RIGHT}))
    assert run(cache.get_many(["a"])) == [None]


def test_keys_change_with_every_input_that_decides_the_verdict() -> None:
    part = (("1/2",), ("0.5",), None)
    base = symbolic_key([part], "tag")
    assert symbolic_key([part], "tag") == base
    assert symbolic_key([(("1/3",), ("0.5",), None)], "tag") != base
    assert symbolic_key([(("1/2",), ("0.50",), None)], "tag") != base
    assert symbolic_key([(("1/2",), ("0.5", "1"), "0.5, 1")], "tag") != base
    assert symbolic_key([part], "other verifier version") != base
