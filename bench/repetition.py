"""Repetition-filter scaling: time against response length from 1 K to 1 M characters, with
the slope per doubling (linear means ≤ 2.2× time per doubling) and the 100 K-character cost
(goal ≤ 5 ms). Healthy text (the corpus's real reasoning) and a degenerate loop are timed
in the same run; the loop is the baseline shape the filter exists to catch.

    python bench/repetition.py
"""

from __future__ import annotations

import json
import math
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from reward_service.pipeline.repetition import is_repetitive
from reward_service.settings import RepetitionSettings

CORPUS = Path(__file__).resolve().parents[1] / "tests" / "data" / "corpus"
SIZES = [1_000 * 2**k for k in range(11)]  # 1 K … 1 M


def healthy(n: int) -> str:
    with (CORPUS / "auto_labelled_qwen_math_cot.jsonl").open() as f:
        text = "\n\n".join(json.loads(line)["response"] for line in f)
    return (text * (n // len(text) + 1))[:n]


def timed(text: str, settings: RepetitionSettings, repeats: int) -> float:
    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        is_repetitive(text, settings)
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def _fit(points: list[tuple[float, float]]) -> float:
    """Least-squares slope of log2(time) against log2(length)."""
    mean_x = statistics.fmean(x for x, _ in points)
    mean_y = statistics.fmean(y for _, y in points)
    return sum((x - mean_x) * (y - mean_y) for x, y in points) / sum(
        (x - mean_x) ** 2 for x, _ in points
    )


def main() -> int:
    settings = RepetitionSettings()
    loop = "Let me double-check this calculation once more. " * 30_000
    print("| characters | healthy ms | loop ms | healthy × previous size |")
    print("|---:|---:|---:|---:|")
    previous = None
    points: list[tuple[float, float]] = []
    for size in SIZES:
        repeats = 50 if size <= 64_000 else 9
        text = healthy(size)
        t = timed(text, settings, repeats)
        t_loop = timed(loop[:size], settings, repeats)
        slope = t / previous if previous else float("nan")
        # Below 64 K the cost per byte still grows as DEFLATE's 32 KB window fills; from
        # there on every byte costs the same, which is what "linear" claims.
        if size >= 64_000:
            points.append((math.log2(size), math.log2(t)))
        print(f"| {size:,} | {t * 1e3:.3f} | {t_loop * 1e3:.3f} | {slope:.2f} |")
        previous = t
    at_100k = timed(healthy(100_000), settings, 21)
    exponent = _fit(points)
    print(
        f"time ∝ length^{exponent:.2f} from 64 K to 1 M: {2**exponent:.2f}× per doubling "
        f"(linear ≤ 2.2)"
    )
    print(f"100 K characters: {at_100k * 1e3:.2f} ms (goal ≤ 5 ms)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
