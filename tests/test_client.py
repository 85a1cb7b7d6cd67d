"""The Python client against the real server: both transports, sync and async, chunking,
retries on transient failures only, deadlines."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Iterator

import pytest

from reward_service.client import AsyncRewardClient, ClientError, RewardClient
from reward_service.types import ScoreRequest, ScoreResult, Status, Verdict
from tests.serving import TOKEN, Server, free_port, running_server

GOOD = "<think>x</think>\\boxed{4}"


def requests(n: int) -> list[ScoreRequest]:
    return [
        ScoreRequest(id=f"r{i}", response=f"<think>x</think>\\boxed{{{i % 7}}}", gold="3")
        for i in range(n)
    ]


@pytest.fixture(params=["http", "grpc"])
def url(request: pytest.FixtureRequest, server: Server) -> str:
    return server.http_url if request.param == "http" else server.grpc_url


def test_sync_client_chunks_and_keeps_order(url: str) -> None:
    with RewardClient(url, batch_size=3) as client:
        results = client.score_batch(requests(10))
        one = client.score(ScoreRequest(id=7, response=GOOD, gold="4"))
    assert [r.id for r in results] == [f"r{i}" for i in range(10)]
    assert [r.verdict for r in results] == [
        Verdict.CORRECT if i % 7 == 3 else Verdict.INCORRECT for i in range(10)
    ]
    assert one.verdict is Verdict.CORRECT and str(one.id) == "7"


def test_async_client(url: str) -> None:
    async def go() -> list[Status]:
        async with AsyncRewardClient(url) as client:
            results = await asyncio.gather(
                client.score_batch(requests(5)), client.score_batch(requests(5))
            )
        return [r.status for batch in results for r in batch]

    assert asyncio.run(go()) == [Status.SCORED] * 10


def test_sync_client_works_inside_a_running_event_loop(url: str) -> None:
    async def inside() -> Verdict | None:
        with RewardClient(url) as client:
            return client.score(ScoreRequest(response=GOOD, gold="4")).verdict

    assert asyncio.run(inside()) is Verdict.CORRECT


@pytest.mark.parametrize("scheme", ["http", "grpc"])
def test_unreachable_service_is_retried_then_reported(scheme: str) -> None:
    url = f"{scheme}://127.0.0.1:{free_port()}"
    started = time.monotonic()
    with (
        RewardClient(url, retries=2, backoff_s=0.2, timeout_s=20) as client,
        pytest.raises(ClientError) as failed,
    ):
        client.score(ScoreRequest(response=GOOD, gold="4"))
    assert failed.value.retryable
    assert time.monotonic() - started >= 0.2 * (0.5 + 1.0)  # two backoffs happened


@pytest.fixture(scope="module")
def strict(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with running_server(tmp_path_factory.mktemp("client-strict"), auth_token=TOKEN) as running:
        yield running


@pytest.mark.parametrize("transport", ["http", "grpc"])
def test_auth_errors_are_not_retried(strict: Server, transport: str) -> None:
    url = strict.http_url if transport == "http" else strict.grpc_url
    started = time.monotonic()
    with (
        RewardClient(url, retries=5, backoff_s=2.0) as client,
        pytest.raises(ClientError) as failed,
    ):
        client.score(ScoreRequest(response=GOOD, gold="4"))
    assert failed.value.code == "unauthenticated" and not failed.value.retryable
    assert time.monotonic() - started < 2.0  # no backoff
    with RewardClient(url, token=TOKEN) as client:
        assert client.score(ScoreRequest(response=GOOD, gold="4")).verdict is Verdict.CORRECT


def test_unknown_scheme() -> None:
    with pytest.raises(ValueError, match="scheme"):
        AsyncRewardClient("ftp://x")


def test_a_client_used_before_fork_works_in_the_child(server: Server) -> None:
    """verl's prime manager forks workers after the parent scored once: the child's copy of
    the client has no loop thread and must not hang."""
    client = RewardClient(server.http_url, timeout_s=30)
    request = ScoreRequest(response="<think>a</think>\\boxed{4}", gold="4")
    assert client.score(request).verdict is Verdict.CORRECT
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report and leave at once, without the parent's cleanup
        try:
            verdict = client.score(request).verdict
            os.write(write, str(verdict).encode())
        finally:
            os._exit(0)
    os.close(write)
    try:
        _, status = os.waitpid(pid, 0)
        assert os.read(read, 100) == b"correct"
        assert status == 0
    finally:
        os.close(read)
        client.close()


def test_many_single_sample_callers_are_all_sent(server: Server) -> None:
    """Concurrent per-sample calls are not queued behind a small client-side cap until their
    deadlines pass."""

    async def go() -> list[ScoreResult]:
        async with AsyncRewardClient(server.grpc_url, timeout_s=20) as client:
            return list(
                await asyncio.gather(
                    *(
                        client.score(
                            ScoreRequest(response=f"<think>a</think>\\boxed{{{i}}}", gold="3")
                        )
                        for i in range(40)
                    )
                )
            )

    results = asyncio.run(go())
    assert sum(r.verdict is Verdict.CORRECT for r in results) == 1
