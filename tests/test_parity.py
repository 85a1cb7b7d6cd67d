"""One set of requests through gRPC, HTTP, the OpenRLHF endpoint and the offline CLI: the
results must be identical."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx

from reward_service.client import RewardClient
from reward_service.types import ScoreRequest
from tests.serving import ROOT, Server

REQUESTS: list[dict[str, Any]] = [
    {"id": "correct", "response": "<think>a</think>So $\\boxed{\\dfrac{1}{2}}$.", "gold": "0.5"},
    {"id": "wrong", "response": "<think>a</think>\\boxed{3}", "gold": "4"},
    {"id": "prompted", "response": "a</think>故答案为：７", "gold": "7", "think_in_prompt": True},
    {"id": "filtered", "response": "no tags \\boxed{4}", "gold": "4"},
    {
        "id": "loop",
        "response": "<think>" + "Let me check again. " * 400 + "</think>\\boxed{4}",
        "gold": "4",
    },
    {"id": "hedge", "response": "<think>a</think>\\boxed{3} or \\boxed{4}", "gold": "4"},
    {"id": "list", "response": "<think>a</think>\\boxed{1}, \\boxed{2}", "gold": "\\{1,2\\}"},
    {"id": "alts", "response": "<think>a</think>\\boxed{2}", "gold": ["two", "2"]},
    {
        "id": "parts",
        "response": "<think>a</think>答案：3；5",
        "gold": {"parts": ["3", ["5", "6"]]},
        "route": "symbolic",
    },
    {"id": "judge", "response": "<think>a</think>向东", "gold": "向东走三步"},
    {"id": "bad-gold", "response": "<think>a</think>\\boxed{1}", "gold": "\\frac{"},
    {"id": "plain", "response": "The final answer is $12$.", "gold": "12", "template": "plain"},
]
# What may differ between two runs: timing and whether the cache had it already.
VOLATILE = {"elapsed_ms", "cached"}


def comparable(result: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in result.items() if k not in VOLATILE}


def test_grpc_http_openrlhf_and_cli_agree(server: Server, tmp_path: Path) -> None:
    requests = [ScoreRequest.model_validate(r) for r in REQUESTS]
    with RewardClient(server.grpc_url) as client:
        over_grpc = [r.model_dump(mode="json") for r in client.score_batch(requests)]
    with RewardClient(server.http_url) as client:
        over_http = [r.model_dump(mode="json") for r in client.score_batch(requests)]
    lines = tmp_path / "in.jsonl"
    lines.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in REQUESTS))
    done = subprocess.run(
        [sys.executable, "-m", "reward_service.cli", "score", str(lines), "-o", "-", "-q"],
        capture_output=True,
        timeout=120,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr.decode()
    offline = [json.loads(line) for line in done.stdout.splitlines()]

    assert [comparable(r) for r in over_grpc] == [comparable(r) for r in over_http]
    assert [comparable(r) for r in over_http] == [comparable(r) for r in offline]
    assert {r["status"] for r in offline} == {"scored", "filtered", "unscorable"}

    # OpenRLHF sends prompt + response and gets rewards only (masked → trainer_unscorable_reward)
    single_part = [
        r for r in REQUESTS if not isinstance(r["gold"], dict) and r.get("template", "r1") == "r1"
    ]
    prompts = ["<think>" if r.get("think_in_prompt") else "Q: " for r in single_part]
    reply = httpx.post(
        server.http_url + "/get_reward",
        json={
            "query": [p + r["response"] for p, r in zip(prompts, single_part, strict=True)],
            "prompts": prompts,
            "labels": [r["gold"] for r in single_part],
        },
        timeout=60,
    ).json()
    by_id = {r["id"]: r for r in offline}
    expected = [by_id[r["id"]]["reward"] for r in single_part]
    assert reply["rewards"] == [-1.0 if e is None else e for e in expected]
    assert reply["extra_logs"]["unscorable"] == [float(e is None) for e in expected]
