"""The bad-input corpus (tests/data/bad_inputs.jsonl) through the offline CLI, HTTP and gRPC:
every case is answered with its own id, unrewarded (filtered, unscorable or incorrect), within
its deadline; the server stays up; no payload ever runs (no file appears)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from reward_service.client import RewardClient
from reward_service.types import ScoreRequest
from tests.serving import ROOT, Server

CASES = [
    json.loads(line)
    for line in (ROOT / "tests" / "data" / "bad_inputs.jsonl").read_text().splitlines()
]
MARKER = "PWNED_FILE"


def build(case: dict[str, Any], target: Path) -> dict[str, Any]:
    if "response_parts" in case:
        response = "".join(p if isinstance(p, str) else p[0] * p[1] for p in case["response_parts"])
    else:
        response = case["response"]
    response = response.replace(MARKER, str(target))
    return {"id": case["id"], "response": response, "gold": case["gold"]}


def check(results: list[dict[str, Any]], target: Path) -> None:
    assert [r["id"] for r in results] == [c["id"] for c in CASES]
    for result in results:
        assert result["verdict"] != "correct", result["id"]
        assert result["reward"] != 1.0
        masked = result["status"] == "unscorable" and result["blame"] != "response"
        assert (result["reward"] is None) == masked
    assert not target.exists(), "a payload ran"


def test_through_the_offline_cli(tmp_path: Path) -> None:
    target = tmp_path / "pwned"
    source = tmp_path / "bad.jsonl"
    source.write_text("".join(json.dumps(build(c, target)) + "\n" for c in CASES))
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "reward_service.cli", "score", str(source), "-o", "-", "-q"],
        capture_output=True,
        timeout=300,
        cwd=ROOT,
        env={**os.environ, "REWARD_SERVICE_SYMBOLIC__TASK_TIMEOUT_S": "2"},
    )
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    check([json.loads(line) for line in done.stdout.splitlines()], target)
    assert time.monotonic() - started < 120


def test_through_http_and_grpc(server: Server, tmp_path: Path) -> None:
    target = tmp_path / "pwned"
    # ASCII-escaped JSON, so lone surrogates travel as "\udfff" escapes, as a client sends them
    body = json.dumps({"requests": [build(c, target) for c in CASES]})
    reply = httpx.post(
        server.http_url + "/v1/score/batch",
        content=body,
        headers={"content-type": "application/json"},
        timeout=120,
    )
    assert reply.status_code == 200
    check(reply.json()["results"], target)
    with RewardClient(server.grpc_url) as client:
        results = client.score_batch(
            [ScoreRequest.model_validate(r) for r in [build(c, target) for c in CASES]]
        )
    check([r.model_dump(mode="json") for r in results], target)
    assert httpx.get(server.http_url + "/healthz").status_code == 200
    ok = httpx.post(
        server.http_url + "/v1/score", json={"response": "<think>x</think>\\boxed{4}", "gold": "4"}
    ).json()
    assert ok["verdict"] == "correct"


def test_wrong_json_types_get_clear_errors(server: Server) -> None:
    items: list[Any] = [
        None,
        42,
        "text",
        [],
        {"response": 5, "gold": "1"},
        {"response": "x", "gold": {"parts": "not a list"}},
        {"response": "x", "gold": "1", "template": "unknown"},
    ]
    reply = httpx.post(server.http_url + "/v1/score/batch", json={"requests": items})
    assert reply.status_code == 200
    results = reply.json()["results"]
    assert len(results) == len(items)
    assert all(r["reason"] == "invalid_request" and r["detail"] for r in results)
    for body in ({"requests": "nope"}, [], {"requests": [{}] * 5000}):
        bad = httpx.post(server.http_url + "/v1/score/batch", json=body)
        assert bad.status_code in (400, 413) and "error" in bad.json()


def test_invalid_utf8_and_nul_bodies_over_http(server: Server) -> None:
    for body in (
        b'{"requests": [{"id": "a", "response": "\xff\xfe", "gold": "1"}]}',
        b'{"response": "\x00\xc3\x28", "gold": "1"}',
        b"\x00" * 100,
    ):
        for path in ("/v1/score/batch", "/v1/score"):
            reply = httpx.post(
                server.http_url + path, content=body, headers={"content-type": "application/json"}
            )
            assert reply.status_code == 400, (path, body[:20])
            assert reply.json()["error"]["code"] == "invalid_request"
    assert httpx.get(server.http_url + "/healthz").status_code == 200
