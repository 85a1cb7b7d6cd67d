"""Coalescing benchmark: a GRPO step sent as concurrent single-sample calls against the same
step sent as one batch, same run.

The step is ``bench/grpo.py``'s (default 256 problems × 16 rollouts = 4096 responses, ~40 %
judge-routed to a scripted judge). For each transport (HTTP ``/v1/score``, gRPC ``Score``) a
fresh ``reward-service serve`` on loopback (cold cache) gets the step as one batch call, and
another fresh one gets it as one call per response with ``--concurrency`` calls in flight, the
way verl's reward loop, OpenRLHF's remote RM and slime send it: raw calls, over HTTP with
aiohttp (slime's client; httpx's pool costs ~13 ms of client CPU per call at 256 in flight on
this machine, so it measured the client, not the server) and over gRPC with a plain stub.
A third row per door sends the same calls through our own ``AsyncRewardClient.score`` (what the
adapters use), which gathers concurrent calls into batch calls. Printed: throughput of all,
their ratio (goal ≥ 70 %), verdict agreement, and the comparisons and judge questions each path
ran, read from the server's ``reward_work_started_total`` (equal when dedup works across calls).

    python bench/coalesce.py [--problems 256] [--rollouts 16] [--concurrency 256]
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import aiohttp
import grpc
import httpx
from prometheus_client.parser import text_string_to_metric_families

from bench.grpo import grpo_step, step_arguments
from reward_service import ScoreRequest, ScoreResult
from reward_service.client import AsyncRewardClient
from reward_service.frontends.grpc_convert import request_to_proto, result_from_proto
from reward_service.frontends.grpc_gen.reward.v1 import reward_pb2_grpc
from tests.judge_server import judge_server
from tests.serving import Server, running_server

Scorer = Callable[[Server, list[ScoreRequest], int], Awaitable[list[ScoreResult]]]
resent = [0]
"""HTTP single calls sent again after a connection error."""


async def one_batch(
    server: Server, step: list[ScoreRequest], _: int, grpc_door: bool
) -> list[ScoreResult]:
    url = server.grpc_url if grpc_door else server.http_url
    async with AsyncRewardClient(url, batch_size=len(step), timeout_s=1800) as client:
        return await client.score_batch(step)


async def per_call_http(
    server: Server, step: list[ScoreRequest], concurrency: int
) -> list[ScoreResult]:
    gate = asyncio.Semaphore(concurrency)
    connector = aiohttp.TCPConnector(limit=concurrency)
    timeout = aiohttp.ClientTimeout(total=1800)
    async with aiohttp.ClientSession(server.http_url, connector=connector, timeout=timeout) as s:

        async def call(request: ScoreRequest) -> ScoreResult:
            body = request.model_dump(mode="json")
            async with gate:
                for attempt in range(3):
                    try:
                        async with s.post("/v1/score", json=body) as reply:
                            reply.raise_for_status()
                            return ScoreResult.model_validate(await reply.json())
                    except aiohttp.ClientConnectionError:
                        # a keep-alive connection the server closed as it was reused (uvicorn's
                        # idle timeout is 5 s); scoring is idempotent, so resend like a trainer
                        if attempt == 2:
                            raise
                        resent[0] += 1
            raise AssertionError("unreachable")

        return list(await asyncio.gather(*(call(r) for r in step)))


async def per_call_client(
    server: Server, step: list[ScoreRequest], concurrency: int, grpc_door: bool
) -> list[ScoreResult]:
    """Our client's per-sample path, as the adapters call it."""
    gate = asyncio.Semaphore(concurrency)
    url = server.grpc_url if grpc_door else server.http_url
    async with AsyncRewardClient(url, timeout_s=1800) as client:

        async def call(request: ScoreRequest) -> ScoreResult:
            async with gate:
                return await client.score(request)

        return list(await asyncio.gather(*(call(r) for r in step)))


async def per_call_grpc(
    server: Server, step: list[ScoreRequest], concurrency: int
) -> list[ScoreResult]:
    gate = asyncio.Semaphore(concurrency)
    async with grpc.aio.insecure_channel(server.grpc_target) as channel:
        stub = reward_pb2_grpc.RewardServiceStub(channel)

        async def call(request: ScoreRequest) -> ScoreResult:
            async with gate:
                return result_from_proto(await stub.Score(request_to_proto(request), timeout=1800))

        return list(await asyncio.gather(*(call(r) for r in step)))


def started(server: Server) -> dict[str, float]:
    """Work the server ran so far, by kind (comparison, judge), and the mean micro-batch."""
    text = httpx.get(server.http_url + "/metrics", timeout=10).text
    samples = [s for family in text_string_to_metric_families(text) for s in family.samples]
    work = {
        str(s.labels["kind"]): s.value for s in samples if s.name == "reward_work_started_total"
    }
    size = {s.name: s.value for s in samples if s.name.startswith("reward_micro_batch_requests_")}
    work["micro_batch"] = size["reward_micro_batch_requests_sum"] / max(
        1, size["reward_micro_batch_requests_count"]
    )
    return work


def row(
    door: str, name: str, rate: float, ratio: float, agree: int, work: dict[str, float], n: int = 0
) -> str:
    return (
        f"| {door} | {name} | {rate:.0f} | {ratio:.0%} | {agree}/{n or agree} "
        f"| {work.get('comparison', 0):.0f} | {work.get('judge', 0):.0f} "
        f"| {work['micro_batch']:.1f} |"
    )


def measure(
    scorer: Scorer, step: list[ScoreRequest], concurrency: int, settings: dict[str, str]
) -> tuple[float, list[ScoreResult], dict[str, float]]:
    with tempfile.TemporaryDirectory() as tmp, running_server(Path(tmp), **settings) as server:
        began = time.perf_counter()
        results = asyncio.run(scorer(server, step, concurrency))
        seconds = time.perf_counter() - began
        return seconds, results, started(server)


def main() -> int:
    parser = step_arguments(__doc__.split("\n")[0])
    parser.add_argument("--concurrency", type=int, default=256)
    args = parser.parse_args()
    step = grpo_step(args.problems, args.rollouts, args.judge_share)
    n = len(step)
    print(
        f"GRPO step: {args.problems} × {args.rollouts} = {n} responses; single-sample calls "
        f"with {args.concurrency} in flight; judge latency {args.judge_latency_ms:.0f} ms"
    )
    print(
        "| door | sent as | resp/s | × one batch | verdicts agree "
        "| comparisons | judge questions | mean micro-batch |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    paths: dict[str, dict[str, Scorer]] = {
        "http": {
            "one batch": lambda s, b, c: one_batch(s, b, c, False),
            "raw single calls (aiohttp)": per_call_http,
            "AsyncRewardClient.score": lambda s, b, c: per_call_client(s, b, c, False),
        },
        "grpc": {
            "one batch": lambda s, b, c: one_batch(s, b, c, True),
            "raw single calls (stub)": per_call_grpc,
            "AsyncRewardClient.score": lambda s, b, c: per_call_client(s, b, c, True),
        },
    }
    ok = True
    notes: list[str] = []
    with judge_server() as (judge_url, script):
        script.delay_s = args.judge_latency_ms / 1000
        settings = {
            "judge__url": judge_url,
            "max_batch_size": str(n),
            "max_in_flight": str(2 * n),
            "symbolic__workers": str(os.cpu_count()),
            # on a shared CPU a slow comparison can pass the tests' 3 s; verdicts, not load,
            # should decide the agreement figure
            "symbolic__task_timeout_s": "20",
        }
        for door, scorers in paths.items():
            (batch_name, batch_path), *call_paths = scorers.items()
            batch_s, batch_results, batch_work = measure(
                batch_path, step, args.concurrency, settings
            )
            print(row(door, batch_name, n / batch_s, 1.0, n, batch_work))
            for name, call_path in call_paths:
                calls_s, call_results, call_work = measure(
                    call_path, step, args.concurrency, settings
                )
                differ = Counter(
                    f"{a.reason.value} → {b.reason.value}"
                    for a, b in zip(batch_results, call_results, strict=True)
                    if (a.status, a.verdict, a.reason) != (b.status, b.verdict, b.reason)
                )
                agree = n - differ.total()
                ratio = batch_s / calls_s
                ok &= ratio >= 0.7 and agree == n
                ok &= all(batch_work.get(k) == call_work.get(k) for k in ("comparison", "judge"))
                if differ:
                    notes.append(f"{door} {name}: differing (batch → calls): {dict(differ)}")
                print(row(door, name, n / calls_s, ratio, agree, call_work, n))
    print("\n".join(notes))
    print(f"HTTP single calls resent after a connection error: {resent[0]}")
    print(
        "goal (every single-call path ≥ 70 % of one batch, same verdicts, same work):",
        "met" if ok else "NOT met",
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
