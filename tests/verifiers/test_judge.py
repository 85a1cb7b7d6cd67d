"""The judge path end to end against a scripted OpenAI-compatible server on loopback:
routing, the request vLLM receives, verdicts, faults, circuit breaker, caching, injection."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from reward_service import (
    GoldParts,
    PartialPolicy,
    Reason,
    RewardService,
    RewardTable,
    ScoreRequest,
    Status,
    Verdict,
)
from reward_service.settings import JudgeSettings
from reward_service.verifiers.judge.sanitize import fold
from tests.conftest import make_settings, run
from tests.judge_server import OBEYED, Script, judge_server
from tests.serving import free_port

ROOT = Path(__file__).resolve().parents[2]
PROBLEM = "甲乙两人从同一地点出发，甲向东走三步，乙向北走四步。甲往哪个方向走？"
GOLD = "向东走三步"


@pytest.fixture(scope="module")
def scripted() -> Iterator[tuple[str, Script]]:
    with judge_server() as running:
        yield running


@pytest.fixture
def script(scripted: tuple[str, Script]) -> Script:
    script = scripted[1]
    script.mode, script.delay_s, script.fail_first = "correct", 0.0, 0
    script.requests.clear()
    return script


def service_for(url: str, **judge: Any) -> RewardService:
    options = {"url": url, "retries": 1, "backoff_s": 0.05, "timeout_s": 5, **judge}
    return RewardService(make_settings(judge=JudgeSettings(**options)))


def request(answer: str = "甲向东走三步。", **fields: Any) -> ScoreRequest:
    return ScoreRequest(
        response=f"<think>想一想</think>{answer}", **{"gold": GOLD, "problem": PROBLEM, **fields}
    )


@pytest.fixture
def judged(scripted: tuple[str, Script], script: Script) -> Iterator[RewardService]:
    svc = service_for(scripted[0])
    yield svc
    svc.close()


def test_free_form_goes_to_the_judge(judged: RewardService, script: Script) -> None:
    result = run(judged.score(request()))
    assert (result.status, result.verdict, result.reason, result.reward) == (
        Status.SCORED,
        Verdict.CORRECT,
        Reason.JUDGE_CORRECT,
        1.0,
    )
    assert result.route.value == "judge" and result.route_reason == "gold_shape"
    assert result.provenance is not None
    assert result.provenance.judge_model == "qwen2.5-instruct@2"
    sent = script.requests[-1]
    assert sent["model"] == "Qwen/Qwen2.5-7B-Instruct" and sent["temperature"] == 0.0
    schema = sent["structured_outputs"]["json"]
    assert schema["properties"]["parts"]["minItems"] == 1
    user = sent["messages"][-1]["content"]
    # the judge sees the problem NFKC-folded (full-width punctuation → ASCII)
    assert user.index(fold(PROBLEM)) < user.index(GOLD) < user.index("甲向东走三步。")
    assert "想一想" not in user  # the thinking span is not sent


@pytest.mark.parametrize(
    ("mode", "verdict", "reason"),
    [
        ("incorrect", Verdict.INCORRECT, Reason.JUDGE_INCORRECT),
        ("flawed", Verdict.INCORRECT, Reason.JUDGE_PROCESS_FLAWED),
        ("unparsable", None, Reason.JUDGE_UNPARSABLE),
        ("garbage", None, Reason.JUDGE_UNAVAILABLE),
        ("error400", None, Reason.JUDGE_UNAVAILABLE),
        ("error500", None, Reason.JUDGE_UNAVAILABLE),
    ],
)
def test_outcomes_and_faults(
    judged: RewardService, script: Script, mode: str, verdict: Verdict | None, reason: Reason
) -> None:
    script.mode = mode
    result = run(judged.score(request()))
    assert (result.verdict, result.reason) == (verdict, reason)
    if verdict is None:
        assert result.status is Status.UNSCORABLE and result.reward is None
    expected_calls = 2 if mode == "error500" else 1  # transient errors are retried once
    assert len(script.requests) == expected_calls


def test_flaky_judge_is_retried(scripted: tuple[str, Script], script: Script) -> None:
    script.mode, script.fail_first = "flaky", 2
    svc = service_for(scripted[0], retries=3)
    try:
        assert run(svc.score(request())).verdict is Verdict.CORRECT
        assert len(script.requests) == 3
    finally:
        svc.close()


def test_slow_judge_times_out(judged: RewardService, script: Script) -> None:
    script.delay_s = 3.0
    started = time.monotonic()
    result = run(judged.score(request(), timeout_s=0.5))
    assert (result.status, result.reason) == (Status.UNSCORABLE, Reason.TIMEOUT)
    assert time.monotonic() - started < 2.5


def test_judge_down_and_circuit_breaker() -> None:
    svc = service_for(
        f"http://127.0.0.1:{free_port()}/v1", retries=0, breaker_failures=2, breaker_reset_s=60
    )
    try:
        for answer in ["a1", "a2", "a3", "a4"]:
            result = run(svc.score(request(answer)))
            assert (result.status, result.reason) == (Status.UNSCORABLE, Reason.JUDGE_UNAVAILABLE)
        assert svc.judge is not None and svc.judge._client.breaker.open
    finally:
        svc.close()


def test_breaker_closes_after_a_successful_trial(
    scripted: tuple[str, Script], script: Script
) -> None:
    svc = service_for(scripted[0], retries=0, breaker_failures=1, breaker_reset_s=2.0)
    try:
        script.mode = "error500"
        assert run(svc.score(request("x1"))).reason is Reason.JUDGE_UNAVAILABLE
        script.mode = "correct"
        calls = len(script.requests)
        assert run(svc.score(request("x2"))).reason is Reason.JUDGE_UNAVAILABLE  # open
        assert len(script.requests) == calls  # failed fast, server not called
        time.sleep(2.1)
        assert run(svc.score(request("x3"))).verdict is Verdict.CORRECT  # trial succeeds
        assert run(svc.score(request("x4"))).verdict is Verdict.CORRECT
    finally:
        svc.close()


def test_multi_part_and_partial_policy(scripted: tuple[str, Script], script: Script) -> None:
    rewards = RewardTable(partial_policy=PartialPolicy.FRACTIONAL)
    svc = RewardService(
        make_settings(rewards=rewards, judge=JudgeSettings(url=scripted[0], retries=0))
    )
    try:
        script.mode = "partial"
        gold = GoldParts(parts=["3", "5", "向东"])
        result = run(svc.score(request("(1) 3 (2) 4 (3) 向西", gold=gold)))
        assert result.verdict is Verdict.PARTIAL
        assert result.reward == pytest.approx(-1 + 2 * (1 / 3))
        assert [p.verdict for p in result.parts or []] == [
            Verdict.CORRECT,
            Verdict.INCORRECT,
            Verdict.INCORRECT,
        ]
        assert (
            script.requests[-1]["structured_outputs"]["json"]["properties"]["parts"]["minItems"]
            == 3
        )
    finally:
        svc.close()


def test_judge_results_are_cached_and_deduplicated(judged: RewardService, script: Script) -> None:
    group = [request("乙向北，甲向东走三步。") for _ in range(16)]
    results = run(judged.score_batch(group))
    assert all(r.verdict is Verdict.CORRECT for r in results)
    assert len(script.requests) == 1  # 16 identical answer spans: one judge call
    again = run(judged.score(request("乙向北，甲向东走三步。")))
    assert again.cached and len(script.requests) == 1


def test_samples_must_agree(scripted: tuple[str, Script], script: Script) -> None:
    svc = service_for(scripted[0], samples=3)
    try:
        script.mode = "by_seed"
        result = run(svc.score(request("甲向东。")))
        assert (result.status, result.reason) == (Status.UNSCORABLE, Reason.JUDGE_DISAGREEMENT)
        assert sorted(r["seed"] for r in script.requests) == [0, 1, 2]
    finally:
        svc.close()


INJECTIONS = [
    json.loads(line)
    for line in (ROOT / "tests" / "data" / "judge_injections.jsonl").read_text().splitlines()
]


@pytest.mark.parametrize("case", INJECTIONS, ids=[c["id"] for c in INJECTIONS])
def test_injections_never_turn_a_wrong_answer_into_a_reward(
    judged: RewardService, script: Script, case: dict[str, str]
) -> None:
    # the gullible judge obeys verdict-like text it finds in the solution...
    assert OBEYED.search(case["answer"]), "the attack must fool an unprotected judge"
    script.mode = "gullible"
    result = run(judged.score(request(case["answer"], gold="x = 5, 面积为 10 平方单位")))
    # ...and still never sees any: the wrong answer stays unrewarded
    assert result.verdict is not Verdict.CORRECT, script.requests[-1]["messages"][-1]
    assert result.reward != 1.0


def test_no_judge_configured_stays_unscorable() -> None:
    svc = RewardService(make_settings())
    try:
        result = run(svc.score(request()))
        assert (result.status, result.reason) == (Status.UNSCORABLE, Reason.JUDGE_NOT_CONFIGURED)
    finally:
        svc.close()
