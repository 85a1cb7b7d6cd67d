"""Power towers: 30 distinct astronomical answers through one batch of the service, against
the same batch with each tower sent to a worker as before the magnitude screen.

Baseline: every tower goes to a worker and holds it for the full ``--deadline`` (the pool's
``run`` with the worker-side check, the path the screen skips). Measured: the service's
``score_batch`` with the same towers as R1 responses. Prints both times and their ratio.

    python bench/towers.py [--deadline 1] [--workers 2]
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections import Counter

from reward_service import RewardService, ScoreRequest, Settings
from reward_service.settings import SymbolicSettings
from reward_service.verifiers import symbolic_task

TOWERS = [f"{b}^{{{b}^{{{b}^{{{b}}}}}}}" for b in range(3, 33)]


async def measure(service: RewardService, deadline: float) -> tuple[float, float, Counter[str]]:
    await service.warm_up()
    pool = service.verifier._pool  # the unscreened path, for the baseline only
    started = time.perf_counter()
    outcomes = await asyncio.gather(
        *(pool.run(symbolic_task.check, "1", t, 6, 15, True, timeout=deadline) for t in TOWERS),
        return_exceptions=True,
    )
    baseline = time.perf_counter() - started
    assert all(not isinstance(o, int) for o in outcomes), "a tower finished: not a tower"
    requests = [
        ScoreRequest(id=i, response=f"<think>big</think>\\boxed{{{t}}}", gold="1")
        for i, t in enumerate(TOWERS)
    ]
    started = time.perf_counter()
    results = await service.score_batch(requests)
    screened = time.perf_counter() - started
    return baseline, screened, Counter(f"{r.status.value}/{r.reason.value}" for r in results)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--deadline", type=float, default=1.0)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    settings = Settings(
        symbolic=SymbolicSettings(workers=args.workers, task_timeout_s=args.deadline),
        cache_size=0,
    )
    service = RewardService(settings)
    try:
        baseline, screened, results = asyncio.run(measure(service, args.deadline))
    finally:
        service.close()
    print(f"{len(TOWERS)} distinct towers, {args.workers} workers, {args.deadline:g}s deadline")
    print(f"  baseline (each tower in a worker): {baseline:.2f}s")
    print(f"  screened batch (score_batch):      {screened:.3f}s  results {dict(results)}")
    print(f"  ratio baseline/screened: {baseline / screened:.0f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
