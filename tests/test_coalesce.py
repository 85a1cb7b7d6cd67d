"""Server-side coalescing through the real doors: concurrent single-sample calls share one
micro-batch and the work in flight, while each call keeps its own deadline, result and errors;
backpressure, draining and request metrics stay exact."""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from reward_service import ScoreRequest
from reward_service.frontends.grpc_gen.reward.v1 import reward_pb2 as pb
from reward_service.frontends.grpc_gen.reward.v1 import reward_pb2_grpc
from reward_service.service import RewardService
from reward_service.settings import CoalesceSettings
from tests.conftest import make_settings, run
from tests.serving import Server, running_server

WINDOW = {"coalesce__window_ms": "150"}
"""Wide enough that calls sent together land in one micro-batch on a loaded machine."""


def bomb(n: int) -> str:
    """A power that runs into the worker's deadline (distinct per test: no quarantine). A
    difference in the exponent keeps it past the magnitude screen, which cannot size it."""
    return f"<think>x</think>\\boxed{{10^{{10^{{10}}-{n}}}}}"


def think(i: int, answer: str) -> str:
    return f"<think>rollout {i}: work it out</think>The answer is $\\boxed{{{answer}}}$."


def metric(server: Server, name: str, **labels: str) -> float:
    """The sum of the samples of ``name`` with ``labels`` on the server's /metrics."""
    text = httpx.get(server.http_url + "/metrics", timeout=10).text
    return sum(
        sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items())
    )


async def post_all(server: Server, calls: list[tuple[str, Any, dict[str, str]]]) -> list[Any]:
    async with httpx.AsyncClient(base_url=server.http_url, timeout=60) as client:
        replies = await asyncio.gather(
            *(client.post(path, json=body, headers=headers) for path, body, headers in calls)
        )
    return list(replies)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with running_server(tmp_path_factory.mktemp("coalesce"), **WINDOW) as running:
        yield running


def test_concurrent_identical_calls_run_one_comparison(server: Server) -> None:
    started = metric(server, "reward_work_started_total", kind="comparison")
    batches = metric(server, "reward_micro_batch_calls_count")
    # 24 rollouts of one problem with one final answer, as 24 single-sample calls on 3 doors
    calls: list[tuple[str, Any, dict[str, str]]] = []
    for i in range(8):
        calls.append(("/v1/score", {"id": i, "response": think(i, "0.75"), "gold": "3/4"}, {}))
        calls.append(
            ("/slime/reward", {"prompt": "p", "response": think(i, "0.75"), "label": "3/4"}, {})
        )
        calls.append(
            (
                "/get_reward",
                {"query": [f"q{i}" + think(i, "0.75")], "prompts": [f"q{i}"], "labels": ["3/4"]},
                {},
            )
        )
    replies = asyncio.run(post_all(server, calls))
    assert all(reply.status_code == 200 for reply in replies)
    assert [r.json()["id"] for r in replies[0::3]] == list(range(8))
    assert all(r.json()["verdict"] == "correct" for r in replies[0::3])
    assert all(r.json() == 1.0 for r in replies[1::3])
    assert all(r.json()["rewards"] == [1.0] for r in replies[2::3])
    assert metric(server, "reward_work_started_total", kind="comparison") - started == 1
    assert metric(server, "reward_micro_batch_calls_count") - batches < len(calls)


def test_a_second_call_awaits_the_comparison_another_call_is_running(server: Server) -> None:
    """Across micro-batches: the second call arrives while the first one's comparison runs."""
    started = metric(server, "reward_work_started_total", kind="comparison")
    shared = metric(server, "reward_work_shared_total", kind="comparison")
    body = {"response": bomb(7), "gold": "1"}

    async def two_calls() -> list[httpx.Response]:
        async with httpx.AsyncClient(base_url=server.http_url, timeout=60) as client:
            first = asyncio.ensure_future(client.post("/v1/score", json=body))
            await asyncio.sleep(1.0)  # the micro-batch of the first call has closed
            second = asyncio.ensure_future(client.post("/v1/score", json=body))
            return list(await asyncio.gather(first, second))

    replies = asyncio.run(two_calls())
    assert [(r.json()["status"], r.json()["reason"]) for r in replies] == [
        ("unscorable", "timeout")
    ] * 2
    assert metric(server, "reward_work_started_total", kind="comparison") - started == 1
    assert metric(server, "reward_work_shared_total", kind="comparison") - shared == 1


def test_a_call_past_its_deadline_times_out_while_its_neighbours_are_scored(
    server: Server,
) -> None:
    batches = metric(server, "reward_micro_batch_calls_count")
    slow = (
        "/v1/score",
        {"id": "slow", "response": bomb(8), "gold": "1"},
        {"X-Request-Timeout": "0.5"},
    )
    good = [
        ("/v1/score", {"id": i, "response": think(i, "12"), "gold": "12"}, {}) for i in range(6)
    ]
    started = time.monotonic()
    replies = asyncio.run(post_all(server, [slow, *good]))
    first = replies[0].json()
    assert (first["id"], first["status"], first["reason"], first["reward"]) == (
        "slow",
        "unscorable",
        "timeout",
        None,
    )
    assert [(r.json()["id"], r.json()["verdict"]) for r in replies[1:]] == [
        (i, "correct") for i in range(6)
    ]
    assert time.monotonic() - started < 2.5  # the worker's deadline is 3 s: the call's cut it
    assert metric(server, "reward_micro_batch_calls_count") - batches < len(replies)


def test_a_grpc_call_past_its_deadline_times_out_while_its_neighbours_are_scored(
    server: Server,
) -> None:
    async def calls() -> list[pb.ScoreResult]:
        async with grpc.aio.insecure_channel(server.grpc_target) as channel:
            stub = reward_pb2_grpc.RewardServiceStub(channel)
            slow = stub.Score(
                pb.ScoreRequest(id="slow", response=bomb(9), gold=pb.Gold(answer="1")), timeout=1.0
            )
            good = [
                stub.Score(
                    pb.ScoreRequest(id=str(i), response=think(i, "13"), gold=pb.Gold(answer="13"))
                )
                for i in range(6)
            ]
            return list(await asyncio.gather(slow, *good))

    results = asyncio.run(calls())
    assert (results[0].id, results[0].status, results[0].reason) == (
        "slow",
        pb.STATUS_UNSCORABLE,
        "timeout",
    )
    assert [(r.id, r.verdict) for r in results[1:]] == [
        (str(i), pb.VERDICT_CORRECT) for i in range(6)
    ]


def test_a_malformed_call_in_a_micro_batch_fails_alone(server: Server) -> None:
    good = [
        ("/v1/score", {"id": i, "response": think(i, "21"), "gold": "21"}, {}) for i in range(4)
    ]
    bad = [
        ("/v1/score", {"id": "no-gold", "response": think(0, "21")}, {}),
        ("/v1/score", {"id": "typed", "response": 5, "gold": "21"}, {}),
        (
            "/v1/score",
            {"id": "t", "response": think(0, "21"), "gold": "21"},
            {"X-Request-Timeout": "x"},
        ),
        ("/get_reward", {"query": ["a", "b"], "prompts": ["a"], "labels": ["1"]}, {}),
        ("/v1/score/batch", {"requests": [{"id": "item", "gold": "1"}]}, {}),
        ("/v1/score", {"id": "gold", "response": think(0, "21"), "gold": "\\frac{"}, {}),
    ]
    replies = asyncio.run(post_all(server, [*good[:2], *bad, *good[2:]]))
    scored = [replies[0], replies[1], replies[-2], replies[-1]]
    assert [(r.status_code, r.json()["id"], r.json()["verdict"]) for r in scored] == [
        (200, i, "correct") for i in range(4)
    ]
    failed = replies[2:-2]
    assert [r.status_code for r in failed[:4]] == [400, 400, 400, 400]
    assert {r.json()["error"]["code"] for r in failed[:4]} == {"invalid_request"}
    item = failed[4].json()["results"][0]
    assert (item["id"], item["reason"]) == ("item", "invalid_request")
    assert failed[5].json()["status"] == "unscorable" and failed[5].json()["reward"] is None


def test_request_metrics_count_calls_not_micro_batches(server: Server) -> None:
    calls_before = metric(server, "reward_request_seconds_count", method="/v1/score")
    results_before = metric(server, "reward_results_total")
    calls = [("/v1/score", {"response": think(i, "34"), "gold": "34"}, {}) for i in range(20)]
    calls.append(("/v1/score/batch", {"requests": [calls[0][1]] * 5}, {}))
    replies = asyncio.run(post_all(server, calls))
    assert all(reply.status_code == 200 for reply in replies)
    assert metric(server, "reward_request_seconds_count", method="/v1/score") - calls_before == 20
    assert metric(server, "reward_results_total") - results_before == 25


def test_backpressure_counts_requests_under_coalescing(tmp_path: Path) -> None:
    with running_server(tmp_path, max_batch_size="4", max_in_flight="4", **WINDOW) as server:
        slow = [("/v1/score", {"response": bomb(10 + i), "gold": "1"}, {}) for i in range(4)]

        async def overload() -> tuple[list[httpx.Response], httpx.Response]:
            async with httpx.AsyncClient(base_url=server.http_url, timeout=60) as client:
                busy = [asyncio.ensure_future(client.post(p, json=b)) for p, b, _ in slow]
                await asyncio.sleep(0.5)
                refused = await client.post(
                    "/v1/score", json={"response": think(0, "4"), "gold": "4"}
                )
                return list(await asyncio.gather(*busy)), refused

        busy, refused = asyncio.run(overload())
        assert refused.status_code == 429
        assert refused.json()["error"]["code"] == "overloaded"
        assert [r.json()["reason"] for r in busy] == ["timeout"] * 4
        good = {"response": think(0, "4"), "gold": "4"}
        assert httpx.post(server.http_url + "/v1/score", json=good).status_code == 200


def test_draining_answers_every_coalesced_call(tmp_path: Path) -> None:
    with running_server(tmp_path, drain_timeout_s="20", **WINDOW) as server:
        calls = [("/v1/score", {"id": "slow", "response": bomb(20), "gold": "1"}, {})]
        calls += [
            ("/v1/score", {"id": i, "response": think(i, "55"), "gold": "55"}, {}) for i in range(8)
        ]

        async def drain() -> list[httpx.Response]:
            async with httpx.AsyncClient(base_url=server.http_url, timeout=60) as client:
                sent = [asyncio.ensure_future(client.post(p, json=b)) for p, b, _ in calls]
                await asyncio.sleep(0.7)
                server.process.send_signal(signal.SIGTERM)
                return list(await asyncio.gather(*sent))

        replies = asyncio.run(drain())
        assert server.process.wait(timeout=30) == 0
        assert [r.status_code for r in replies] == [200] * 9
        assert replies[0].json()["reason"] == "timeout"
        assert [r.json()["verdict"] for r in replies[1:]] == ["correct"] * 8


def test_without_a_window_calls_still_share_work_in_flight() -> None:
    """``window_ms=0``: each call is its own micro-batch, yet 8 concurrent calls for one
    comparison run it once."""
    svc = RewardService(make_settings(coalesce=CoalesceSettings(window_ms=0)))
    try:
        requests = [ScoreRequest(id=i, response=think(i, "0.25"), gold="1/4") for i in range(8)]

        async def score_each() -> list[Any]:
            return list(await asyncio.gather(*(svc.score(r) for r in requests)))

        results = run(score_each())
        assert [r.verdict.value for r in results] == ["correct"] * 8
        text = svc.metrics.render().decode()
        samples = {
            (s.name, s.labels.get("kind")): s.value
            for family in text_string_to_metric_families(text)
            for s in family.samples
        }
        assert samples[("reward_work_started_total", "comparison")] == 1
        assert samples[("reward_work_shared_total", "comparison")] == 7
        assert samples[("reward_micro_batch_calls_count", None)] == 8
        assert len(svc._inflight) == 0  # finished work is forgotten once stored
    finally:
        svc.close()
