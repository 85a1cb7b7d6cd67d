"""What the symbolic-then-judge cascade would cost and recover, per corpus file: a counting pass.

Every row of each corpus file (default: ``tests/data/corpus/*.jsonl``; or the paths given) is
scored by the service pipeline with a judge configured at an address where nothing listens, so
no judge is needed: a row the cascade sends to the judge comes back with ``route_reason``
``cascade:<reason>`` (and ``judge_unavailable``). Per file it prints n, the rows that cascade
(judge calls per 1000 responses, before any cache), how many of those are labelled correct
(the upper bound of what a perfect judge recovers: none of them is rewarded without the
cascade), the rows the judge gets anyway by their gold's shape, and the cascade reasons.

Rows are sent like ``bench/fidelity.py`` sends them (``plain`` template, the row's question as
the problem); the label is ``audit_expected`` where present, else ``expected``.

    python bench/cascade.py                 # every file in tests/data/corpus
    python bench/cascade.py FILE.jsonl ...  # given files
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.fidelity import expected_label, load
from reward_service import RewardService, ScoreRequest, ScoreResult, Settings, Template
from reward_service.jsonl import parse_request_line
from reward_service.settings import JudgeSettings
from reward_service.types import Route
from tests.serving import free_port

CORPUS = Path(__file__).resolve().parents[1] / "tests" / "data" / "corpus"
CASCADE = "cascade:"


async def score(rows: list[dict[str, object]]) -> list[ScoreResult]:
    """The rows scored with the cascade on and a judge that is not there."""
    judge = JudgeSettings(url=f"http://127.0.0.1:{free_port()}/v1", retries=0, timeout_s=1)
    service = RewardService(Settings(judge=judge, cache_size=0))
    # the offline CLI's own line parser: a malformed row is its result (invalid_request)
    parsed = [
        parse_request_line(
            json.dumps(
                {
                    "id": r["id"],
                    "response": r["response"],
                    "gold": r["gold"],
                    "problem": r.get("question"),
                    "template": Template.PLAIN,
                }
            ).encode(),
            number,
        )
        for number, r in enumerate(rows, start=1)
    ]
    try:
        scored = iter(await service.score_batch([p for p in parsed if isinstance(p, ScoreRequest)]))
    finally:
        await service.aclose()
    return [p if isinstance(p, ScoreResult) else next(scored) for p in parsed]


def report(path: Path, rows: list[dict[str, object]], results: list[ScoreResult]) -> str:
    cascaded = [
        (row, r)
        for row, r in zip(rows, results, strict=True)
        if r.route_reason and r.route_reason.startswith(CASCADE)
    ]
    recoverable = sum(expected_label(row) for row, _ in cascaded)
    by_shape = sum(
        r.route is Route.JUDGE and not (r.route_reason or "").startswith(CASCADE) for r in results
    )
    reasons = Counter((r.route_reason or "")[len(CASCADE) :] for _, r in cascaded)
    n = len(rows)
    per_1000 = 1000 * len(cascaded) / n if n else 0.0
    listed = ", ".join(f"{reason} {count}" for reason, count in reasons.most_common())
    return (
        f"| {path.name} | {n} | {len(cascaded)} | {per_1000:.0f} | {recoverable} | "
        f"{by_shape} | {listed or '-'} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", type=Path)
    args = parser.parse_args()
    logging.getLogger("reward_service").setLevel(logging.ERROR)
    files = args.files or sorted(CORPUS.glob("*.jsonl"))
    print(
        "| file | n | cascade | judge calls / 1000 | of those labelled correct "
        "| judge-routed by gold shape | cascade reasons |"
    )
    print("|---|---|---|---|---|---|---|")
    for path in files:
        rows = load(path)
        print(report(path, rows, asyncio.run(score(rows))), flush=True)


if __name__ == "__main__":
    main()
