"""Who caused an unscorable result decides what a trainer gets (DESIGN.md §1), on every door
and adapter: a policy's cheap tricks (a too-large answer, a power tower, an answer that does
not parse) never earn more than a wrong answer; a judge outage or a broken gold is masked."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from types import SimpleNamespace

import httpx
import pytest

from reward_service import Blame, RewardTable, ScoreRequest, Status
from reward_service.adapters import openrlhf, slime, trl, verl
from reward_service.client import RewardClient
from tests.adapters.conftest import reset_adapters
from tests.serving import Server, free_port, running_server

WRONG = "<think>a</think>The answer is \\boxed{5}."
TRICKS = {
    # varied terms: a loop of one unit would be filtered as repetition.answer instead
    "too_large": "<think>a</think>\\boxed{" + "+".join(str(i) for i in range(400)) + "}",
    "tower": "<think>a</think>\\boxed{9^{9^{9^{9^{9}}}}}",
    "unreadable": "<think>a</think>\\boxed{\\frac{}{)(}",
}
GOLD = "4"
JUDGED_GOLD = "向东走三步"  # prose: judge-routed


@pytest.fixture(scope="module")
def judge_down(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server whose judge is configured but unreachable."""
    with running_server(
        tmp_path_factory.mktemp("judge-down"),
        JUDGE__URL=f"http://127.0.0.1:{free_port()}/v1",  # nothing listens there
        JUDGE__RETRIES="0",
        JUDGE__TIMEOUT_S="2",
    ) as running:
        yield running


@pytest.fixture
def adapters_on(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    yield
    reset_adapters()


def _point_adapters(monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    monkeypatch.setenv("REWARD_SERVICE_CLIENT_URL", url)
    monkeypatch.delenv("REWARD_SERVICE_CLIENT_UNSCORABLE_REWARD", raising=False)
    reset_adapters()


def _door_rewards(server: Server, response: str, gold: str) -> dict[str, float | None]:
    """The reward one response earns through each door and adapter."""
    request = ScoreRequest(response=response, gold=gold)
    rewards: dict[str, float | None] = {}
    for name, url in (("http", server.http_url), ("grpc", server.grpc_url)):
        with RewardClient(url) as client:
            rewards[name] = client.score(request).reward
    reply = httpx.post(
        server.http_url + "/get_reward",
        json={"query": ["Q" + response], "prompts": ["Q"], "labels": [gold]},
        timeout=60,
    ).json()
    rewards["/get_reward"] = reply["rewards"][0]
    body = {"prompt": "Q", "response": response, "label": gold}
    rewards["/slime/reward"] = httpx.post(
        server.http_url + "/slime/reward", json=body, timeout=60
    ).json()
    rewards["verl"] = verl.compute_score("math", response, gold)["score"]
    rewards["openrlhf"] = openrlhf.reward_func(["Q" + response], ["Q"], [gold])["rewards"][0]
    rewards["trl"] = trl.reward_service_reward(completions=[response], solution=[gold])[0]
    sample = SimpleNamespace(prompt="Q", response=response, label=gold)
    rewards["slime"] = asyncio.run(slime.reward(SimpleNamespace(), sample))
    return rewards


@pytest.mark.usefixtures("adapters_on")
@pytest.mark.parametrize("trick", sorted(TRICKS))
def test_a_trick_never_earns_more_than_a_wrong_answer(
    trick: str, server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    _point_adapters(monkeypatch, server.http_url)
    wrong = _door_rewards(server, WRONG, GOLD)
    tricked = _door_rewards(server, TRICKS[trick], GOLD)
    assert all(isinstance(v, float) for v in wrong.values()), wrong
    for door, reward in tricked.items():
        assert reward is not None, door  # penalised, not masked: TRL must not drop it
        assert reward <= wrong[door], (door, reward, wrong[door])


def test_the_result_says_who_caused_it(server: Server) -> None:
    with RewardClient(server.grpc_url) as client:
        results = client.score_batch(
            [
                ScoreRequest(response=TRICKS["too_large"], gold=GOLD),
                ScoreRequest(response=TRICKS["tower"], gold=GOLD),
                ScoreRequest(response=WRONG, gold="\\frac{"),
                ScoreRequest(response=WRONG, gold=GOLD),
            ]
        )
    assert [(r.status, r.reason.value, r.blame) for r in results] == [
        (Status.UNSCORABLE, "too_large", Blame.RESPONSE),
        (Status.UNSCORABLE, "timeout", Blame.RESPONSE),
        (Status.UNSCORABLE, "invalid_gold", Blame.DATA),
        (Status.SCORED, "answer.not_equivalent", None),
    ]
    assert [r.masked for r in results] == [False, False, True, False]
    metrics = httpx.get(server.http_url + "/metrics").text
    assert 'reward_unscorable_total{blame="response",reason="too_large"}' in metrics
    assert 'reward_unscorable_total{blame="data",reason="invalid_gold"}' in metrics


@pytest.mark.usefixtures("adapters_on")
def test_a_judge_outage_is_masked(judge_down: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    response = "<think>a</think>向东"
    with RewardClient(judge_down.http_url) as client:
        result = client.score(ScoreRequest(response=response, gold=JUDGED_GOLD))
    assert (result.reason.value, result.blame, result.reward) == (
        "judge_unavailable",
        Blame.INFRASTRUCTURE,
        None,
    )
    _point_adapters(monkeypatch, judge_down.grpc_url)
    assert trl.reward_service_reward(completions=[response], solution=[JUDGED_GOLD]) == [None]
    fields = verl.compute_score("math", response, JUDGED_GOLD)
    assert (fields["masked"], fields["blame"], fields["score"]) == (1.0, "infrastructure", -1.0)
    reply = openrlhf.reward_func(["Q" + response], ["Q"], [JUDGED_GOLD])
    assert reply["extra_logs"]["masked"] == [1.0]


def test_a_penalty_above_incorrect_is_refused() -> None:
    with pytest.raises(ValueError, match="unscorable"):
        RewardTable(incorrect=-1.0, response_fault=0.0)
    assert RewardTable(incorrect=0.0, correct=1.0, filtered=0.0, response_fault=-0.5)
