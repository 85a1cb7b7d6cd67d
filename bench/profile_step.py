"""Where a cold GRPO step's time goes, in-process: the service's stage sums, optionally cProfile.

The step is bench/grpo.py's batch; the judge is the scripted OpenAI-compatible server (it runs
in a thread of this process, so its CPU is counted here too). A warm-up of a few requests
starts the workers and the filter pool; the rest is scored cold in one ``score_batch``.
Printed: wall and CPU seconds of this process, the per-stage sums of
``reward_stage_seconds`` and the judge calls. Not a ratio benchmark: it finds where to look.

    python bench/profile_step.py [--problems 256] [--rollouts 16] [--judge-share 0.4]
                                 [--judge-latency-ms 200] [--cprofile] [--top 40]
"""

from __future__ import annotations

import asyncio
import cProfile
import os
import pstats
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from prometheus_client import generate_latest

from bench.grpo import grpo_step, step_arguments
from reward_service import RewardService, ScoreRequest, Settings
from tests.judge_server import judge_server

WARM_UP = 32
_TICK = os.sysconf("SC_CLK_TCK")


def descendants_cpu() -> dict[int, float]:
    """CPU seconds so far of every process below this one (workers, filter processes), by pid."""
    parents, cpu = {}, {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid = int(stat.parent.name)
        parents[pid] = int(fields[1])
        cpu[pid] = (int(fields[11]) + int(fields[12])) / _TICK
    below, me = {}, os.getpid()
    for pid, seconds in cpu.items():
        ancestor = parents.get(pid)
        while ancestor and ancestor != me:
            ancestor = parents.get(ancestor)
        if ancestor == me:
            below[pid] = seconds
    return below


_SUMS = re.compile(r'^reward_stage_seconds_sum\{stage="(\w+)"\} (\S+)$', re.MULTILINE)
_JUDGE_CALLS = re.compile(r"^reward_judge_calls_total\{.*\} (\S+)$", re.MULTILINE)


async def step(
    service: RewardService, batch: list[ScoreRequest], profile: cProfile.Profile | None
) -> None:
    await service.warm_up()  # as the server does before it reports ready
    await service.score_batch(batch[:WARM_UP])
    wall, cpu, others = time.perf_counter(), time.process_time(), descendants_cpu()
    if profile:
        profile.enable()
    await service.score_batch(batch[WARM_UP:])
    if profile:
        profile.disable()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    below = sum(t - others.get(pid, 0.0) for pid, t in descendants_cpu().items())
    print(
        f"{len(batch) - WARM_UP} responses cold: {wall:.2f} s wall, {cpu:.2f} s CPU here, "
        f"{below:.2f} s CPU in the processes below (workers, filter processes)"
    )


def main() -> int:
    parser = step_arguments(__doc__.split("\n")[0])
    parser.add_argument("--cprofile", action="store_true", help="profile the cold batch")
    parser.add_argument("--sort", default="cumulative")
    parser.add_argument("--top", type=int, default=40)
    args = parser.parse_args()
    batch = grpo_step(args.problems, args.rollouts, args.judge_share)
    profile = cProfile.Profile() if args.cprofile else None
    with judge_server() as (url, script):
        script.delay_s = args.judge_latency_ms / 1000
        n = len(batch)
        service = RewardService(Settings(judge={"url": url}, max_batch_size=n, max_in_flight=2 * n))

        async def run() -> None:
            try:
                await step(service, batch, profile)
            finally:
                await service.aclose()

        asyncio.run(run())
    text = generate_latest(service.metrics.registry).decode()
    for stage, seconds in _SUMS.findall(text):
        print(f"stage {stage}: {float(seconds):.2f} s")
    print(f"judge calls: {sum(float(c) for c in _JUDGE_CALLS.findall(text)):.0f}")
    if profile:
        pstats.Stats(profile).sort_stats(args.sort).print_stats(args.top)
    return 0


if __name__ == "__main__":
    sys.exit(main())
