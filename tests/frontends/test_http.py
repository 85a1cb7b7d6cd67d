"""The HTTP door of a real server on loopback: every endpoint, errors, limits, auth,
backpressure, deadlines and graceful shutdown."""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.serving import TOKEN, Server, running_server

# holds a worker to its deadline: the magnitude screen cannot size a difference
BOMB = "<think>x</think>\\boxed{10^{10^{10}-1}}"
GOOD = "<think>2+2</think>\\boxed{4}"


def post(server: Server, path: str, body: Any, **headers: str) -> httpx.Response:
    return httpx.post(server.http_url + path, json=body, headers=headers, timeout=60)


@pytest.fixture(scope="module")
def strict(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """Auth on and tight limits."""
    with running_server(
        tmp_path_factory.mktemp("strict"),
        auth_token=TOKEN,
        max_batch_size="4",
        max_in_flight="4",
        max_body_bytes="65536",
    ) as running:
        yield running


AUTH = {"Authorization": f"Bearer {TOKEN}"}


def test_score(server: Server) -> None:
    reply = post(server, "/v1/score", {"id": "a", "response": GOOD, "gold": "4"})
    assert reply.status_code == 200
    body = reply.json()
    assert (body["id"], body["status"], body["verdict"], body["reward"]) == (
        "a",
        "scored",
        "correct",
        1.0,
    )


def test_batch_answers_every_item_in_order(server: Server) -> None:
    items = [
        {"id": 1, "response": GOOD, "gold": "4"},
        {"id": 2, "gold": "4"},
        {"id": 3, "response": "<think>x</think>\\boxed{5}", "gold": "4"},
        "not an object",
    ]
    reply = post(server, "/v1/score/batch", {"requests": items})
    assert reply.status_code == 200
    results = reply.json()["results"]
    assert [r["id"] for r in results] == [1, 2, 3, None]
    assert [r["reason"] for r in results] == [
        "answer.equivalent",
        "invalid_request",
        "answer.not_equivalent",
        "invalid_request",
    ]
    assert results[1]["detail"].startswith("requests[1]: ")
    assert results[1]["reward"] is None


def test_openrlhf_endpoint(server: Server) -> None:
    body = {
        "query": ["Q1 <think>x</think>\\boxed{4}", "Q2 no format", "Q3 <think>x</think>东"],
        "prompts": ["Q1 <think>", "Q2", "Q3 <think>"],
        "labels": ["4", "4", "向东走三步"],
    }
    reply = post(server, "/get_reward", body).json()
    assert reply["rewards"] == [1.0, -1.0, -1.0]  # masked: trainer_unscorable_reward
    assert reply["scores"] == [1.0, 0.0, 0.0]
    assert reply["extra_logs"] == {
        "unscorable": [0.0, 0.0, 1.0],
        "masked": [0.0, 0.0, 1.0],
        "response_fault": [0.0, 0.0, 0.0],
        "filtered": [0.0, 1.0, 0.0],
        "correct": [1.0, 0.0, 0.0],
        "service_error": [0.0, 0.0, 0.0],
    }
    assert len(reply["rewards"]) == len(body["query"])


def test_openrlhf_lengths_must_match(server: Server) -> None:
    reply = post(server, "/get_reward", {"query": ["a"], "prompts": [], "labels": []})
    assert reply.status_code == 400
    assert reply.json()["error"]["code"] == "invalid_request"


def test_slime_endpoints(server: Server) -> None:
    body = {"prompt": "Solve. <think>", "response": "x</think>\\boxed{4}", "label": "4"}
    assert post(server, "/slime/reward", body).json() == 1.0
    details = post(server, "/slime/reward_details", body).json()
    assert details == {
        "score": 1.0,
        "status": "scored",
        "verdict": "correct",
        "reason": "answer.equivalent",
        "unscorable": 0.0,
        "acc": 1.0,
        "blame": "",
        "masked": 0.0,
    }


def test_health_readiness_metrics_and_docs(server: Server) -> None:
    assert httpx.get(server.http_url + "/healthz").json() == {"status": "ok"}
    assert httpx.get(server.http_url + "/readyz").status_code == 200
    post(server, "/v1/score", {"response": GOOD, "gold": "4"})
    metrics = httpx.get(server.http_url + "/metrics").text
    for name in [
        "reward_request_seconds_bucket",
        "reward_stage_seconds_bucket",
        'reward_results_total{reason="answer.equivalent",status="scored"}',
        "reward_routes_total",
        "reward_cache_lookups_total",
        "reward_in_flight",
        "reward_verifier_worker_restarts_total",
    ]:
        assert name in metrics, name
    schema = httpx.get(server.http_url + "/openapi.json").json()
    assert {"/v1/score", "/v1/score/batch", "/get_reward"} <= set(schema["paths"])
    batch_body = schema["paths"]["/v1/score/batch"]["post"]["requestBody"]
    batch_schema = batch_body["content"]["application/json"]["schema"]
    assert batch_schema["required"] == ["requests"]
    assert batch_schema["properties"]["requests"]["items"] == {
        "$ref": "#/components/schemas/ScoreRequest"
    }


def test_malformed_bodies_get_the_error_shape(server: Server) -> None:
    for path in ("/v1/score", "/v1/score/batch"):
        for body in (b"{not json", b'{"requests": [}', b"", b'{"requests": []} trailing'):
            reply = httpx.post(
                server.http_url + path,
                content=body,
                headers={"content-type": "application/json"},
            )
            assert reply.status_code == 400, (path, body)
            assert reply.json()["error"]["code"] == "invalid_request"
    reply = post(server, "/v1/score/batch", {"requests": [], "timeout_s": -1})
    assert reply.status_code == 400
    assert "timeout_s" in reply.json()["error"]["message"]
    reply = post(server, "/v1/score", {"response": GOOD, "gold": 4, "typo": True})
    assert reply.status_code == 400


def test_deadline_bounds_server_work(server: Server) -> None:
    started = time.monotonic()
    reply = post(
        server,
        "/v1/score/batch",
        {
            "requests": [
                # a power no other test sent: not quarantined by an earlier worker deadline
                {"id": "bomb", "response": "<think>a</think>\\boxed{10^{10^{10}-2}}", "gold": "1"},
                {"id": "ok", "response": GOOD, "gold": "4"},
            ]
        },
        **{"X-Request-Timeout": "0.5"},
    )
    elapsed = time.monotonic() - started
    results = {r["id"]: r for r in reply.json()["results"]}
    assert (results["bomb"]["status"], results["bomb"]["reason"]) == ("unscorable", "timeout")
    assert results["bomb"]["reward"] is None  # the call's deadline: not the response's fault
    assert results["bomb"]["blame"] == "infrastructure"
    assert results["ok"]["verdict"] == "correct"
    assert elapsed < 2.5  # the task deadline is 3 s: the call's own deadline cut it short
    assert httpx.get(server.http_url + "/readyz").status_code == 200


def test_auth(strict: Server) -> None:
    body = {"response": GOOD, "gold": "4"}
    assert post(strict, "/v1/score", body).status_code == 401
    assert post(strict, "/v1/score", body, Authorization="Bearer wrong").status_code == 401
    assert (
        post(strict, "/get_reward", {"query": [], "prompts": [], "labels": []}).status_code == 401
    )
    assert post(strict, "/v1/score", body, **AUTH).status_code == 200
    assert httpx.get(strict.http_url + "/healthz").status_code == 200
    assert httpx.get(strict.http_url + "/readyz").status_code == 200
    assert httpx.get(strict.http_url + "/metrics").status_code == 200


def test_limits(strict: Server) -> None:
    five = [{"response": GOOD, "gold": "4"}] * 5
    reply = post(strict, "/v1/score/batch", {"requests": five}, **AUTH)
    assert reply.status_code == 413
    assert reply.json()["error"]["code"] == "batch_too_large"
    huge = {"response": GOOD + "x" * 100_000, "gold": "4"}
    reply = post(strict, "/v1/score", huge, **AUTH)
    assert reply.status_code == 413
    assert reply.json()["error"]["code"] == "body_too_large"


def test_backpressure(strict: Server) -> None:
    slow = {"requests": [{"response": BOMB, "gold": "1"}] * 4}
    first: dict[str, Any] = {}
    worker = threading.Thread(
        target=lambda: first.update(reply=post(strict, "/v1/score/batch", slow, **AUTH))
    )
    worker.start()
    time.sleep(0.5)
    refused = post(strict, "/v1/score", {"response": GOOD, "gold": "4"}, **AUTH)
    worker.join()
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "overloaded"
    assert refused.headers["Retry-After"] == "1"
    assert first["reply"].status_code == 200
    assert post(strict, "/v1/score", {"response": GOOD, "gold": "4"}, **AUTH).status_code == 200


def test_graceful_shutdown_drains_in_flight_work(tmp_path: Path) -> None:
    with running_server(tmp_path, drain_timeout_s="20") as server:
        slow = {
            "requests": [
                {"id": "bomb", "response": BOMB, "gold": "1"},
                {"id": "ok", "response": GOOD, "gold": "4"},
            ]
        }
        first: dict[str, Any] = {}
        worker = threading.Thread(
            target=lambda: first.update(reply=post(server, "/v1/score/batch", slow))
        )
        worker.start()
        time.sleep(0.7)
        server.process.send_signal(signal.SIGTERM)
        worker.join(timeout=30)
        assert server.process.wait(timeout=30) == 0
        reply = first["reply"]
        assert reply.status_code == 200
        results = reply.json()["results"]
        assert [r["id"] for r in results] == ["bomb", "ok"]
        assert results[0]["reason"] == "timeout" and results[1]["verdict"] == "correct"
        with pytest.raises(httpx.TransportError):
            httpx.get(server.http_url + "/healthz", timeout=2)


def test_numeric_labels_on_every_door(server: Server) -> None:
    good = "<think>x</think>\\boxed{4}"
    reply = post(
        server,
        "/get_reward",
        {"query": ["Q" + good] * 3, "prompts": ["Q"] * 3, "labels": [4, 4.0, True]},
    ).json()
    assert reply["rewards"][:2] == [1.0, 1.0]
    assert reply["extra_logs"]["masked"] == [0.0, 0.0, 1.0]  # a boolean fails its sample only
    slime = {"prompt": "Q", "response": good, "label": 4}
    assert post(server, "/slime/reward", slime).json() == 1.0
    result = post(server, "/v1/score", {"response": good, "gold": [3, 4]}).json()
    assert result["verdict"] == "correct"
    refused = post(server, "/v1/score", {"response": good, "gold": False})
    assert refused.status_code == 400
    assert "boolean" in refused.json()["error"]["message"]
