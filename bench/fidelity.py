"""Fidelity benchmark: our pipeline vs plain Math-Verify on labelled answer-checking cases.

Runs every corpus file (default: ``../shared/corpus/*.jsonl`` beside the checkout, else the
copy in ``tests/data/corpus``; or the paths given) through the service pipeline and, in the
same run, through plain Math-Verify (``verify(parse(gold), parse(response))`` with its
defaults) in two modes: ``raw`` (the gold as written) and ``boxed`` (the gold wrapped in
``\boxed{}``, which makes Math-Verify read a bare gold as a final answer). Prints n, accuracy,
false positives (a wrong answer rewarded), false negatives and unscorable rows per file and per
part, and per kind, for all three.

Parts: every row belongs to the ``dev`` part or the ``held`` (held-back) part by a pure function
of its ``id`` alone (:func:`part_of`: the first 8 bytes of the SHA-256 of the UTF-8 id, as a
big-endian integer, modulo 100; below 30 is held back). So about 30 % of every file is held
back, the same rows on every machine and in every run, whatever the file's order or size.
Development and tests use only the ``dev`` part (``--part dev``); the held-back part is looked
at only when measuring, and a rule that helps ``dev`` and not ``held`` is fitted, not general.

The label is ``audit_expected`` where the corpus has a reviewed verdict, else ``expected``.
Our prediction is "rewarded as correct": filtered or unscorable rows count as not rewarded, so
they can only cost accuracy, never hide a false positive. Corpus rows are answer-checking cases,
not R1 outputs, so they are sent with the ``plain`` template.

    python bench/fidelity.py                 # every shipped corpus file, both parts
    python bench/fidelity.py --part dev      # the development part only
    python bench/fidelity.py FILE.jsonl ...  # given files
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
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


HELD_BACK_PERCENT = 30
PARTS = ("dev", "held")


def part_of(row_id: str) -> str:
    """The part a corpus row belongs to, ``dev`` or ``held``, from its id alone (see above)."""
    digest = hashlib.sha256(row_id.encode("utf-8")).digest()
    return "held" if int.from_bytes(digest[:8], "big") % 100 < HELD_BACK_PERCENT else "dev"


@dataclass
class Tally:
    n: int = 0
    right: int = 0
    fp: int = 0
    fn: int = 0
    not_scored: int = 0
    extra: Counter[str] = field(default_factory=Counter)

    def add(self, predicted: bool, expected: bool, *, scored: bool = True) -> None:
        self.n += 1
        self.right += predicted == expected
        self.fp += predicted and not expected
        self.fn += expected and not predicted
        self.not_scored += not scored

    @property
    def accuracy(self) -> float:
        return self.right / self.n if self.n else 0.0


def load(path: Path) -> list[dict[str, object]]:
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def expected_label(row: dict[str, object]) -> bool:
    return bool(row.get("audit_expected", row["expected"]))


def baseline(rows: list[dict[str, object]], *, boxed: bool = False) -> list[bool]:
    """Plain Math-Verify's verdicts, with the gold as written or wrapped in ``\\boxed{}``."""
    return [pred for pred, _ in baseline_detailed(rows, boxed=boxed)]


def baseline_detailed(
    rows: list[dict[str, object]], *, boxed: bool = False
) -> list[tuple[bool, bool]]:
    """(rewarded, scored) per row; not scored: Math-Verify read no answer from gold or response."""
    logging.getLogger("math_verify").setLevel(logging.CRITICAL)
    out = []
    for r in rows:
        gold = parse(f"\\boxed{{{r['gold']}}}" if boxed else str(r["gold"]))
        answer = parse(str(r["response"]))
        out.append((bool(gold and answer and verify(gold, answer)), bool(gold and answer)))
    return out


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


CHECKERS = ("ours", "MV raw", "MV boxed")


def table(title: str, tallies: dict[str, tuple[Tally, ...]]) -> str:
    head = " | ".join(f"{c} acc | {c} FP | {c} FN | {c} unsc" for c in CHECKERS)
    lines = [
        f"### {title}",
        "",
        f"| set | n | {head} |",
        "|---|---:|" + "---:|" * 4 * len(CHECKERS),
    ]
    for name, per_checker in tallies.items():
        cells = " | ".join(
            f"{t.accuracy:.3f} | {t.fp} | {t.fn} | {t.not_scored}" for t in per_checker
        )
        lines.append(f"| {name} | {per_checker[0].n} | {cells} |")
    return "\n".join(lines)


def _tallies() -> tuple[Tally, ...]:
    return tuple(Tally() for _ in CHECKERS)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("paths", nargs="*", type=Path)
    parser.add_argument("--route", default="auto", choices=["auto", "symbolic", "judge"])
    parser.add_argument(
        "--part", default="both", choices=["both", *PARTS], help="which part of each file to run"
    )
    parser.add_argument(
        "--show-errors", action="store_true", help="list our false positives and false negatives"
    )
    args = parser.parse_args()
    paths = args.paths or sorted(DEFAULT_CORPUS.glob("*.jsonl"))
    if not paths:
        print(f"no corpus files found (looked in {DEFAULT_CORPUS})", file=sys.stderr)
        return 2
    parts = PARTS if args.part == "both" else (args.part,)
    per_file: dict[str, tuple[Tally, ...]] = {}
    per_kind: dict[str, tuple[Tally, ...]] = defaultdict(_tallies)
    totals = {p: _tallies() for p in parts}
    for path in paths:
        rows = [r for r in load(path) if part_of(str(r["id"])) in parts]
        t0 = time.perf_counter()
        raw = baseline_detailed(rows)
        boxed = baseline_detailed(rows, boxed=True)
        t1 = time.perf_counter()
        us = asyncio.run(ours(rows, args.route))
        t2 = time.perf_counter()
        print(f"{path.name}: Math-Verify {t1 - t0:.1f}s, ours {t2 - t1:.1f}s", file=sys.stderr)
        file_tallies = {p: _tallies() for p in parts}
        for row, raw_mv, boxed_mv, (our_pred, status, reason) in zip(
            rows, raw, boxed, us, strict=True
        ):
            exp = expected_label(row)
            row_part = part_of(str(row["id"]))
            verdicts = ((our_pred, status == Status.SCORED), raw_mv, boxed_mv)
            for group in (file_tallies[row_part], per_kind[str(row["kind"])], totals[row_part]):
                for tally, (pred, scored) in zip(group, verdicts, strict=True):
                    tally.add(pred, exp, scored=scored)
            if args.show_errors and our_pred != exp:
                kind = "FP" if our_pred else "FN"
                print(
                    f"{kind} {row['id']} [{status}/{reason}] gold={str(row['gold'])[:80]!r} "
                    f"resp={str(row['response'])[-120:]!r}",
                    file=sys.stderr,
                )
        for p in parts:
            per_file[f"{path.name} [{p}]"] = file_tallies[p]
    for p in parts:
        per_file[f"all [{p}]"] = totals[p]
    print(table(f"Per file and part (route={args.route})", per_file))
    print()
    print(table("Per kind (the parts run)", dict(sorted(per_kind.items()))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
