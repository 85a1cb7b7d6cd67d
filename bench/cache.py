"""Cache benchmark: a realistic GRPO step scored cold, then warm, through the service with
Redis, in the same run. Prints the warm/cold throughput ratio (goal ≥ 50×) and the cost of a
hit per response.

The batch: ``bench/grpo.py``'s GRPO step without judge-routed problems — PROBLEMS problems ×
ROLLOUTS rollouts of 2-8 K tokens of real reasoning text, up to 4 distinct final answers per
group (the gold and answers Qwen2.5-Math gave). A private redis-server is started on a free
port.

    python bench/cache.py [--problems 64] [--rollouts 16]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.grpo import CHARS_PER_TOKEN, grpo_step
from reward_service import RewardService, ScoreRequest, Settings
from tests.redis_server import redis_server


async def run(batch: list[ScoreRequest], url: str) -> tuple[float, float, int]:
    service = RewardService(Settings(cache_url=url))
    try:
        await service.warm_up()
        started = time.perf_counter()
        cold = await service.score_batch(batch)
        cold_s = time.perf_counter() - started
        started = time.perf_counter()
        warm = await service.score_batch(batch)
        warm_s = time.perf_counter() - started
    finally:
        await service.aclose()
    if [r.verdict for r in cold] != [r.verdict for r in warm]:
        raise SystemExit("warm verdicts differ from cold ones")
    return cold_s, warm_s, sum(r.cached for r in warm)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--problems", type=int, default=64)
    parser.add_argument("--rollouts", type=int, default=16)
    args = parser.parse_args()
    batch = grpo_step(args.problems, args.rollouts, judge_share=0.0)
    n = len(batch)
    chars = sum(len(r.response) for r in batch)
    with tempfile.TemporaryDirectory() as tmp, redis_server(Path(tmp)) as redis:
        cold_s, warm_s, hits = asyncio.run(run(batch, redis.url))
    print(
        f"GRPO step: {args.problems} problems × {args.rollouts} rollouts = {n} responses, "
        f"{chars / n / CHARS_PER_TOKEN:.0f} tokens each on average; Redis on loopback"
    )
    print("| pass | seconds | responses/s | µs / response |")
    print("|---|---:|---:|---:|")
    print(f"| cold | {cold_s:.2f} | {n / cold_s:.0f} | {cold_s / n * 1e6:.0f} |")
    print(f"| warm ({hits}/{n} hits) | {warm_s:.3f} | {n / warm_s:.0f} | {warm_s / n * 1e6:.0f} |")
    print(f"warm/cold throughput ratio: {cold_s / warm_s:.1f}x (goal >= 50x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
