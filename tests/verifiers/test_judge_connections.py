"""Many judge calls in flight through the split connection pools, against the scripted
OpenAI-compatible server on loopback."""

from __future__ import annotations

import asyncio

import pytest

from reward_service.verifiers.judge.connections import POOL_SIZE, Connections
from tests.judge_server import judge_server

BODY = {"model": "m", "messages": [{"role": "user", "content": "2+2?"}]}


@pytest.mark.parametrize("concurrency", [1, POOL_SIZE, 3 * POOL_SIZE + 5])
def test_every_call_up_to_the_concurrency_is_in_flight_at_once(concurrency: int) -> None:
    with judge_server() as (url, script):
        script.delay_s = 0.3

        async def main() -> list[int]:
            connections = Connections(url, {}, concurrency)

            async def call() -> int:
                async with connections.lease() as http:
                    return (await http.post("/chat/completions", json=BODY)).status_code

            try:
                return await asyncio.gather(*(call() for _ in range(concurrency)))
            finally:
                await connections.aclose()

        statuses = asyncio.run(main())
    assert statuses == [200] * concurrency
    assert script.peak_in_flight == concurrency  # no call queued behind a full pool
