"""Front-door overhead: per-response cost of the HTTP and gRPC batch paths against calling the
service object in-process, measured in the same run on the same warm workload.

The workload is a GRPO-shaped batch (problems × rollouts, a few distinct final answers per
problem, ~2 K-character responses). Every path is warmed first, so the cache answers and what
is measured is parsing, filtering, transport and serialisation — the part a front door adds.

    python bench/frontends.py [--problems 128] [--rollouts 16] [--repeats 5]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from reward_service import RewardService, ScoreRequest, Settings
from reward_service.client import AsyncRewardClient
from tests.serving import running_server

REASONING = (
    "We expand the product and collect like terms, then check the boundary cases one by one. "
    "Substituting back confirms the value satisfies every constraint in the problem. "
)


def grpo_batch(problems: int, rollouts: int) -> list[ScoreRequest]:
    batch = []
    for p in range(problems):
        for r in range(rollouts):
            answer = p + (r % 4)  # four distinct answers per group, one of them right
            thinking = f"Problem {p}, attempt {r}. " + REASONING * 12
            batch.append(
                ScoreRequest(
                    id=f"{p}-{r}",
                    response=f"<think>{thinking}</think>The answer is $\\boxed{{{answer}}}$.",
                    gold=str(p),
                )
            )
    return batch


async def timed(call, repeats: int) -> float:  # type: ignore[no-untyped-def]
    await call()  # warm: workers, connections, cache
    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        await call()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


async def measure(
    batch: list[ScoreRequest], http_url: str, grpc_url: str, repeats: int
) -> dict[str, float]:
    service = RewardService(Settings())
    try:
        inproc = await timed(lambda: service.score_batch(batch), repeats)
    finally:
        service.close()
    figures = {"in-process": inproc}
    for name, url in (("HTTP", http_url), ("gRPC", grpc_url)):
        async with AsyncRewardClient(url, batch_size=len(batch)) as client:
            figures[name] = await timed(lambda c=client: c.score_batch(batch), repeats)
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--problems", type=int, default=128)
    parser.add_argument("--rollouts", type=int, default=16)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    batch = grpo_batch(args.problems, args.rollouts)
    with tempfile.TemporaryDirectory() as tmp, running_server(Path(tmp)) as server:
        figures = asyncio.run(measure(batch, server.http_url, server.grpc_url, args.repeats))
    n = len(batch)
    base = figures["in-process"]
    print(
        f"batch of {n} responses ({args.problems} problems × {args.rollouts} rollouts), "
        f"median of {args.repeats} warm runs"
    )
    print("| path | batch ms | µs / response | × in-process | overhead µs / response |")
    print("|---|---:|---:|---:|---:|")
    for name, seconds in figures.items():
        print(
            f"| {name} | {seconds * 1e3:.1f} | {seconds / n * 1e6:.1f} | "
            f"{seconds / base:.2f} | {(seconds - base) / n * 1e6:.1f} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
