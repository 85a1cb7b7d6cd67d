"""Judge agreement per prompt variant: labelled files through the judge path of the offline CLI,
verdicts compared with the labels (``audit_expected`` where reviewed, else ``expected``).

    python -m tests.llama_server qwen2.5-coder --port 8080 &     # the CPU test judge
    python bench/judge_agreement.py --judge-url http://127.0.0.1:8080/v1 [--limit 25] [FILE ...]

Default files: the GAOKAO fill-in-the-blank corpus file and our free-form set
(``tests/data/judge_freeform.jsonl``: multi-part Chinese answers, text answers). Default
variants: every llama.cpp spec served as ``qwen2.5-coder`` — the built-in
``qwen2.5-coder-llamacpp`` and those in ``bench/judge_variants/`` (answer + process, the
former answer-only default, full solution, student-first order, a constrained single choice) —
plus the built-in one asked ``--samples`` times at ``sample_temperature``, abstaining
(``judge_disagreement``) unless all agree. A variant is ``NAME`` or ``NAME*K`` (K samples).

Per variant and file it prints rows, agreement (unscorable counts as not rewarded), false
positives (rewarded, label wrong), false negatives (not rewarded, label right), abstentions
and seconds per verdict (wall time of the run / rows; the server has one slot, so calls are
sequential — the CPU is shared, so treat it as indicative); then the same for the file's
development and held-back parts (``bench/fidelity.py``'s ``part_of``: prompts are worked on
development rows, so a variant that wins only there is fitted).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.fidelity import PARTS, part_of  # noqa: E402
from reward_service.verifiers.judge import available_specs  # noqa: E402

GAOKAO = ROOT / "tests" / "data" / "corpus" / "auto_labelled_gaokao_fill_blank.jsonl"
FREEFORM = ROOT / "tests" / "data" / "judge_freeform.jsonl"
VARIANTS = ROOT / "bench" / "judge_variants"
DEFAULT = "qwen2.5-coder-llamacpp"


def requests_from(path: Path, limit: int | None) -> tuple[list[dict[str, object]], list[bool]]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    rows = rows[:limit] if limit else rows
    requests = [
        {
            "id": r["id"],
            "response": r["response"],
            "gold": r["gold"],
            "problem": r.get("question"),
            "template": "plain",
            "route": "judge",
        }
        for r in rows
    ]
    labels = [bool(r.get("audit_expected", r["expected"])) for r in rows]
    return requests, labels


def run_variant(
    url: str, variant: str, requests: list[dict[str, object]], concurrency: int
) -> tuple[list[dict[str, object]], float]:
    name, _, samples = variant.partition("*")
    env = {k: v for k, v in os.environ.items() if not k.startswith("REWARD_SERVICE_")} | {
        "REWARD_SERVICE_JUDGE__SPECS_DIR": str(VARIANTS),
        "REWARD_SERVICE_JUDGE__SAMPLES": samples or "1",
        "REWARD_SERVICE_JUDGE__CONCURRENCY": str(concurrency),
        "REWARD_SERVICE_JUDGE__TIMEOUT_S": "3600",
        "REWARD_SERVICE_MAX_TIMEOUT_S": "86400",
    }
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "in.jsonl"
        source.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in requests))
        started = time.monotonic()
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "reward_service.cli",
                "score",
                str(source),
                "-o",
                "-",
                "-q",
                "--batch-size",  # one request per batch: each row gets the whole deadline
                "1",
                "--judge-url",
                url,
                "--judge-model",
                name,
            ],
            capture_output=True,
            check=True,
            cwd=ROOT,
            env=env,
        )
        seconds = time.monotonic() - started
    results = [json.loads(line) for line in done.stdout.splitlines()]
    if len(results) != len(requests):
        raise SystemExit(f"{variant}: {len(results)} results for {len(requests)} requests")
    return results, seconds


def line(
    variant: str, name: str, results: list[dict[str, object]], labels: list[bool], per: float
) -> str:
    """One row of the table: agreement, FP, FN, abstentions, s/verdict, unscorable reasons."""
    rewarded = [r["verdict"] == "correct" for r in results]
    pairs = list(zip(rewarded, labels, strict=True))
    agree = sum(p == e for p, e in pairs)
    false_pos = sum(p and not e for p, e in pairs)
    false_neg = sum(e and not p for p, e in pairs)
    reasons = Counter(str(r["reason"]) for r in results if r["status"] == "unscorable")
    return (
        f"{variant:<28} {name:<42} {len(results):>4} "
        f"{agree / max(1, len(results)):>6.3f} {false_pos:>3} {false_neg:>3} "
        f"{reasons['judge_disagreement']:>4} {per:>9.1f}"
        + (f"  unscorable: {dict(reasons)}" if reasons else "")
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("paths", nargs="*", type=Path, default=[GAOKAO, FREEFORM])
    parser.add_argument("--judge-url", required=True)
    parser.add_argument(
        "--variant", action="append", dest="variants", help="NAME or NAME*K; repeatable"
    )
    parser.add_argument("--samples", type=int, default=3)
    parser.add_argument("--limit", type=int, help="only the first N rows of each file")
    parser.add_argument("--concurrency", type=int, default=1)
    args = parser.parse_args()
    variants = args.variants or [
        DEFAULT,
        *sorted(
            name
            for name, spec in available_specs(VARIANTS).items()
            if spec.served_model == "qwen2.5-coder" and name != DEFAULT
        ),
        f"{DEFAULT}*{args.samples}",
    ]
    print(
        f"{'variant':<28} {'file':<42} {'rows':>4} {'agree':>6} {'FP':>3} {'FN':>3} "
        f"{'abst':>4} {'s/verdict':>9}"
    )
    for path in args.paths:
        requests, labels = requests_from(path, args.limit)
        for variant in variants:
            results, seconds = run_variant(args.judge_url, variant, requests, args.concurrency)
            if all(r.get("reason") == "judge_unavailable" for r in results):
                # a dead judge server scores nothing: no agreement figure to print
                raise SystemExit(f"{variant}: the judge was unavailable for every row")
            parts = [part_of(str(r["id"])) for r in requests]
            for part in ("all", *PARTS):
                chosen = [i for i, p in enumerate(parts) if part in ("all", p)]
                print(
                    line(
                        f"{variant}",
                        f"{path.name[:36]} [{part}]",
                        [results[i] for i in chosen],
                        [labels[i] for i in chosen],
                        seconds / len(results),
                    ),
                    flush=True,
                )
    return 0


if __name__ == "__main__":
    sys.exit(main())
