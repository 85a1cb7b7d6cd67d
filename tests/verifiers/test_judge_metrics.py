"""Judge observability against the real scripted judge server: the metrics exposition a
Prometheus scrape gets (calls, latency, failures by kind, breaker state) and the log lines of
breaker transitions and failures."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from reward_service import Reason, RewardService, ScoreRequest
from reward_service.settings import JudgeSettings
from tests.conftest import make_settings, run
from tests.judge_server import Script, judge_server
from tests.serving import free_port


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
    options = {"url": url, "retries": 0, "backoff_s": 0.01, "timeout_s": 5, **judge}
    return RewardService(make_settings(judge=JudgeSettings(**options)))


def request(answer: str) -> ScoreRequest:
    return ScoreRequest(response=f"<think>t</think>{answer}", gold="向东走三步", problem="往哪走？")


def scraped(svc: RewardService) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of the service's metrics exposition, by name and labels."""
    text = svc.metrics.render().decode()
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def value(svc: RewardService, name: str, **labels: str) -> float:
    return scraped(svc).get((name, tuple(sorted(labels.items()))), 0.0)


def test_calls_and_latency(scripted: tuple[str, Script], script: Script) -> None:
    svc = service_for(scripted[0])
    try:
        script.delay_s = 0.2
        assert run(svc.score(request("甲向东。"))).reason is Reason.JUDGE_CORRECT
        assert value(svc, "reward_judge_calls_total", outcome="ok") == 1
        assert value(svc, "reward_judge_call_seconds_count") == 1
        assert value(svc, "reward_judge_call_seconds_sum") >= 0.2
        assert value(svc, "reward_judge_breaker_state") == 0
    finally:
        svc.close()


@pytest.mark.parametrize(
    ("mode", "kind", "reason"),
    [
        ("error500", "http_status", Reason.JUDGE_UNAVAILABLE),
        ("error400", "http_status", Reason.JUDGE_UNAVAILABLE),
        ("garbage", "bad_reply", Reason.JUDGE_UNAVAILABLE),
        ("unparsable", "unparsable", Reason.JUDGE_UNPARSABLE),
    ],
)
def test_failures_by_kind_are_counted_and_logged(
    scripted: tuple[str, Script],
    script: Script,
    caplog: pytest.LogCaptureFixture,
    mode: str,
    kind: str,
    reason: Reason,
) -> None:
    svc = service_for(scripted[0], retries=1)
    try:
        script.mode = mode
        with caplog.at_level(logging.WARNING, logger="reward_service.judge"):
            assert run(svc.score(request("甲向东。"))).reason is reason
        assert value(svc, "reward_judge_errors_total", kind=kind) == 1
        calls = len(script.requests)  # error500 is retried once
        outcome = "ok" if mode == "unparsable" else "error"
        assert value(svc, "reward_judge_calls_total", outcome=outcome) == calls
        assert f"judge call failed ({kind})" in caplog.text
    finally:
        svc.close()


def test_a_slow_judge_counts_as_timeout(scripted: tuple[str, Script], script: Script) -> None:
    svc = service_for(scripted[0], timeout_s=0.3)
    try:
        script.delay_s = 1.0
        assert run(svc.score(request("甲向东。"))).reason is Reason.TIMEOUT
        assert value(svc, "reward_judge_errors_total", kind="timeout") == 1
    finally:
        svc.close()


def test_an_outage_opens_the_breaker_visibly(caplog: pytest.LogCaptureFixture) -> None:
    svc = service_for(f"http://127.0.0.1:{free_port()}/v1", breaker_failures=2, breaker_reset_s=60)
    try:
        with caplog.at_level(logging.INFO, logger="reward_service.judge"):
            for answer in ["a1", "a2", "a3", "a4"]:
                assert run(svc.score(request(answer))).reason is Reason.JUDGE_UNAVAILABLE
        assert value(svc, "reward_judge_errors_total", kind="unreachable") == 2
        assert value(svc, "reward_judge_errors_total", kind="circuit_open") == 2
        assert value(svc, "reward_judge_breaker_state") == 2
        assert value(svc, "reward_judge_breaker_opened_total") == 1
        opened = [r for r in caplog.records if "circuit breaker opened" in r.getMessage()]
        assert len(opened) == 1 and opened[0].levelno == logging.WARNING
        assert "unreachable" in opened[0].getMessage()
        # calls refused by the open circuit are counted, not logged one by one
        assert sum("judge call failed" in r.getMessage() for r in caplog.records) == 2
    finally:
        svc.close()


def test_the_breaker_closing_is_visible(
    scripted: tuple[str, Script], script: Script, caplog: pytest.LogCaptureFixture
) -> None:
    svc = service_for(scripted[0], breaker_failures=1, breaker_reset_s=0.2)
    try:
        script.mode = "error500"
        assert run(svc.score(request("x1"))).reason is Reason.JUDGE_UNAVAILABLE
        assert value(svc, "reward_judge_breaker_state") == 2
        script.mode = "correct"
        time.sleep(0.25)
        with caplog.at_level(logging.INFO, logger="reward_service.judge"):
            assert run(svc.score(request("x2"))).reason is Reason.JUDGE_CORRECT
        assert value(svc, "reward_judge_breaker_state") == 0
        assert "judge circuit breaker closed" in caplog.text
    finally:
        svc.close()
