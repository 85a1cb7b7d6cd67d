"""Shutdown through the real doors: SIGTERM while calls run past ``drain_timeout_s`` answers
every call with what was decided (the rest ``unscorable/shutdown``, masked) and the process
exits cleanly; a stream opened before SIGTERM is not cut while the drain lasts."""

from __future__ import annotations

import asyncio
import queue
import signal
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import grpc
import httpx

from reward_service import Blame, ScoreRequest, Status
from reward_service.frontends.grpc_gen.reward.v1 import reward_pb2 as pb
from reward_service.frontends.grpc_gen.reward.v1 import reward_pb2_grpc
from reward_service.service import RewardService
from tests.conftest import make_settings
from tests.judge_server import judge_server
from tests.serving import Server, running_server

# holds a worker to its deadline (30 s here): the magnitude screen cannot size a difference
BOMB = "<think>x</think>\\boxed{10^{10^{10}-1}}"
GOOD = "<think>2+2</think>\\boxed{4}"
SLOW_WORKER = {"symbolic__task_timeout_s": "30", "symbolic__quarantine_s": "0"}


def _in_thread(call: Callable[[], Any]) -> Callable[[], Any]:
    """Start ``call`` in a thread; the returned function waits for its result (or raises)."""
    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["value"] = call()
        except BaseException as error:  # handed to the waiting test
            box["error"] = error

    thread = threading.Thread(target=run)
    thread.start()

    def wait() -> Any:
        thread.join(timeout=60)
        if "error" in box:
            raise box["error"]
        return box["value"]

    return wait


def _wait_in_flight(server: Server, count: int) -> None:
    """Until the server has at least ``count`` responses in flight."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        for line in httpx.get(server.http_url + "/metrics", timeout=5).text.splitlines():
            if line.startswith("reward_in_flight ") and float(line.split()[1]) >= count:
                return
        time.sleep(0.1)
    raise AssertionError(f"fewer than {count} responses in flight")


def _post(server: Server, path: str, body: Any) -> httpx.Response:
    return httpx.post(server.http_url + path, json=body, timeout=60)


def _assert_shutdown(result: dict[str, Any]) -> None:
    assert (result["status"], result["reason"], result["blame"]) == (
        "unscorable",
        "shutdown",
        "infrastructure",
    )
    assert result["reward"] is None


def test_drain_timeout_answers_every_call_on_every_door(tmp_path: Path) -> None:
    with (
        judge_server() as (judge_url, script),
        running_server(
            tmp_path, drain_timeout_s="2", judge__url=judge_url, **SLOW_WORKER
        ) as server,
    ):
        script.delay_s = 60
        judged = {"response": "<think>x</think>\\boxed{a proof}", "gold": "a proof"}
        judged |= {"problem": "Prove it.", "route": "judge"}
        channel = grpc.insecure_channel(server.grpc_target)
        stub = reward_pb2_grpc.RewardServiceStub(channel)
        stream_open = threading.Event()

        def stream_messages() -> Iterator[pb.ScoreRequest]:
            yield pb.ScoreRequest(id="s-good", response=GOOD, gold=pb.Gold(answer="4"))
            yield pb.ScoreRequest(id="s-bomb", response=BOMB, gold=pb.Gold(answer="1"))
            stream_open.wait(60)  # the client has more to send: the stream stays open

        def stream() -> tuple[list[pb.ScoreResult], grpc.StatusCode]:
            got: list[pb.ScoreResult] = []
            try:
                got.extend(stub.ScoreStream(stream_messages(), timeout=60))
            except grpc.RpcError as error:
                return got, error.code()
            return got, grpc.StatusCode.OK

        calls = {
            "score": _in_thread(
                lambda: _post(server, "/v1/score", {"response": BOMB, "gold": "1"})
            ),
            "batch": _in_thread(
                lambda: _post(
                    server,
                    "/v1/score/batch",
                    {
                        "requests": [
                            {"id": "bomb", "response": BOMB, "gold": "1"},
                            {"id": "good", "response": GOOD, "gold": "4"},
                            {"id": "judged", **judged},
                        ]
                    },
                )
            ),
            "openrlhf": _in_thread(
                lambda: _post(
                    server,
                    "/get_reward",
                    {
                        "query": ["Q" + BOMB, "Q" + GOOD],
                        "prompts": ["Q", "Q"],
                        "labels": ["1", "4"],
                    },
                )
            ),
            "slime": _in_thread(
                lambda: _post(
                    server, "/slime/reward_details", {"prompt": "Q", "response": BOMB, "label": "1"}
                )
            ),
            "slime_bare": _in_thread(
                lambda: _post(
                    server, "/slime/reward", {"prompt": "Q", "response": BOMB, "label": "1"}
                )
            ),
            "grpc_score": _in_thread(
                lambda: stub.Score(
                    pb.ScoreRequest(response=BOMB, gold=pb.Gold(answer="1")), timeout=60
                )
            ),
            "grpc_batch": _in_thread(
                lambda: stub.ScoreBatch(
                    pb.ScoreBatchRequest(
                        requests=[
                            pb.ScoreRequest(id="bomb", response=BOMB, gold=pb.Gold(answer="1")),
                            pb.ScoreRequest(id="good", response=GOOD, gold=pb.Gold(answer="4")),
                        ]
                    ),
                    timeout=60,
                )
            ),
            "grpc_stream": _in_thread(stream),
        }
        _wait_in_flight(server, 10)
        time.sleep(0.5)  # the stream's second message is read too
        signalled = time.monotonic()
        server.process.send_signal(signal.SIGTERM)
        replies = {name: wait() for name, wait in calls.items()}
        answered_after = time.monotonic() - signalled
        assert server.process.wait(timeout=30) == 0
        stream_open.set()
        channel.close()

    assert 1.5 < answered_after < 10  # at the drain timeout, not at the worker's deadline
    assert all(reply.status_code == 200 for name, reply in replies.items() if name[:4] != "grpc"), {
        name: reply.text for name, reply in replies.items() if name[:4] != "grpc"
    }
    _assert_shutdown(replies["score"].json())
    bomb, good, judged_result = replies["batch"].json()["results"]
    _assert_shutdown(bomb)
    _assert_shutdown(judged_result)
    assert (good["id"], good["verdict"], good["reward"]) == ("good", "correct", 1.0)
    openrlhf = replies["openrlhf"].json()
    assert openrlhf["rewards"][1] == 1.0
    assert openrlhf["extra_logs"]["masked"] == [1.0, 0.0]
    assert openrlhf["extra_logs"]["unscorable"] == [1.0, 0.0]
    slime = replies["slime"].json()
    assert (slime["reason"], slime["masked"]) == ("shutdown", 1.0)
    assert replies["slime_bare"].json() == -1.0  # trainer_unscorable_reward: slime has no null
    one = replies["grpc_score"]
    assert (one.status, one.reason, one.blame) == (
        pb.STATUS_UNSCORABLE,
        "shutdown",
        pb.BLAME_INFRASTRUCTURE,
    )
    assert not one.HasField("reward")
    batch = replies["grpc_batch"].results
    assert [(r.id, r.reason) for r in batch] == [
        ("bomb", "shutdown"),
        ("good", "answer.equivalent"),
    ]
    streamed, code = replies["grpc_stream"]
    assert [(r.id, r.reason) for r in streamed] == [
        ("s-good", "answer.equivalent"),
        ("s-bomb", "shutdown"),
    ]
    # the client had not finished sending: it learns the rest was not read
    assert code == grpc.StatusCode.UNAVAILABLE
    log = server.log.read_text()
    assert "undecided ones unscorable/shutdown" in log and "Traceback" not in log


def test_an_open_stream_is_not_cut_while_draining(tmp_path: Path) -> None:
    total = 500
    with running_server(tmp_path, drain_timeout_s="30") as server:
        channel = grpc.insecure_channel(server.grpc_target)
        stub = reward_pb2_grpc.RewardServiceStub(channel)
        received: queue.Queue[pb.ScoreResult] = queue.Queue()

        def messages() -> Iterator[pb.ScoreRequest]:
            for i in range(total):
                # distinct answers: each is compared, none is a cache hit
                yield pb.ScoreRequest(
                    id=str(i), response=f"<think>x</think>\\boxed{{{i}}}", gold=pb.Gold(answer="7")
                )
                time.sleep(0.01)

        def stream() -> grpc.StatusCode:
            for result in stub.ScoreStream(messages(), timeout=60):
                received.put(result)
            return grpc.StatusCode.OK

        finished = _in_thread(stream)
        while received.qsize() < 100:
            time.sleep(0.01)
        server.process.send_signal(signal.SIGTERM)
        time.sleep(0.5)
        # a new call during the drain is refused, the open stream goes on
        assert not _http_open(server)
        try:
            stub.Score(pb.ScoreRequest(response=GOOD, gold=pb.Gold(answer="4")), timeout=5)
            raise AssertionError("a new gRPC call was admitted while draining")
        except grpc.RpcError as error:
            assert error.code() == grpc.StatusCode.UNAVAILABLE
        assert finished() == grpc.StatusCode.OK
        assert server.process.wait(timeout=30) == 0
        channel.close()
    results = [received.get_nowait() for _ in range(received.qsize())]
    assert [r.id for r in results] == [str(i) for i in range(total)]
    assert all(r.status == pb.STATUS_SCORED for r in results)
    assert [r.verdict == pb.VERDICT_CORRECT for r in results].count(True) == 1


def _http_open(server: Server) -> bool:
    """Whether the HTTP door still accepts connections (uvicorn closes it at SIGTERM)."""
    try:
        httpx.get(server.http_url + "/healthz", timeout=2)
    except httpx.TransportError:
        return False
    return True


def test_cut_off_marks_undecided_work_and_counts_it() -> None:
    """In process: a call waiting on a judge that does not answer is answered at the cut-off,
    masked, and the unscorable counter says why."""
    with judge_server() as (judge_url, script):
        script.delay_s = 60
        service = RewardService(make_settings(judge={"url": judge_url}))
        try:

            async def scenario() -> list[Any]:
                requests = [
                    ScoreRequest(
                        response="<think>x</think>\\boxed{a proof}",
                        gold="a proof",
                        problem="Prove it.",
                        route="judge",
                    ),
                    ScoreRequest(response=GOOD, gold="4"),
                ]
                call = asyncio.ensure_future(service.score_batch(requests))
                await asyncio.sleep(0.5)
                assert not call.done()
                service.begin_drain()
                assert not await service.wait_idle(0.2)
                service.cut_off()
                results = await asyncio.wait_for(call, 5)
                assert await service.wait_idle(1)
                return results

            judged, good = asyncio.run(scenario())
        finally:
            service.close()
    assert (judged.status, judged.reason.value, judged.blame) == (
        Status.UNSCORABLE,
        "shutdown",
        Blame.INFRASTRUCTURE,
    )
    assert judged.reward is None and judged.masked
    assert good.verdict.value == "correct"
    metrics = service.metrics.render().decode()
    assert 'reward_unscorable_total{blame="infrastructure",reason="shutdown"} 1.0' in metrics
