"""Bounded load test: a fixed offered rate for a fixed time against a real server on loopback,
mixing cache hits, new symbolic work, judge-routed requests (a scripted judge with a fixed
latency) and bad inputs. Reports sent/answered responses, errors (anything but the designed
429 backpressure), p50/p99 batch latency and the server's RSS before and after.

The default rate is twice the cold throughput bench/grpo.py measured (~800 responses/s over
gRPC on the 2-core machine). Short version (CI): ``tests/test_load.py``. Long version:

    python bench/load.py --seconds 300 --rate 1600
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.judge_server import judge_server
from tests.serving import running_server


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


@dataclass
class Tally:
    sent: int = 0
    answered: int = 0
    refused: int = 0
    errors: list[str] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)


def mixed_batch(rng: random.Random, serial: int, size: int) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for k in range(size):
        kind = rng.random()
        uid = f"{serial}-{k}"
        if kind < 0.35:  # a response the cache has seen
            items.append(
                {"id": uid, "response": "<think>warm</think>\\boxed{\\frac{1}{2}}", "gold": "0.5"}
            )
        elif kind < 0.75:  # new symbolic work
            answer = rng.choice(["12", "\\frac{3}{4}", "2\\sqrt{2}", "x^2-1", "7"])
            items.append(
                {
                    "id": uid,
                    "response": f"<think>try {uid}</think>\\boxed{{{answer}}}",
                    "gold": rng.choice(["12", "0.75", "\\sqrt{8}", "(x-1)(x+1)"]),
                }
            )
        elif kind < 0.9:  # judge-routed
            items.append(
                {
                    "id": uid,
                    "response": f"<think>{uid}</think>甲向东走{k % 4}步",
                    "gold": "甲向东走三步",
                    "problem": "甲往哪个方向走？",
                }
            )
        else:  # bad input
            items.append(
                rng.choice(
                    [
                        {"id": uid, "response": "no think tags"},
                        {
                            "id": uid,
                            "response": "<think>x</think>\\boxed{9^{9^{9^{9}}}}",
                            "gold": "1",
                        },
                        {
                            "id": uid,
                            "response": "<think>" + "again " * 2000 + "</think>\\boxed{1}",
                            "gold": "1",
                        },
                        {"id": uid, "response": 42, "gold": []},
                    ]
                )
            )
    return items


async def offer(url: str, rate: float, seconds: float, batch: int, tally: Tally) -> None:
    rng = random.Random(0)
    interval = batch / rate
    async with httpx.AsyncClient(base_url=url, timeout=120) as http:

        async def one(serial: int) -> None:
            items = mixed_batch(rng, serial, batch)
            tally.sent += len(items)
            started = time.monotonic()
            try:
                reply = await http.post("/v1/score/batch", json={"requests": items})
            except httpx.HTTPError as error:
                tally.errors.append(repr(error))
                return
            if reply.status_code == 429:
                tally.refused += len(items)
                return
            results = reply.json().get("results") if reply.status_code == 200 else None
            if results is None or [r["id"] for r in results] != [i["id"] for i in items]:
                tally.errors.append(f"HTTP {reply.status_code}: {reply.text[:200]}")
                return
            tally.answered += len(results)
            tally.latencies.append(time.monotonic() - started)

        tasks = []
        start = time.monotonic()
        serial = 0
        while time.monotonic() - start < seconds:
            tasks.append(asyncio.create_task(one(serial)))
            serial += 1
            await asyncio.sleep(max(0.0, start + serial * interval - time.monotonic()))
        await asyncio.gather(*tasks)


def run(seconds: float, rate: float, batch: int) -> dict[str, Any]:
    tally = Tally()
    with judge_server() as (judge_url, script), tempfile.TemporaryDirectory() as tmp:
        script.delay_s = 0.05
        settings = {"judge__url": judge_url, "max_in_flight": "4096"}
        with running_server(Path(tmp), **settings) as server:
            pid = server.process.pid
            asyncio.run(offer(server.http_url, rate, 1.0, batch, Tally()))  # warm-up
            before = rss_mb(pid)
            started = time.monotonic()
            asyncio.run(offer(server.http_url, rate, seconds, batch, tally))
            elapsed = time.monotonic() - started
            after = rss_mb(pid)
    latencies = sorted(tally.latencies)
    return {
        "seconds": elapsed,
        "sent": tally.sent,
        "answered": tally.answered,
        "refused": tally.refused,
        "errors": tally.errors,
        "p50_ms": statistics.median(latencies) * 1000 if latencies else None,
        "p99_ms": latencies[max(0, int(len(latencies) * 0.99) - 1)] * 1000 if latencies else None,
        "rss_before_mb": before,
        "rss_after_mb": after,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--rate", type=float, default=1600, help="offered responses per second")
    parser.add_argument("--batch", type=int, default=64)
    args = parser.parse_args()
    figures = run(args.seconds, args.rate, args.batch)
    print(
        f"offered {args.rate:.0f} responses/s for {figures['seconds']:.0f}s in batches of "
        f"{args.batch}: sent {figures['sent']}, answered {figures['answered']}, refused (429) "
        f"{figures['refused']}, errors {len(figures['errors'])}"
    )
    print(
        f"batch latency p50 {figures['p50_ms']:.0f} ms, p99 {figures['p99_ms']:.0f} ms; "
        f"server RSS {figures['rss_before_mb']:.0f} → {figures['rss_after_mb']:.0f} MB"
    )
    for error in figures["errors"][:5]:
        print("  error:", error)
    return 1 if figures["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
