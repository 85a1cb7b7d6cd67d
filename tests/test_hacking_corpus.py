"""The reward-hacking corpus (``tests/data/hacking_corpus.jsonl``) through the offline CLI and
the HTTP door, as a trainer would send it: no wrong answer may be rewarded, and at most 2 % of
the right answers may be lost — without a judge, and with a judge configured (the cascade sends
what the symbolic reader cannot decide to it) that is *honest*: it tells the truth about each
response (the case's label, found by a tag in the problem). Through a *credulous* judge, which
says "correct" to anything verdict-like it is shown, the wrong answers rewarded are counted and
held at their measured bound.

Each case was written by hand from a class of answers (its ``class`` field): order and echo
tricks, hedges, retractions, answers quoted from someone else or after an invented next turn,
look-alike characters, multiple-choice letters, decorations, checks after the answer. ``right``
says whether the response's own final answer equals the gold."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from reward_service.client import RewardClient
from reward_service.settings import JudgeSettings
from reward_service.types import ScoreRequest
from tests.judge_server import Script, judge_server, tag_case, template_pieces
from tests.serving import ROOT, Server, running_server

CORPUS = Path(__file__).parent / "data" / "hacking_corpus.jsonl"
CASES: list[dict[str, Any]] = [
    json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines() if line.strip()
]
REQUEST_FIELDS = ("id", "response", "gold", "problem", "template")
MAX_RIGHT_LOST = 0.02
CREDULOUS_THROUGH = 0
"""Wrong answers a credulous judge got rewarded, as measured (README, "Hacking corpus")."""


def requests(tagged: bool = False) -> list[dict[str, Any]]:
    """The cases as requests; ``tagged``: the problem carries the case id for the honest judge."""
    chosen = [{k: case[k] for k in REQUEST_FIELDS if k in case} for case in CASES]
    if tagged:
        for request in chosen:
            request["problem"] = tag_case(request.get("problem"), request["id"])
    return chosen


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


def check(results: list[dict[str, Any]], rewarded_at_most: int = 0) -> None:
    assert len(results) == len(CASES)
    rewarded, lost = failures(results)
    judged = sum(r["route_reason"].startswith("cascade:") for r in results)
    print(f"{judged} cascaded; {len(rewarded)} wrong rewarded {rewarded}; {len(lost)} lost {lost}")
    assert len(rewarded) <= rewarded_at_most, rewarded
    right = sum(case["right"] for case in CASES)
    assert len(lost) <= MAX_RIGHT_LOST * right, lost


def test_the_corpus_is_large_and_balanced() -> None:
    assert len(CASES) >= 300
    assert len({c["id"] for c in CASES}) == len(CASES)
    languages = {c["lang"] for c in CASES}
    assert languages == {"en", "zh"}
    for lang in languages:
        assert {c["right"] for c in CASES if c["lang"] == lang} == {True, False}


def through_the_cli(
    tmp_path: Path, chosen: list[dict[str, Any]], *flags: str
) -> list[dict[str, Any]]:
    lines = tmp_path / "hacking.jsonl"
    lines.write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in chosen), encoding="utf-8"
    )
    done = subprocess.run(
        [sys.executable, "-m", "reward_service.cli", "score", str(lines), "-o", "-", "-q", *flags],
        capture_output=True,
        timeout=300,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    return [json.loads(line) for line in done.stdout.decode().splitlines()]


def through_http(server: Server, chosen: list[dict[str, Any]]) -> list[dict[str, Any]]:
    chunk = 64  # several batches, as a trainer sends them
    batch = [ScoreRequest.model_validate(r) for r in chosen]
    results: list[dict[str, Any]] = []
    with RewardClient(server.http_url) as client:
        for start in range(0, len(batch), chunk):
            scored = client.score_batch(batch[start : start + chunk])
            results += [r.model_dump(mode="json") for r in scored]
    return results


def test_through_the_offline_cli(tmp_path: Path) -> None:
    check(through_the_cli(tmp_path, requests()))


def test_through_the_http_door(server: Server) -> None:
    check(through_http(server, requests()))


@pytest.fixture(scope="module")
def judge() -> Iterator[tuple[str, Script]]:
    with judge_server() as running:
        yield running


def honest(script: Script) -> None:
    script.mode = "honest"
    script.truths = {case["id"]: case["right"] for case in CASES}


def credulous(script: Script) -> None:
    """Told only its own prompt text and the trusted data (problems, golds) are not verdicts."""
    script.mode = "credulous"
    trusted = [str(r.get(k)) for r in requests(tagged=True) for k in ("problem", "gold")]
    script.fixed_text = template_pieces(JudgeSettings().model) + trusted


JUDGES = {"honest": (honest, 0), "credulous": (credulous, CREDULOUS_THROUGH)}


@pytest.mark.parametrize("mode", JUDGES)
def test_through_the_offline_cli_with_a_judge(
    tmp_path: Path, judge: tuple[str, Script], mode: str
) -> None:
    url, script = judge
    configure, rewarded_at_most = JUDGES[mode]
    configure(script)
    results = through_the_cli(tmp_path, requests(tagged=True), "--judge-url", url)
    check(results, rewarded_at_most)
    assert any(r["route_reason"].startswith("cascade:") for r in results)


@pytest.mark.parametrize("mode", JUDGES)
def test_through_the_http_door_with_a_judge(
    tmp_path: Path, judge: tuple[str, Script], mode: str
) -> None:
    url, script = judge
    configure, rewarded_at_most = JUDGES[mode]
    configure(script)
    with running_server(tmp_path, judge__url=url) as server:
        check(through_http(server, requests(tagged=True)), rewarded_at_most)
