"""Cache benchmark: a realistic GRPO step scored cold, then warm, through the service with
Redis, in the same run. Prints the warm/cold throughput ratio (goal ≥ 50×) and the cost of a
hit per response.

The batch: ``bench/grpo.py``'s GRPO step without judge-routed problems — PROBLEMS problems ×
ROLLOUTS rollouts of 2-8 K tokens of real reasoning text, up to 4 distinct final answers per
group (the gold and answers Qwen2.5-Math gave). A private redis-server is started on a free
port. Each pass starts from a collected heap (``gc.collect()``), so a full collection of what
the cold pass left behind does not land in the short warm pass.

A hit still pays for the plan of its request (``pipeline/prepare.py``): hashing the response,
and extraction once per distinct answer span in the batch. The step's answer spans are one
short sentence, shared within a group; ``--summaries`` gives every rollout its own ~1 K-character
summary before the final answer, as R1-style models write after ``</think>``.

    python bench/cache.py [--problems 64] [--rollouts 16] [--summaries]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.grpo import CHARS_PER_TOKEN, CORPUS, grpo_step
from reward_service import RewardService, ScoreRequest, Settings
from tests.redis_server import redis_server


async def run(batch: list[ScoreRequest], url: str) -> tuple[float, float, int]:
    service = RewardService(Settings(cache_url=url))
    try:
        await service.warm_up()
        gc.collect()
        started = time.perf_counter()
        cold = await service.score_batch(batch)
        cold_s = time.perf_counter() - started
        gc.collect()
        started = time.perf_counter()
        warm = await service.score_batch(batch)
        warm_s = time.perf_counter() - started
    finally:
        await service.aclose()
    if [r.verdict for r in cold] != [r.verdict for r in warm]:
        raise SystemExit("warm verdicts differ from cold ones")
    return cold_s, warm_s, sum(r.cached for r in warm)


def with_summaries(batch: list[ScoreRequest], seed: int = 0) -> list[ScoreRequest]:
    """Each response with three corpus paragraphs between ``</think>`` and its final answer."""
    rng = random.Random(seed)
    with (CORPUS / "auto_labelled_qwen_math_cot.jsonl").open() as f:
        rows = [json.loads(line) for line in f]
    paragraphs = [
        p
        for row in rows
        for p in row["response"].split("\n\n")
        if 200 < len(p) < 600 and "box" not in p
    ]
    summarised = []
    for request in batch:
        thinking, final = request.response.split("</think>")
        summary = "\n\n".join(rng.sample(paragraphs, 3))
        response = f"{thinking}</think>\n{summary}\n{final.strip()}"
        summarised.append(request.model_copy(update={"response": response}))
    return summarised


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--problems", type=int, default=64)
    parser.add_argument("--rollouts", type=int, default=16)
    parser.add_argument("--summaries", action="store_true")
    args = parser.parse_args()
    batch = grpo_step(args.problems, args.rollouts, judge_share=0.0)
    if args.summaries:
        batch = with_summaries(batch)
    n = len(batch)
    chars = sum(len(r.response) for r in batch)
    with tempfile.TemporaryDirectory() as tmp, redis_server(Path(tmp)) as redis:
        cold_s, warm_s, hits = asyncio.run(run(batch, redis.url))
    print(
        f"GRPO step: {args.problems} problems × {args.rollouts} rollouts = {n} responses, "
        f"{chars / n / CHARS_PER_TOKEN:.0f} tokens each on average"
        f"{', a distinct answer summary each' if args.summaries else ''}; Redis on loopback"
    )
    print("| pass | seconds | responses/s | µs / response |")
    print("|---|---:|---:|---:|")
    print(f"| cold | {cold_s:.2f} | {n / cold_s:.0f} | {cold_s / n * 1e6:.0f} |")
    print(f"| warm ({hits}/{n} hits) | {warm_s:.3f} | {n / warm_s:.0f} | {warm_s / n * 1e6:.0f} |")
    print(f"warm/cold throughput ratio: {cold_s / warm_s:.1f}x (goal >= 50x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
