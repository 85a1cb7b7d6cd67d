"""Repetition filter: CPU per 20 KB response against the former filter, measured in the same
run, and scaling from 1 K to 1 M characters (linear means about 2x per doubling).

The baseline is the filter as it was before the unit-run rule and ISA-L (zlib level 6, a
sync flush per 2,048-byte chunk, the same tiers), kept below. The healthy text is the corpus's
real reasoning (one Qwen2.5-Math response after another, each from a different problem);
verdicts of both filters are compared on every corpus response and on the loop and healthy
shapes of ``tests/pipeline/test_repetition.py``.

    python bench/repetition.py
"""

from __future__ import annotations

import json
import math
import statistics
import sys
import time
import zlib
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from reward_service.pipeline.repetition import is_repetitive
from reward_service.settings import RepetitionSettings
from tests.pipeline.test_repetition import DILUTED_LOOPS, HEALTHY_SHAPES, LOOPS

CORPUS = Path(__file__).resolve().parents[1] / "tests" / "data" / "corpus"
SIZES = [1_000 * 2**k for k in range(11)]  # 1 K … 1 M
Filter = Callable[[str, RepetitionSettings], bool]


def former_is_repetitive(text: str, settings: RepetitionSettings) -> bool:
    """The baseline: the compression tiers alone, on zlib level 6."""
    shortest = min(tier.min_run_bytes for tier in settings.tiers)
    if len(text) * 4 < shortest:
        return False
    data = text.encode("utf-8", errors="replace")
    chunk = settings.chunk_bytes
    limits = [tier.novelty * chunk for tier in settings.tiers]
    best = [0] * len(limits)
    runs = [0] * len(limits)
    compressor = zlib.compressobj(6, zlib.DEFLATED, -15)
    view = memoryview(data)
    for start in range(0, len(data) - chunk + 1, chunk):
        cost = len(compressor.compress(view[start : start + chunk]))
        cost += len(compressor.flush(zlib.Z_SYNC_FLUSH))
        for i, limit in enumerate(limits):
            if cost < limit:
                runs[i] += chunk
                best[i] = max(best[i], runs[i])
            else:
                runs[i] = 0
    return any(run >= tier.min_run_bytes for run, tier in zip(best, settings.tiers, strict=True))


def corpus_responses() -> list[str]:
    return [
        json.loads(line)["response"]
        for path in sorted(CORPUS.glob("*.jsonl"))
        for line in path.open(encoding="utf-8")
        if line.strip()
    ]


def healthy_text() -> str:
    """Real reasoning, consecutive responses from different problems (the Qwen file holds
    eight samples per problem, so they are taken by sample index)."""
    with (CORPUS / "auto_labelled_qwen_math_cot.jsonl").open() as f:
        responses = [json.loads(line)["response"] for line in f]
    return "\n\n".join(responses[j] for k in range(8) for j in range(k, len(responses), 8))


def cpu_seconds(filters: list[Filter], text: str, settings: RepetitionSettings, repeats: int):
    """Median CPU time of each filter on ``text``, the filters interleaved so that they share
    the machine's load."""
    samples: list[list[int]] = [[] for _ in filters]
    for _ in range(repeats):
        for i, check in enumerate(filters):
            started = time.process_time_ns()
            check(text, settings)
            samples[i].append(time.process_time_ns() - started)
    return [statistics.median(s) / 1e9 for s in samples]


def _slope(points: list[tuple[float, float]]) -> float:
    """Least-squares slope of log2(time) against log2(length)."""
    mean_x = statistics.fmean(x for x, _ in points)
    mean_y = statistics.fmean(y for _, y in points)
    return sum((x - mean_x) * (y - mean_y) for x, y in points) / sum(
        (x - mean_x) ** 2 for x, _ in points
    )


def agreement(settings: RepetitionSettings) -> None:
    tables: list[tuple[str, list[str]]] = [
        ("corpus responses", corpus_responses()),
        ("loop shapes", list(LOOPS.values())),
        ("healthy shapes", list(HEALTHY_SHAPES.values())),
        ("short loops in healthy text", list(DILUTED_LOOPS.values())),
    ]
    for name, texts in tables:
        former = [former_is_repetitive(t, settings) for t in texts]
        new = [is_repetitive(t, settings) for t in texts]
        same = sum(a == b for a, b in zip(former, new, strict=True))
        print(
            f"{name}: {len(texts)}, same verdict {same}, flagged by the former filter "
            f"{sum(former)}, by the new one {sum(new)}"
        )


def main() -> int:
    settings = RepetitionSettings()
    healthy = healthy_text()
    filters: list[Filter] = [former_is_repetitive, is_repetitive]
    agreement(settings)

    twenty_kb = healthy.encode()[:20_000].decode(errors="ignore")
    former, new = cpu_seconds(filters, twenty_kb, settings, 400)
    print(
        f"per 20 KB response (median CPU, 400 interleaved runs): former {former * 1e3:.3f} ms, "
        f"new {new * 1e3:.3f} ms, ratio {former / new:.2f}x (goal: new <= 0.25 ms)"
    )

    loop = "Let me double-check this calculation once more. " * 30_000
    print("\n| characters | former ms | new ms | ratio | new loop ms | new × previous size |")
    print("|---:|---:|---:|---:|---:|---:|")
    points: dict[str, list[tuple[float, float]]] = {"former": [], "new": []}
    previous = None
    for size in SIZES:
        repeats = 41 if size <= 64_000 else 7
        text = (healthy * (size // len(healthy) + 1))[:size]
        t_former, t_new = cpu_seconds(filters, text, settings, repeats)
        (t_loop,) = cpu_seconds([is_repetitive], loop[:size], settings, repeats)
        growth = t_new / previous if previous else float("nan")
        # Below 64 K the cost per byte still grows as DEFLATE's 32 KB window fills.
        if size >= 64_000:
            points["former"].append((math.log2(size), math.log2(t_former)))
            points["new"].append((math.log2(size), math.log2(t_new)))
        print(
            f"| {size:,} | {t_former * 1e3:.3f} | {t_new * 1e3:.3f} | {t_former / t_new:.2f} "
            f"| {t_loop * 1e3:.3f} | {growth:.2f} |"
        )
        previous = t_new
    for name, fitted in points.items():
        exponent = _slope(fitted)
        print(
            f"{name}: time ∝ length^{exponent:.2f} from 64 K to 1 M, "
            f"{2**exponent:.2f}× per doubling (linear: ≈ 2)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
