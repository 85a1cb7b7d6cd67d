"""Judge agreement: run a labelled corpus file through the judge path of the offline CLI and
compare the verdicts with the labels (``audit_expected`` where reviewed, else ``expected``).

    python bench/judge_agreement.py --judge-url http://127.0.0.1:8080/v1 \\
        --judge-model smollm2-llamacpp [FILE]      # default: the GAOKAO fill-in-the-blank file

Every row must come back scored or unscorable with a reason; the agreement figure counts
unscorable rows as not rewarded. Prints counts by status/reason, agreement and false positives.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = ROOT / "tests" / "data" / "corpus" / "auto_labelled_gaokao_fill_blank.jsonl"


def requests_from(path: Path) -> tuple[list[dict[str, object]], list[bool]]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("path", nargs="?", type=Path, default=DEFAULT)
    parser.add_argument("--judge-url", required=True)
    parser.add_argument("--judge-model", required=True)
    args = parser.parse_args()
    requests, labels = requests_from(args.path)
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "in.jsonl"
        source.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in requests))
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
                "--judge-url",
                args.judge_url,
                "--judge-model",
                args.judge_model,
            ],
            capture_output=True,
            check=True,
            cwd=ROOT,
        )
    results = [json.loads(line) for line in done.stdout.splitlines()]
    if len(results) != len(requests):
        raise SystemExit(f"{len(results)} results for {len(requests)} requests")
    outcomes = Counter((r["status"], r["reason"]) for r in results)
    rewarded = [r["verdict"] == "correct" for r in results]
    agree = sum(p == e for p, e in zip(rewarded, labels, strict=True))
    false_positives = sum(p and not e for p, e in zip(rewarded, labels, strict=True))
    print(f"{args.path.name} via {args.judge_model}: {len(results)} rows")
    for (status, reason), n in outcomes.most_common():
        print(f"  {n:5d}  {status:<10} {reason}")
    print(
        f"agreement with labels: {agree}/{len(results)} = {agree / len(results):.3f}; "
        f"false positives: {false_positives}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
