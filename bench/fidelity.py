"""Fidelity benchmark: our pipeline vs plain Math-Verify on labelled answer-checking cases.

Runs every corpus file (default: ``../shared/corpus/*.jsonl`` beside the checkout, else the
copy in ``tests/data/corpus``; or the paths given) through the service pipeline and, in the
same run, through plain Math-Verify (``verify(parse(gold), parse(response))`` with its
defaults). Prints accuracy, false positives
(a wrong answer rewarded) and false negatives per file and per kind for both.

The label is ``audit_expected`` where the corpus has a reviewed verdict, else ``expected``.
Our prediction is "rewarded as correct": filtered or unscorable rows count as not rewarded, so
they can only cost accuracy, never hide a false positive. Corpus rows are answer-checking cases,
not R1 outputs, so they are sent with the ``plain`` template.

    python bench/fidelity.py                # every shipped corpus file
    python bench/fidelity.py FILE.jsonl ...  # given files
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from math_verify import parse, verify

from reward_service import (
    RewardService,
    ScoreRequest,
    ScoreResult,
    Settings,
    Status,
    Template,
    Verdict,
)
from reward_service.jsonl import parse_request_line

_ROOT = Path(__file__).resolve().parents[1]
# The shared corpus beside the checkout when present, else the copy vendored for the tests.
DEFAULT_CORPUS = next(
    (
        p
        for p in (_ROOT.parent / "shared" / "corpus", _ROOT / "tests" / "data" / "corpus")
        if p.is_dir()
    ),
    _ROOT / "tests" / "data" / "corpus",
)


@dataclass
class Tally:
    n: int = 0
    right: int = 0
    fp: int = 0
    fn: int = 0
    not_scored: int = 0
    extra: Counter[str] = field(default_factory=Counter)

    def add(self, predicted: bool, expected: bool) -> None:
        self.n += 1
        self.right += predicted == expected
        self.fp += predicted and not expected
        self.fn += expected and not predicted

    @property
    def accuracy(self) -> float:
        return self.right / self.n if self.n else 0.0


def load(path: Path) -> list[dict[str, object]]:
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def expected_label(row: dict[str, object]) -> bool:
    return bool(row.get("audit_expected", row["expected"]))


def baseline(rows: list[dict[str, object]]) -> list[bool]:
    logging.getLogger("math_verify").setLevel(logging.CRITICAL)
    return [bool(verify(parse(str(r["gold"])), parse(str(r["response"])))) for r in rows]


async def ours(rows: list[dict[str, object]], route: str) -> list[tuple[bool, str, str]]:
    service = RewardService(Settings())
    try:
        # The offline CLI's own line parser, so a malformed row fails here as it would there.
        parsed = [
            parse_request_line(
                json.dumps(
                    {
                        "id": r["id"],
                        "response": r["response"],
                        "gold": r["gold"],
                        "problem": r.get("question"),
                        "template": Template.PLAIN,
                        "route": route,
                    }
                ).encode(),
                number,
            )
            for number, r in enumerate(rows, start=1)
        ]
        requests = [p for p in parsed if isinstance(p, ScoreRequest)]
        scored = iter(await service.score_batch(requests))
        results = [p if isinstance(p, ScoreResult) else next(scored) for p in parsed]
    finally:
        service.close()
    return [(res.verdict is Verdict.CORRECT, res.status.value, res.reason.value) for res in results]


def table(title: str, tallies: dict[str, tuple[Tally, Tally]]) -> str:
    lines = [
        f"### {title}",
        "",
        "| set | n | Math-Verify acc | MV FP | MV FN | ours acc | ours FP | ours FN "
        "| ours not scored |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, (mv, us) in tallies.items():
        lines.append(
            f"| {name} | {mv.n} | {mv.accuracy:.3f} | {mv.fp} | {mv.fn} | {us.accuracy:.3f} "
            f"| {us.fp} | {us.fn} | {us.not_scored} |"
        )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("paths", nargs="*", type=Path)
    parser.add_argument("--route", default="auto", choices=["auto", "symbolic", "judge"])
    parser.add_argument(
        "--show-errors", action="store_true", help="list our false positives and false negatives"
    )
    args = parser.parse_args()
    paths = args.paths or sorted(DEFAULT_CORPUS.glob("*.jsonl"))
    if not paths:
        print(f"no corpus files found (looked in {DEFAULT_CORPUS})", file=sys.stderr)
        return 2
    per_file: dict[str, tuple[Tally, Tally]] = {}
    per_kind: dict[str, tuple[Tally, Tally]] = defaultdict(lambda: (Tally(), Tally()))
    totals = (Tally(), Tally())
    for path in paths:
        rows = load(path)
        t0 = time.perf_counter()
        mv = baseline(rows)
        t1 = time.perf_counter()
        us = asyncio.run(ours(rows, args.route))
        t2 = time.perf_counter()
        print(f"{path.name}: Math-Verify {t1 - t0:.1f}s, ours {t2 - t1:.1f}s", file=sys.stderr)
        file_tally = (Tally(), Tally())
        for row, mv_pred, (our_pred, status, reason) in zip(rows, mv, us, strict=True):
            exp = expected_label(row)
            for tally_mv, tally_us in (file_tally, per_kind[str(row["kind"])], totals):
                tally_mv.add(mv_pred, exp)
                tally_us.add(our_pred, exp)
                tally_us.not_scored += status != Status.SCORED
            if args.show_errors and our_pred != exp:
                kind = "FP" if our_pred else "FN"
                print(
                    f"{kind} {row['id']} [{status}/{reason}] gold={str(row['gold'])[:80]!r} "
                    f"resp={str(row['response'])[-120:]!r}",
                    file=sys.stderr,
                )
        per_file[path.name] = file_tally
    per_file["all"] = totals
    print(table(f"Per file (route={args.route})", per_file))
    print()
    print(table("Per kind", dict(sorted(per_kind.items()))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
