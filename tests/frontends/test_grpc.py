"""The gRPC door of a real server on loopback: every rpc, health, reflection, auth, limits,
backpressure and deadlines."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from reward_service.frontends.grpc_gen.reward.v1 import reward_pb2 as pb
from reward_service.frontends.grpc_gen.reward.v1 import reward_pb2_grpc
from tests.serving import TOKEN, Server, running_server

# holds a worker to its deadline: the magnitude screen cannot size a difference
BOMB = "<think>x</think>\\boxed{10^{10^{10}-1}}"
GOOD = "<think>2+2</think>\\boxed{4}"
AUTH = (("authorization", f"Bearer {TOKEN}"),)


def request(id_: str, response: str = GOOD, gold: str = "4") -> pb.ScoreRequest:
    return pb.ScoreRequest(id=id_, response=response, gold=pb.Gold(answer=gold))


@pytest.fixture(scope="module")
def channel(server: Server) -> Iterator[grpc.Channel]:
    with grpc.insecure_channel(server.grpc_target) as ch:
        yield ch


@pytest.fixture(scope="module")
def strict(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with running_server(
        tmp_path_factory.mktemp("strict-grpc"),
        auth_token=TOKEN,
        max_batch_size="4",
        max_in_flight="4",
    ) as running:
        yield running


def test_score_and_batch(channel: grpc.Channel) -> None:
    stub = reward_pb2_grpc.RewardServiceStub(channel)
    one = stub.Score(request("a"))
    assert (one.id, one.status, one.verdict, one.reward) == (
        "a",
        pb.STATUS_SCORED,
        pb.VERDICT_CORRECT,
        1.0,
    )
    assert one.provenance.verifier_versions["math-verify"]
    batch = stub.ScoreBatch(
        pb.ScoreBatchRequest(
            requests=[
                request("1"),
                pb.ScoreRequest(id="2", response=GOOD),
                request("3", gold="5"),
                pb.ScoreRequest(
                    id="4",
                    response=GOOD,
                    gold=pb.Gold(
                        parts=pb.Parts(
                            parts=[pb.Alternatives(answers=["4"]), pb.Alternatives(answers=["5"])]
                        )
                    ),
                    route=pb.ROUTE_HINT_SYMBOLIC,
                ),
            ]
        )
    )
    assert [r.id for r in batch.results] == ["1", "2", "3", "4"]
    assert [r.reason for r in batch.results] == [
        "answer.equivalent",
        "invalid_request",
        "answer.not_equivalent",
        "answer.parts_mismatch",
    ]
    assert not batch.results[1].HasField("reward")
    assert batch.results[1].status == pb.STATUS_UNSCORABLE


def test_stream_answers_each_request_in_order(channel: grpc.Channel) -> None:
    stub = reward_pb2_grpc.RewardServiceStub(channel)
    answers = ["4", "5", "\\frac{8}{2}", "four"]
    requests = [request(str(i), f"<think>x</think>\\boxed{{{answers[i % 4]}}}") for i in range(200)]
    results = list(stub.ScoreStream(iter(requests)))
    assert [r.id for r in results] == [str(i) for i in range(200)]
    assert [r.verdict for r in results[:4]] == [
        pb.VERDICT_CORRECT,
        pb.VERDICT_INCORRECT,
        pb.VERDICT_CORRECT,
        pb.VERDICT_INCORRECT,
    ]


def test_health_and_reflection(channel: grpc.Channel) -> None:
    health = health_pb2_grpc.HealthStub(channel)
    reply = health.Check(health_pb2.HealthCheckRequest(service="reward.v1.RewardService"))
    assert reply.status == health_pb2.HealthCheckResponse.SERVING
    stub = reflection_pb2_grpc.ServerReflectionStub(channel)
    answers = list(
        stub.ServerReflectionInfo(iter([reflection_pb2.ServerReflectionRequest(list_services="")]))
    )
    names = {s.name for s in answers[0].list_services_response.service}
    assert "reward.v1.RewardService" in names
    assert "grpc.health.v1.Health" in names


def test_deadline_gives_unscorable_timeout_not_an_error(channel: grpc.Channel) -> None:
    stub = reward_pb2_grpc.RewardServiceStub(channel)
    started = time.monotonic()
    reply = stub.ScoreBatch(
        pb.ScoreBatchRequest(requests=[request("bomb", BOMB, "1"), request("ok")]), timeout=1.0
    )
    assert time.monotonic() - started < 1.0
    assert [r.reason for r in reply.results] == ["timeout", "answer.equivalent"]


def test_auth(strict: Server) -> None:
    with grpc.insecure_channel(strict.grpc_target) as ch:
        stub = reward_pb2_grpc.RewardServiceStub(ch)
        for call in (
            lambda md: stub.Score(request("a"), metadata=md),
            lambda md: list(stub.ScoreStream(iter([request("a")]), metadata=md)),
        ):
            with pytest.raises(grpc.RpcError) as denied:
                call((("authorization", "Bearer wrong"),))
            assert denied.value.code() == grpc.StatusCode.UNAUTHENTICATED
        assert stub.Score(request("a"), metadata=AUTH).verdict == pb.VERDICT_CORRECT
        health = health_pb2_grpc.HealthStub(ch)
        assert (
            health.Check(health_pb2.HealthCheckRequest(service="reward.v1.RewardService")).status
            == health_pb2.HealthCheckResponse.SERVING
        )


def test_limits_and_backpressure(strict: Server) -> None:
    with grpc.insecure_channel(strict.grpc_target) as ch:
        stub = reward_pb2_grpc.RewardServiceStub(ch)
        with pytest.raises(grpc.RpcError) as too_big:
            stub.ScoreBatch(pb.ScoreBatchRequest(requests=[request("x")] * 5), metadata=AUTH)
        assert too_big.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        first: dict[str, Any] = {}
        worker = threading.Thread(
            target=lambda: first.update(
                reply=stub.ScoreBatch(
                    pb.ScoreBatchRequest(requests=[request("b", BOMB, "1")] * 4), metadata=AUTH
                )
            )
        )
        worker.start()
        time.sleep(0.5)
        with pytest.raises(grpc.RpcError) as busy:
            stub.Score(request("a"), metadata=AUTH)
        worker.join()
        assert busy.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        assert [r.reason for r in first["reply"].results] == ["timeout"] * 4


GARBAGE = b"\xff\xff\xff\xff\x0f"  # a field key that runs off the end: not a protobuf message


@pytest.mark.parametrize("method", ["Score", "ScoreBatch"])
def test_malformed_protobuf_is_invalid_argument(channel: grpc.Channel, method: str) -> None:
    raw = channel.unary_unary(f"/reward.v1.RewardService/{method}")
    with pytest.raises(grpc.RpcError) as refused:
        raw(GARBAGE, timeout=10)
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "malformed protobuf" in (refused.value.details() or "")
    stub = reward_pb2_grpc.RewardServiceStub(channel)
    assert stub.Score(request("next"), timeout=10).reason == "answer.equivalent"


def test_a_malformed_stream_message_answers_those_before_it(channel: grpc.Channel) -> None:
    raw = channel.stream_stream(
        "/reward.v1.RewardService/ScoreStream", response_deserializer=pb.ScoreResult.FromString
    )
    sent = iter(
        [request("before").SerializeToString(), GARBAGE, request("after").SerializeToString()]
    )
    call = raw(sent, timeout=10)
    got = []
    with pytest.raises(grpc.RpcError) as refused:
        got.extend(call)
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert [r.id for r in got] == ["before"]
    stub = reward_pb2_grpc.RewardServiceStub(channel)
    assert [r.id for r in stub.ScoreStream(iter([request("next")]), timeout=10)] == ["next"]
