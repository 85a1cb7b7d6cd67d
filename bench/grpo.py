"""GRPO-step benchmark: the service's batch path against a verl-style reward loop, same run.

The step: PROBLEMS problems × ROLLOUTS rollouts (default 256 × 16 = 4096 responses), R1-style
traces of 2-8 K tokens assembled from the corpus's real reasoning text, up to 4 distinct final
answers per group. About 40 % of the problems have a free-form gold and are judge-routed to a
scripted OpenAI-compatible judge that answers after a fixed latency; the rest are symbolic.

Baseline: the loop a verl reward function runs — ``verify(parse(gold), parse(response))``
with Math-Verify, once per response, in one process — timed on a sample of the symbolic
responses (``--baseline-sample``) and reported per response. The service is measured through
its HTTP and gRPC batch paths with the client's defaults, cold (empty cache; a fresh server per
transport, started and warmed up as ``reward-service serve`` does) and warm.
Printed: per-response costs, the speed-up over the baseline, agreement of the symbolic
verdicts with the baseline's, and judge calls per response (judge call economy).

Also measured in the same run: the alternative a user would write instead — Math-Verify on the
text after ``</think>``, deduplicated per GRPO group, in a 2-process pool (no repetition
filter, no judge, no cache); the share of comparisons the service's fast path settled; and
the service's verdicts on the sampled responses against its previous behaviour (every
comparison in a worker: ``symbolic.fast_path`` off). The last line reads
``grpo: grpc <x>x http <y>x alternative <z>x (vs verl loop)``.

    python bench/grpo.py [--problems 256] [--rollouts 16] [--judge-latency-ms 200]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import random
import re
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx
from math_verify import parse, verify

from reward_service import RewardService, ScoreRequest, Settings, Verdict
from reward_service.client import AsyncRewardClient
from reward_service.settings import SymbolicSettings
from tests.judge_server import judge_server
from tests.serving import running_server

CORPUS = Path(__file__).resolve().parents[1] / "tests" / "data" / "corpus"
CHARS_PER_TOKEN = 4


def grpo_step(
    problems: int, rollouts: int, judge_share: float, seed: int = 0
) -> list[ScoreRequest]:
    rng = random.Random(seed)
    with (CORPUS / "auto_labelled_qwen_math_cot.jsonl").open() as f:
        rows = [json.loads(line) for line in f]
    paragraphs = [p for row in rows for p in row["response"].split("\n\n") if len(p) > 80]
    by_gold: dict[str, list[str]] = {}
    for row in rows:
        answers = by_gold.setdefault(row["gold"], [row["gold"]])
        if row["source_extracted_pred"] not in answers and len(answers) < 4:
            answers.append(row["source_extracted_pred"])
    groups = list(by_gold.items())
    batch = []
    for p in range(problems):
        judged = rng.random() < judge_share
        gold, answers = groups[p % len(groups)]
        if judged:  # a free-form gold: the judge decides
            gold = f"甲向东走{p}步，乙向北走{p + 1}步"
            answers = [gold, f"甲向西走{p}步", f"甲向东走{p + 2}步", "无法确定"]
        while len(answers) < 4 and not judged:
            answers = [*answers, str(rng.randint(1, 999))]
        for r in range(rollouts):
            target = rng.randint(2000, 8000) * CHARS_PER_TOKEN
            thinking: list[str] = []
            while sum(map(len, thinking)) < target:
                thinking.append(rng.choice(paragraphs))
            answer = rng.choice(answers)
            final = answer if judged else f"$\\boxed{{{answer}}}$"
            batch.append(
                ScoreRequest(
                    id=f"{p}-{r}",
                    response="<think>"
                    + "\n\n".join(thinking)
                    + f"</think>\nThe final answer is {final}.",
                    gold=gold,
                    problem=f"Problem {p}",
                )
            )
    return batch


def baseline(sample: list[ScoreRequest]) -> tuple[float, list[bool]]:
    """verl-style: Math-Verify on every response, one after another, in this process."""
    logging.getLogger("math_verify").setLevel(logging.CRITICAL)
    started = time.perf_counter()
    verdicts = [bool(verify(parse(str(r.gold)), parse(r.response))) for r in sample]
    return (time.perf_counter() - started) / len(sample), verdicts


def _user_group(job: tuple[str, list[str]]) -> list[bool]:
    gold, answers = job
    logging.getLogger("math_verify").setLevel(logging.CRITICAL)
    parsed = parse(gold)
    return [bool(verify(parsed, parse(answer))) for answer in answers]


def alternative(batch: list[ScoreRequest], rollouts: int) -> float:
    """The smart user's loop: Math-Verify on the text after ``</think>``, each distinct text of
    a GRPO group once, groups spread over a warm 2-process pool. Seconds for the step."""
    with ProcessPoolExecutor(2, mp_context=get_context("forkserver")) as pool:
        list(pool.map(_user_group, [("1", ["1"])] * 4))  # workers up, as in a training loop
        started = time.perf_counter()
        jobs, groups = [], []
        for start in range(0, len(batch), rollouts):
            tails = [r.response.rsplit("</think>", 1)[-1] for r in batch[start : start + rollouts]]
            distinct = list(dict.fromkeys(tails))
            groups.append([distinct.index(t) for t in tails])
            jobs.append((str(batch[start].gold), distinct))
        results = pool.map(_user_group, jobs, chunksize=4)
        verdicts = [[found[i] for i in group] for found, group in zip(results, groups, strict=True)]
        elapsed = time.perf_counter() - started
    assert sum(map(len, verdicts)) == len(batch)
    return elapsed


async def previous(sample: list[ScoreRequest]) -> list[Verdict | None]:
    """The sample's verdicts with every comparison in a worker (the fast path off)."""
    settings = Settings(symbolic=SymbolicSettings(fast_path=False))
    service = RewardService(settings)
    try:
        return [r.verdict for r in await service.score_batch(sample)]
    finally:
        await service.aclose()


_COMPARISONS = re.compile(r'^reward_comparisons_total\{path="(\w+)"\} (\S+)$', re.MULTILINE)


def comparisons(http_url: str) -> dict[str, float]:
    """Distinct comparisons so far by where they were decided, from ``/metrics``."""
    text = httpx.get(http_url + "/metrics").text
    return {path: float(count) for path, count in _COMPARISONS.findall(text)}


async def through(url: str, batch: list[ScoreRequest]) -> tuple[float, float, list[Verdict | None]]:
    # the client's defaults, as a trainer would use it: a long list goes in concurrent chunks
    # of ``batch_size`` (1024), so encoding, transfer and scoring overlap
    async with AsyncRewardClient(url, timeout_s=1800) as client:
        started = time.perf_counter()
        cold = await client.score_batch(batch)
        cold_s = time.perf_counter() - started
        started = time.perf_counter()
        await client.score_batch(batch)
        warm_s = time.perf_counter() - started
    return cold_s, warm_s, [r.verdict for r in cold]


def step_arguments(description: str) -> argparse.ArgumentParser:
    """A parser with the GRPO step's shape: problems, rollouts, judge share and latency."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--problems", type=int, default=256)
    parser.add_argument("--rollouts", type=int, default=16)
    parser.add_argument("--judge-share", type=float, default=0.4)
    parser.add_argument("--judge-latency-ms", type=float, default=200)
    return parser


def main() -> int:
    parser = step_arguments(__doc__.split("\n")[0])
    parser.add_argument("--baseline-sample", type=int, default=400)
    args = parser.parse_args()
    batch = grpo_step(args.problems, args.rollouts, args.judge_share)
    symbolic = [i for i, r in enumerate(batch) if not str(r.gold).startswith("甲")]
    sample = random.Random(1).sample(symbolic, min(args.baseline_sample, len(symbolic)))
    per_response, base_verdicts = baseline([batch[i] for i in sample])
    n = len(batch)
    distinct_judged = len(
        {
            (r.problem, r.response.rsplit("</think>", 1)[1])
            for r in batch
            if str(r.gold).startswith("甲")
        }
    )
    figures = {}
    with judge_server() as (judge_url, script):
        script.delay_s = args.judge_latency_ms / 1000
        for transport in ("http", "grpc"):
            script.requests.clear()
            settings = {
                "judge__url": judge_url,
                "max_batch_size": str(n),
                "max_in_flight": str(2 * n),
                "symbolic__workers": str(os.cpu_count()),
            }
            with tempfile.TemporaryDirectory() as tmp, running_server(Path(tmp), **settings) as srv:
                url = srv.http_url if transport == "http" else srv.grpc_url
                cold_s, warm_s, verdicts = asyncio.run(through(url, batch))
                compared = comparisons(srv.http_url)
            figures[transport] = (cold_s, warm_s, verdicts, len(script.requests))
    alternative_s = alternative(batch, args.rollouts)
    before = asyncio.run(previous([batch[i] for i in sample]))
    agree = sum(
        (figures["grpc"][2][i] is Verdict.CORRECT) == base_verdicts[k] for k, i in enumerate(sample)
    )
    same = sum(figures["grpc"][2][i] == before[k] for k, i in enumerate(sample))
    print(
        f"GRPO step: {args.problems} × {args.rollouts} = {n} responses, "
        f"{sum(len(r.response) for r in batch) / n / CHARS_PER_TOKEN:.0f} tokens on average, "
        f"{n - len(symbolic)} judge-routed (judge latency {args.judge_latency_ms:.0f} ms)"
    )
    print(
        f"baseline (Math-Verify per response, one process, {len(sample)}-response sample): "
        f"{per_response * 1e3:.1f} ms/response → {per_response * n:.0f} s for the step"
    )
    print("| path | cold s | cold ms/response | × baseline (cold) | warm s | warm × cold |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, (cold_s, warm_s, _, _) in figures.items():
        print(
            f"| {name} | {cold_s:.1f} | {cold_s / n * 1e3:.2f} | "
            f"{per_response * n / cold_s:.1f}× | {warm_s:.2f} | {cold_s / warm_s:.0f}× |"
        )
    print(
        f"| alternative (Math-Verify after </think>, dedup per group, 2 processes) | "
        f"{alternative_s:.1f} | {alternative_s / n * 1e3:.2f} | "
        f"{per_response * n / alternative_s:.1f}× | | |"
    )
    print(f"symbolic verdicts agreeing with the baseline on the sample: {agree}/{len(sample)}")
    print(
        f"verdicts agreeing with the previous behaviour (fast path off) on the sample: "
        f"{same}/{len(sample)}"
    )
    fast, worker = compared.get("fast", 0), compared.get("worker", 0)
    print(
        f"distinct comparisons (grpc, cold): {fast + worker:.0f}, settled by the fast path "
        f"{fast:.0f} ({fast / max(1, fast + worker):.1%}), by the workers {worker:.0f}"
    )
    for name, (*_, calls) in figures.items():
        print(
            f"judge calls ({name}, cold + warm): {calls} for {n - len(symbolic)} judge-routed "
            f"responses, {distinct_judged} distinct (problem, answer) pairs; "
            f"{calls / n:.3f} per response"
        )
    ratios = {name: per_response * n / cold_s for name, (cold_s, *_) in figures.items()}
    print(
        f"grpo: grpc {ratios['grpc']:.1f}x http {ratios['http']:.1f}x "
        f"alternative {per_response * n / alternative_s:.1f}x (vs verl loop)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
