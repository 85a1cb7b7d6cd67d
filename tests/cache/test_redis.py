"""The score cache against a real redis-server: hits and misses, TTL, versioning, batching,
fail-open when Redis dies or stalls, recovery when it comes back."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from reward_service import RewardService, ScoreRequest, Verdict
from reward_service.settings import SymbolicSettings
from tests.conftest import make_settings, run
from tests.redis_server import RedisServer, redis_server

# holds a worker to its deadline: the magnitude screen cannot size a difference
BOMB = "<think>x</think>\\boxed{10^{10^{10}-1}}"
LOOP = "Wait, let me recheck. " * 1000


@pytest.fixture
def redis(tmp_path: Path) -> Iterator[RedisServer]:
    with redis_server(tmp_path) as server:
        yield server


def service(redis: RedisServer, **settings: Any) -> RewardService:
    return RewardService(make_settings(cache_url=redis.url, **settings))


def batch(n: int = 12, answers: int = 3) -> list[ScoreRequest]:
    return [
        ScoreRequest(id=i, response=f"<think>try {i}</think>\\boxed{{{i % answers}}}", gold="1")
        for i in range(n)
    ]


def errors(svc: RewardService) -> float:
    return sum(
        sample.value
        for metric in svc.metrics.cache_errors.collect()
        for sample in metric.samples
        if sample.name.endswith("_total")
    )


def test_hits_and_misses_across_service_instances(redis: RedisServer) -> None:
    first = service(redis)
    try:
        cold = run(first.score_batch(batch()))
    finally:
        first.close()
    assert not any(r.cached for r in cold)
    second = service(redis)  # a new replica: nothing in its memory, everything in Redis
    try:
        warm = run(second.score_batch(batch()))
        # a different response with an answer already decided: answer-level hit
        other = run(second.score(ScoreRequest(response="<think>new</think>\\boxed{1}", gold="1")))
    finally:
        second.close()
    assert all(r.cached for r in warm)
    assert [r.model_dump(exclude={"cached", "elapsed_ms"}) for r in warm] == [
        r.model_dump(exclude={"cached", "elapsed_ms"}) for r in cold
    ]
    assert other.cached and other.verdict is Verdict.CORRECT


def test_lookups_are_batched(redis: RedisServer) -> None:
    svc = service(redis)
    try:
        mgets, gets = redis.calls("mget"), redis.calls("get")
        run(svc.score_batch(batch(50)))  # cold: request- and answer-level keys in one MGET
        assert redis.calls("mget") - mgets == 1
        run(svc.score_batch(batch(50)))  # warm: one MGET again
        assert redis.calls("mget") - mgets == 2
        assert redis.calls("get") == gets
    finally:
        svc.close()


def test_a_new_response_with_a_known_answer_hits_in_the_same_round_trip(
    redis: RedisServer,
) -> None:
    svc = service(redis)
    try:
        run(svc.score_batch(batch(3)))  # decides the answers 0, 1 and 2
        mgets = redis.calls("mget")
        fresh = [
            ScoreRequest(id="new", response="<think>other words</think>\\boxed{1}", gold="1"),
            ScoreRequest(id="unknown", response="<think>more</think>\\boxed{7}", gold="1"),
        ]
        new, unknown = run(svc.score_batch(fresh))
        assert redis.calls("mget") - mgets == 1
        assert (new.cached, new.verdict) == (True, Verdict.CORRECT)  # answer level, no worker
        assert (unknown.cached, unknown.verdict) == (False, Verdict.INCORRECT)
        lookups = {
            (s.labels["level"], s.labels["outcome"]): s.value
            for m in svc.metrics.cache_lookups.collect()
            for s in m.samples
            if s.name.endswith("_total")
        }
        # 3 + 2 results looked up, all missed; answer level: 3 misses, then 1 hit and 1 miss
        assert lookups == {
            ("result", "hit"): 0,
            ("result", "miss"): 5,
            ("decision", "hit"): 1,
            ("decision", "miss"): 4,
        }
    finally:
        svc.close()


@pytest.mark.parametrize(
    ("response", "reason"),
    [
        (f"<think>{LOOP}</think>\\boxed{{1}}", "repetition.thinking"),
        (f"<think>x</think>\\boxed{{1}} {LOOP}", "repetition.answer"),
        ("<think>x</think><think>y</think>\\boxed{1}", "format.multiple_think"),
        ("<think>x</think>y</think>\\boxed{1}", "format.multiple_think"),
    ],
)
def test_filters_win_over_a_cached_answer(redis: RedisServer, response: str, reason: str) -> None:
    svc = service(redis)
    try:
        run(svc.score_batch(batch(3)))  # the answer 1 is decided and stored: correct
        result = run(svc.score(ScoreRequest(response=response, gold="1")))
        assert (result.status.value, result.reason.value, result.reward) == ("filtered", reason, -1)
        assert not result.cached
        again = run(svc.score(ScoreRequest(response=response, gold="1")))
        assert (again.reason.value, again.cached) == (reason, True)  # its own record
    finally:
        svc.close()


def test_ttl(redis: RedisServer) -> None:
    svc = service(redis, cache_ttl_s=2)
    try:
        run(svc.score_batch(batch(4)))
        client = redis.client()
        ttls = [client.ttl(key) for key in client.keys("*")]
        assert ttls and all(0 < ttl <= 2 for ttl in ttls)
        time.sleep(2.5)
        assert client.dbsize() == 0
        assert not any(r.cached for r in run(svc.score_batch(batch(4))))
    finally:
        svc.close()


def test_a_verifier_settings_change_is_a_miss(redis: RedisServer) -> None:
    first = service(redis)
    try:
        run(first.score_batch(batch(6)))
    finally:
        first.close()
    changed = service(
        redis, symbolic=SymbolicSettings(workers=2, task_timeout_s=2, float_rounding=4)
    )
    try:
        assert not any(r.cached for r in run(changed.score_batch(batch(6))))
    finally:
        changed.close()


def test_unscorable_results_are_not_stored(redis: RedisServer) -> None:
    svc = service(redis)
    try:
        result = run(svc.score(ScoreRequest(response=BOMB, gold="1")))
        assert result.reason.value == "timeout"
        assert redis.client().dbsize() == 0
    finally:
        svc.close()


def test_garbage_in_redis_is_a_miss(redis: RedisServer) -> None:
    svc = service(redis)
    try:
        run(svc.score_batch(batch(3)))
        client = redis.client()
        for key in client.keys("*"):
            client.set(key, "{garbage")
        again = run(svc.score_batch(batch(3)))
        assert not any(r.cached for r in again)
        assert [r.verdict for r in again] == [Verdict.INCORRECT, Verdict.CORRECT, Verdict.INCORRECT]
        assert errors(svc) >= 3
    finally:
        svc.close()


def test_redis_killed_mid_batch_then_restarted(redis: RedisServer) -> None:
    svc = service(redis)
    try:
        requests = [*batch(8), ScoreRequest(id="bomb", response=BOMB, gold="1")]
        killer = threading.Timer(0.5, redis.kill)  # while the bomb holds the batch
        killer.start()
        results = run(svc.score_batch(requests))
        killer.join()
        assert [r.id for r in results] == [*range(8), "bomb"]
        assert [r.verdict for r in results[:8]] == [
            Verdict.CORRECT if i % 3 == 1 else Verdict.INCORRECT for i in range(8)
        ]
        assert results[-1].reason.value == "timeout"
        assert not any(r.cached for r in results)
        down = run(svc.score_batch(batch(8)))  # Redis down: scored, uncached
        assert [r.verdict for r in down] == [r.verdict for r in results[:8]]
        assert errors(svc) >= 2

        redis.start()  # back on the same port: caching resumes by itself
        run(svc.score_batch(batch(8)))
        assert redis.client().dbsize() > 0
        assert all(r.cached for r in run(svc.score_batch(batch(8))))
    finally:
        svc.close()


def test_a_stalled_redis_fails_open_within_its_timeout(redis: RedisServer) -> None:
    svc = service(redis, cache_timeout_s=0.2)
    try:
        run(svc.score_batch(batch(3)))
        redis.pause()
        try:
            started = time.monotonic()
            results = run(svc.score_batch(batch(3)))
            elapsed = time.monotonic() - started
        finally:
            redis.resume()
        assert [r.verdict for r in results] == [
            Verdict.INCORRECT,
            Verdict.CORRECT,
            Verdict.INCORRECT,
        ]
        assert elapsed < 1.5  # did not wait for Redis to wake up
        assert errors(svc) >= 1
    finally:
        svc.close()


def test_two_level_mode_serves_from_memory_when_redis_is_gone(redis: RedisServer) -> None:
    svc = service(redis, cache_two_level=True)
    try:
        run(svc.score_batch(batch(5)))
        redis.kill()
        assert all(r.cached for r in run(svc.score_batch(batch(5))))
    finally:
        svc.close()
