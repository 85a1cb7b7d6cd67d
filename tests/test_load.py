"""The short version of the bounded load test (bench/load.py): twice the GRPO benchmark's cold
throughput, offered for a fixed time, mixing cache hits, new symbolic work, judge-routed
requests and bad inputs (LaTeX bombs included)."""

import pytest

from bench.load import run


@pytest.mark.timeout(180)
def test_load_at_twice_the_grpo_throughput() -> None:
    figures = run(seconds=8, rate=1600, batch=64)
    print(
        f"\nload: sent {figures['sent']}, answered {figures['answered']}, refused "
        f"{figures['refused']}, p50 {figures['p50_ms']:.0f} ms, p99 {figures['p99_ms']:.0f} ms,"
        f" RSS {figures['rss_before_mb']:.0f} → {figures['rss_after_mb']:.0f} MB"
    )
    assert figures["errors"] == []
    assert figures["answered"] + figures["refused"] == figures["sent"]
    assert figures["answered"] > 0
    assert figures["rss_after_mb"] < figures["rss_before_mb"] * 1.25
