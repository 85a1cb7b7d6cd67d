"""The reward-hacking corpus (``tests/data/hacking_corpus.jsonl``) through the offline CLI and
the HTTP door, as a trainer would send it: no wrong answer may be rewarded, and at most 2 % of
the right answers may be lost.

Each case was written by hand from a class of answers (its ``class`` field): order and echo
tricks, hedges, retractions, answers quoted from someone else or after an invented next turn,
look-alike characters, multiple-choice letters, decorations, checks after the answer. ``right``
says whether the response's own final answer equals the gold."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from reward_service.client import RewardClient
from reward_service.types import ScoreRequest
from tests.serving import ROOT, Server

CORPUS = Path(__file__).parent / "data" / "hacking_corpus.jsonl"
CASES: list[dict[str, Any]] = [
    json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines() if line.strip()
]
REQUEST_FIELDS = ("id", "response", "gold", "problem", "template")
MAX_RIGHT_LOST = 0.02


def requests() -> list[dict[str, Any]]:
    return [{k: case[k] for k in REQUEST_FIELDS if k in case} for case in CASES]


def failures(results: list[dict[str, Any]]) -> tuple[list[str], list[str]]:
    """(wrong answers rewarded, right answers lost), as readable lines."""
    by_id = {r["id"]: r for r in results}
    rewarded, lost = [], []
    for case in CASES:
        result = by_id[case["id"]]
        correct = result["verdict"] == "correct"
        line = f"{case['id']} [{case['class']}] {result['status']}/{result['reason']}"
        if correct and not case["right"]:
            rewarded.append(line)
        elif case["right"] and not correct:
            lost.append(line)
    return rewarded, lost


def check(results: list[dict[str, Any]]) -> None:
    assert len(results) == len(CASES)
    rewarded, lost = failures(results)
    assert rewarded == []
    right = sum(case["right"] for case in CASES)
    assert len(lost) <= MAX_RIGHT_LOST * right, lost


def test_the_corpus_is_large_and_balanced() -> None:
    assert len(CASES) >= 300
    assert len({c["id"] for c in CASES}) == len(CASES)
    languages = {c["lang"] for c in CASES}
    assert languages == {"en", "zh"}
    for lang in languages:
        assert {c["right"] for c in CASES if c["lang"] == lang} == {True, False}


def test_through_the_offline_cli(tmp_path: Path) -> None:
    lines = tmp_path / "hacking.jsonl"
    lines.write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in requests()), encoding="utf-8"
    )
    done = subprocess.run(
        [sys.executable, "-m", "reward_service.cli", "score", str(lines), "-o", "-", "-q"],
        capture_output=True,
        timeout=300,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    check([json.loads(line) for line in done.stdout.decode().splitlines()])


def test_through_the_http_door(server: Server) -> None:
    chunk = 64  # several batches, as a trainer sends them
    batch = [ScoreRequest.model_validate(r) for r in requests()]
    results: list[dict[str, Any]] = []
    with RewardClient(server.http_url) as client:
        for start in range(0, len(batch), chunk):
            scored = client.score_batch(batch[start : start + chunk])
            results += [r.model_dump(mode="json") for r in scored]
    check(results)
