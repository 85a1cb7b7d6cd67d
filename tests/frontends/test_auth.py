"""Auth as deployments with remote-RM trainers need it: paths a trainer cannot send headers to
can be exempt while the rest stays guarded; the bearer scheme is case-insensitive."""

from __future__ import annotations

from collections.abc import Iterator

import grpc
import httpx
import pytest

from reward_service.frontends.grpc_gen.reward.v1 import reward_pb2 as pb
from reward_service.frontends.grpc_gen.reward.v1 import reward_pb2_grpc
from tests.serving import TOKEN, Server, running_server

ONE = {"response": "<think>a</think>\\boxed{4}", "gold": "4"}


@pytest.fixture(scope="module")
def exempt(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with running_server(
        tmp_path_factory.mktemp("exempt"),
        auth_token=TOKEN,
        auth_exempt_paths='["/get_reward", "/slime/reward"]',
    ) as running:
        yield running


def test_exempt_paths_need_no_token_and_the_rest_still_do(exempt: Server) -> None:
    openrlhf = {"query": ["Q" + ONE["response"]], "prompts": ["Q"], "labels": ["4"]}
    assert httpx.post(exempt.http_url + "/get_reward", json=openrlhf).json()["rewards"] == [1.0]
    slime = {"prompt": "Q", "response": ONE["response"], "label": "4"}
    assert httpx.post(exempt.http_url + "/slime/reward", json=slime).json() == 1.0
    for path, body in (("/v1/score", ONE), ("/slime/reward_details", slime)):
        reply = httpx.post(exempt.http_url + path, json=body)
        assert reply.status_code == 401, path
    with grpc.insecure_channel(exempt.grpc_target) as channel:
        stub = reward_pb2_grpc.RewardServiceStub(channel)
        request = pb.ScoreRequest(response=ONE["response"], gold=pb.Gold(answer="4"))
        with pytest.raises(grpc.RpcError) as refused:
            stub.Score(request, timeout=30)
        assert refused.value.code() is grpc.StatusCode.UNAUTHENTICATED


@pytest.mark.parametrize("scheme", ["Bearer", "bearer", "BEARER"])
def test_the_bearer_scheme_is_case_insensitive(exempt: Server, scheme: str) -> None:
    headers = {"Authorization": f"{scheme} {TOKEN}"}
    reply = httpx.post(exempt.http_url + "/v1/score", json=ONE, headers=headers)
    assert reply.json()["verdict"] == "correct"
    with grpc.insecure_channel(exempt.grpc_target) as channel:
        stub = reward_pb2_grpc.RewardServiceStub(channel)
        request = pb.ScoreRequest(response=ONE["response"], gold=pb.Gold(answer="4"))
        result = stub.Score(
            request, timeout=30, metadata=(("authorization", headers["Authorization"]),)
        )
        assert result.reason == "answer.equivalent"


def test_a_wrong_scheme_or_token_is_refused(exempt: Server) -> None:
    for value in (f"Basic {TOKEN}", f"Bearer {TOKEN}x", TOKEN, "Bearer"):
        reply = httpx.post(
            exempt.http_url + "/v1/score", json=ONE, headers={"Authorization": value}
        )
        assert reply.status_code == 401, value
