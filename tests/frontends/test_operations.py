"""What an operator relies on: a port a stale server holds is not shared, a bad deadline is
refused, the process exports its own metrics and build info."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.serving import Server, running_server


def test_a_second_server_cannot_share_the_grpc_port(server: Server, tmp_path: Path) -> None:
    port = server.grpc_target.rsplit(":", 1)[1]
    with (
        pytest.raises(RuntimeError, match="server exited"),
        running_server(tmp_path, grpc_port=port),
    ):
        pass
    reply = httpx.post(
        server.http_url + "/v1/score", json={"response": "<think>a</think>4", "gold": "4"}
    )
    assert reply.status_code == 200  # the first server is unharmed


@pytest.mark.parametrize("value", ["nan", "inf", "-1", "0", "soon"])
def test_a_deadline_that_is_not_a_positive_number_is_refused(server: Server, value: str) -> None:
    reply = httpx.post(
        server.http_url + "/v1/score",
        json={"response": "<think>a</think>4", "gold": "4"},
        headers={"X-Request-Timeout": value},
    )
    assert reply.status_code == 400
    assert reply.json()["error"]["code"] == "invalid_request"


def test_process_and_build_metrics(server: Server) -> None:
    text = httpx.get(server.http_url + "/metrics").text
    assert "process_resident_memory_bytes" in text
    assert "process_cpu_seconds_total" in text
    assert "reward_build_info{" in text and 'math_verify="' in text
    assert "reward_format_filtered_share" in text


def test_trainer_doors_score_non_reasoning_models(tmp_path: Path) -> None:
    """OpenRLHF's and slime's protocols carry no template: the server's trainer_template does."""
    with running_server(tmp_path, trainer_template="plain") as plain:
        reply = httpx.post(
            plain.http_url + "/get_reward",
            json={"query": ["Q The answer is $4$."], "prompts": ["Q"], "labels": [4]},
            timeout=60,
        ).json()
        assert reply["rewards"] == [1.0]
        slime = {"prompt": "Q", "response": "So \\boxed{4}.", "label": "4"}
        assert httpx.post(plain.http_url + "/slime/reward", json=slime, timeout=60).json() == 1.0
