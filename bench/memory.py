"""Memory: RSS of a running server while it scores RESPONSES responses (default 1 M) in a
bounded loop of gRPC batches, every response distinct (so the request-level cache churns
through its LRU bound), answers drawn from a small set (so answer-level hits happen too).
RSS is sampled after a warm-up (the first CACHE_SIZE + one batch, when the LRU is full) and at
the end; the goal is flat within ±5 %. Worker processes are reported separately.

    python bench/memory.py [--responses 1000000] [--batch 2048]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from reward_service import ScoreRequest
from reward_service.client import AsyncRewardClient
from tests.serving import running_server

CACHE_SIZE = 100_000


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def children_rss_mb(pid: int) -> float:
    total = 0.0
    for child in Path(f"/proc/{pid}/task").glob("*/children"):
        for cpid in child.read_text().split():
            total += rss_mb(int(cpid)) + children_rss_mb(int(cpid))
    return total


def batch(start: int, size: int) -> list[ScoreRequest]:
    return [
        ScoreRequest(
            id=i,
            response=f"<think>attempt {i}: we simplify and check.</think>"
            f"The answer is $\\boxed{{{i % 13}}}$.",
            gold=str(i % 7),
        )
        for i in range(start, start + size)
    ]


async def drive(url: str, pid: int, total: int, size: int) -> list[tuple[int, float, float]]:
    samples = []
    async with AsyncRewardClient(url, batch_size=size) as client:
        sent = 0
        while sent < total:
            results = await client.score_batch(batch(sent, size))
            if len(results) != size:
                raise SystemExit("lost results")
            sent += size
            if sent % (size * 25) == 0 or sent >= total:
                samples.append((sent, rss_mb(pid), children_rss_mb(pid)))
    return samples


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--responses", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=2048)
    args = parser.parse_args()
    started = time.perf_counter()
    with (
        tempfile.TemporaryDirectory() as tmp,
        running_server(Path(tmp), cache_size=str(CACHE_SIZE)) as server,
    ):
        samples = asyncio.run(
            drive(server.grpc_url, server.process.pid, args.responses, args.batch)
        )
    seconds = time.perf_counter() - started
    print("| responses | server RSS MB | workers RSS MB |")
    print("|---:|---:|---:|")
    for sent, main_mb, workers_mb in samples:
        print(f"| {sent:,} | {main_mb:.1f} | {workers_mb:.1f} |")
    warm = next(s for s in samples if s[0] >= CACHE_SIZE + args.batch)
    end = samples[-1]
    change = (end[1] - warm[1]) / warm[1] * 100
    print(
        f"{end[0]:,} responses in {seconds:.0f}s ({end[0] / seconds:.0f}/s); server RSS "
        f"after warm-up {warm[1]:.1f} MB, at the end {end[1]:.1f} MB: {change:+.1f}% "
        f"(goal within ±5%)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
