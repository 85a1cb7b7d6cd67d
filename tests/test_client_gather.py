"""Gathering of concurrent small calls (``reward_service.client_gather``): against a real
server, concurrent per-sample calls leave as a few batch calls with every caller's own
results; against a scripted ``send``, each caller keeps its own deadline and errors."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from reward_service.client import AsyncRewardClient, ClientError
from reward_service.client_gather import CallGatherer
from reward_service.types import ScoreRequest, ScoreResult, Status, Verdict
from tests.serving import Server


def calls_seen(server: Server) -> float:
    """Scoring calls the server has answered so far, over both doors."""
    text = httpx.get(server.http_url + "/metrics", timeout=10).text
    return sum(
        s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name == "reward_request_seconds_count" and "score" in s.labels["method"].lower()
    )


@pytest.mark.parametrize("door", ["http", "grpc"])
@pytest.mark.parametrize("gather", [True, False])
def test_concurrent_single_calls_leave_as_batch_calls(
    server: Server, door: str, gather: bool
) -> None:
    url = server.http_url if door == "http" else server.grpc_url
    callers = 200

    async def go() -> list[ScoreResult]:
        async with AsyncRewardClient(url, gather=gather, timeout_s=60) as client:
            return list(
                await asyncio.gather(
                    *(
                        client.score(
                            ScoreRequest(
                                id=f"g{i}", response=f"<think>a</think>\\boxed{{{i % 5}}}", gold="3"
                            )
                        )
                        for i in range(callers)
                    )
                )
            )

    before = calls_seen(server)
    results = asyncio.run(go())
    sent = calls_seen(server) - before
    assert [r.id for r in results] == [f"g{i}" for i in range(callers)]
    assert [r.verdict is Verdict.CORRECT for r in results] == [i % 5 == 3 for i in range(callers)]
    assert sent <= 2 if gather else sent == callers, sent


def request(i: int) -> ScoreRequest:
    return ScoreRequest(id=str(i), response="<think>a</think>\\boxed{1}", gold="1")


def result(r: ScoreRequest) -> ScoreResult:
    return ScoreResult(
        id=r.id,
        status=Status.SCORED,
        verdict=Verdict.CORRECT,
        reason="answer.equivalent",
        reward=1.0,
        route="symbolic",
    )


class Recorder:
    """A ``send`` that records its batches and answers after ``delay_s``, or fails batches
    holding a request whose id is in ``failing``."""

    def __init__(self, delay_s: float = 0.0, failing: frozenset[str] = frozenset()) -> None:
        self.batches: list[tuple[list[str | None], float]] = []
        self.delay_s, self.failing = delay_s, failing

    async def send(self, requests: Sequence[ScoreRequest], deadline: float) -> list[ScoreResult]:
        self.batches.append(([r.id for r in requests], deadline))
        await asyncio.sleep(self.delay_s)
        if any(r.id in self.failing for r in requests):
            raise ClientError("unavailable", "down", retryable=True)
        return [result(r) for r in requests]


def test_calls_are_packed_into_batches_without_splitting_a_call() -> None:
    recorder = Recorder()

    async def go() -> list[list[ScoreResult]]:
        gatherer = CallGatherer(recorder.send, batch_size=5)
        deadline = time.monotonic() + 10
        sizes = [1, 3, 2, 1, 4]
        calls, start = [], 0
        for size in sizes:
            calls.append(gatherer.call([request(i) for i in range(start, start + size)], deadline))
            start += size
        return list(await asyncio.gather(*calls))

    replies = asyncio.run(go())
    assert [[r.id for r in reply] for reply in replies] == [
        ["0"],
        ["1", "2", "3"],
        ["4", "5"],
        ["6"],
        ["7", "8", "9", "10"],
    ]
    assert [ids for ids, _ in recorder.batches] == [
        ["0", "1", "2", "3"],
        ["4", "5", "6"],
        ["7", "8", "9", "10"],
    ]


def test_each_caller_keeps_its_own_deadline_and_the_batch_gets_the_latest() -> None:
    recorder = Recorder(delay_s=0.5)

    async def go() -> tuple[BaseException | list[ScoreResult], ...]:
        gatherer = CallGatherer(recorder.send, batch_size=10)
        now = time.monotonic()
        return tuple(
            await asyncio.gather(
                gatherer.call([request(0)], now + 0.1),
                gatherer.call([request(1)], now + 5),
                return_exceptions=True,
            )
        )

    short, long = asyncio.run(go())
    assert isinstance(short, TimeoutError)
    assert isinstance(long, list) and long[0].id == "1"
    ((ids, deadline),) = recorder.batches
    assert ids == ["0", "1"] and deadline == max(d for _, d in recorder.batches)


def test_an_error_is_its_batch_s_alone() -> None:
    recorder = Recorder(failing=frozenset({"0"}))

    async def go() -> tuple[BaseException | list[ScoreResult], ...]:
        gatherer = CallGatherer(recorder.send, batch_size=1)
        deadline = time.monotonic() + 10
        return tuple(
            await asyncio.gather(
                gatherer.call([request(0)], deadline),
                gatherer.call([request(1)], deadline),
                return_exceptions=True,
            )
        )

    failed, scored = asyncio.run(go())
    assert isinstance(failed, ClientError) and failed.code == "unavailable"
    assert isinstance(scored, list) and scored[0].id == "1"


def test_a_cancelled_caller_leaves_its_neighbours_scored() -> None:
    recorder = Recorder(delay_s=0.2)

    async def go() -> list[ScoreResult]:
        gatherer = CallGatherer(recorder.send, batch_size=10)
        deadline = time.monotonic() + 10
        doomed = asyncio.ensure_future(gatherer.call([request(0)], deadline))
        kept = asyncio.ensure_future(gatherer.call([request(1)], deadline))
        await asyncio.sleep(0.05)
        doomed.cancel()
        return await kept

    assert [r.id for r in asyncio.run(go())] == ["1"]
