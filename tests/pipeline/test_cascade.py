"""The symbolic-then-judge cascade (``pipeline/cascade.py``) against a scripted
OpenAI-compatible judge on loopback: what cascades and what never does, the setting that turns
it off, a service without a judge, a judge that is down, the cache, and the offline CLI and
the HTTP door end to end."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from reward_service import Reason, RewardService, ScoreRequest, ScoreResult, Settings, Status
from reward_service.cache.memory import MemoryCache
from reward_service.pipeline.cascade import CASCADING, CASCADING_IF_PROSE
from reward_service.settings import JudgeSettings
from reward_service.types import Blame, Route, Verdict
from reward_service.verifiers.symbolic import SymbolicVerifier
from tests.conftest import make_settings, run
from tests.judge_server import Script, judge_server
from tests.serving import ROOT, free_port, running_server

PROBLEM = "Tom has 3 apples and buys 4 more. How many apples does he have?"


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


@pytest.fixture(scope="module")
def verifier() -> Iterator[SymbolicVerifier]:
    """One worker pool for every service of this module."""
    pool = SymbolicVerifier(make_settings().symbolic)
    yield pool
    pool.close()


def service(
    verifier: SymbolicVerifier, url: str | None, cache: MemoryCache | None = None, **judge: Any
) -> RewardService:
    """A service on the module's worker pool; ``url`` None: no judge."""
    settings = make_settings()
    if url is not None:
        settings = make_settings(judge=JudgeSettings(url=url, retries=0, timeout_s=5, **judge))
    return RewardService(settings, verifier=verifier, cache_backend=cache)


@pytest.fixture(scope="module")
def cascading(verifier: SymbolicVerifier, scripted: tuple[str, Script]) -> RewardService:
    """Uncached, so every test sees the judge asked (the cache has its own test)."""
    return service(verifier, scripted[0], MemoryCache(0))


@pytest.fixture(scope="module")
def cascade_off(verifier: SymbolicVerifier, scripted: tuple[str, Script]) -> RewardService:
    return service(verifier, scripted[0], cascade=False)


@pytest.fixture(scope="module")
def no_judge(verifier: SymbolicVerifier) -> RewardService:
    return service(verifier, None)


def request(answer: str, gold: str = "7", **fields: Any) -> ScoreRequest:
    return ScoreRequest(
        response=f"<think>Count them.</think>{answer}", gold=gold, problem=PROBLEM, **fields
    )


def outcome(result: ScoreResult) -> tuple[Any, ...]:
    return (result.status, result.verdict, result.reason, result.route, result.route_reason)


# (answer span, gold, the symbolic reason that cascades)
CASCADED = [
    pytest.param("So Tom ends up with seven apples.", "7", Reason.ANSWER_MISSING, id="prose"),
    pytest.param("所以汤姆一共有七个苹果。", "7", Reason.ANSWER_MISSING, id="prose-zh"),
    pytest.param("The answer is 七", "7", Reason.ANSWER_UNPARSABLE, id="unparsable"),
    pytest.param(
        "\\boxed{seven apples}", "7", Reason.ANSWER_NOT_EQUIVALENT, id="words-read-as-symbols"
    ),
    pytest.param("\\boxed{5}", "1, 2, \\ldots", Reason.INVALID_GOLD, id="gold-refused"),
    pytest.param(
        "\\boxed{5}", "\\boxed{1} then later \\boxed{2}", Reason.INVALID_GOLD, id="gold-two-boxes"
    ),
]


@pytest.mark.parametrize(("answer", "gold", "symbolic_reason"), CASCADED)
def test_undecidable_symbolic_answers_go_to_the_judge(
    cascading: RewardService,
    no_judge: RewardService,
    script: Script,
    answer: str,
    gold: str,
    symbolic_reason: Reason,
) -> None:
    assert run(no_judge.score(request(answer, gold))).reason is symbolic_reason
    for mode, verdict, reward in (("correct", Verdict.CORRECT, 1.0), ("incorrect", None, -1.0)):
        script.mode = mode
        result = run(cascading.score(request(answer, gold, id=mode)))
        assert result.route is Route.JUDGE
        assert result.route_reason == f"cascade:{symbolic_reason.value}"
        assert result.reason is (Reason.JUDGE_CORRECT if verdict else Reason.JUDGE_INCORRECT)
        assert result.verdict is (verdict or Verdict.INCORRECT) and result.reward == reward
    # the judge was asked about exactly this problem and response, once per verdict mode
    assert len(script.requests) == 2
    shown = script.requests[-1]["messages"][-1]["content"]
    assert PROBLEM in shown and answer in shown


# (answer span, gold, the result the symbolic side gives, judge or no judge)
KEPT = [
    pytest.param("\\boxed{7}", "7", Reason.ANSWER_EQUIVALENT, id="decided-right"),
    pytest.param("\\boxed{6}", "7", Reason.ANSWER_NOT_EQUIVALENT, id="decided-wrong"),
    pytest.param("\\boxed{6} or \\boxed{7}", "7", Reason.ANSWER_HEDGED, id="hedge"),
    pytest.param(
        "\\boxed{seven} or \\boxed{eight}", "7", Reason.ANSWER_UNPARSABLE, id="unreadable-hedge"
    ),
    pytest.param("\\boxed{7}. Hmm, maybe it's 8.", "7", Reason.ANSWER_MISSING, id="second-thought"),
    pytest.param("\\boxed{7} is wrong.", "7", Reason.ANSWER_MISSING, id="retraction"),
    pytest.param("\\boxed{2^{10^{10}}}", "7", Reason.TIMEOUT, id="tower"),
    pytest.param(
        "\\boxed{" + "+".join(map(str, range(400))) + "}", "7", Reason.TOO_LARGE, id="too-large"
    ),
]


@pytest.mark.parametrize(("answer", "gold", "reason"), KEPT)
def test_response_faults_and_decided_answers_never_reach_the_judge(
    cascading: RewardService, script: Script, answer: str, gold: str, reason: Reason
) -> None:
    result = run(cascading.score(request(answer, gold)))
    assert (result.reason, result.route, result.route_reason) == (
        reason,
        Route.SYMBOLIC,
        "gold_shape",
    )
    assert script.requests == []


def test_filtered_responses_keep_their_filter_result(
    cascading: RewardService, script: Script
) -> None:
    """The filters' reason stands whatever the judge says. Work starts before the filters are
    done (``service.py``), so the judge may be asked about the answer span of a response
    whose thinking span the filters reject — once — but never about one its plan rejected."""
    prose = "So Tom ends up with seven apples."
    loop = "Let me count again. " * 400
    filtered = [
        ScoreRequest(response=prose, gold="7", problem=PROBLEM),  # no thinking span
        ScoreRequest(response=f"<think>{loop}</think>{prose}", gold="7", problem=PROBLEM),
        ScoreRequest(response=f"<think>x</think>{loop}{prose}", gold="7", problem=PROBLEM),
        ScoreRequest(response=f"<think>x</think>{prose}", gold="7", truncated=True),
    ]
    results = run(cascading.score_batch(filtered))
    assert [r.status for r in results] == [Status.FILTERED] * 4
    assert [r.reason for r in results] == [
        Reason.FORMAT_MISSING_THINK_CLOSE,
        Reason.REPETITION_THINKING,
        Reason.REPETITION_ANSWER,
        Reason.FORMAT_TRUNCATED,
    ]
    assert all(r.route is Route.NONE for r in results) and len(script.requests) == 1


def test_an_explicit_symbolic_hint_never_cascades(cascading: RewardService, script: Script) -> None:
    result = run(cascading.score(request("So Tom has seven apples.", route="symbolic")))
    assert (result.reason, result.route_reason) == (Reason.ANSWER_MISSING, "hint")
    assert script.requests == []


@pytest.mark.parametrize(("answer", "gold", "symbolic_reason"), CASCADED)
def test_cascade_off_and_no_judge_keep_the_symbolic_result(
    cascade_off: RewardService,
    no_judge: RewardService,
    script: Script,
    answer: str,
    gold: str,
    symbolic_reason: Reason,
) -> None:
    off = run(cascade_off.score(request(answer, gold)))
    alone = run(no_judge.score(request(answer, gold)))
    assert outcome(off) == outcome(alone)
    assert off.reason is symbolic_reason and off.route_reason != f"cascade:{symbolic_reason.value}"
    assert script.requests == []


def test_the_setting_changes_the_config_hash_only_with_a_judge() -> None:
    assert Settings(judge={"cascade": False}).config_hash() == Settings().config_hash()
    judged = Settings(judge={"url": "http://judge:8000/v1"})
    off = Settings(judge={"url": "http://judge:8000/v1", "cascade": False})
    assert judged.config_hash() != off.config_hash()


def test_judge_down_during_the_cascade_is_masked_not_penalised(
    verifier: SymbolicVerifier,
) -> None:
    down = service(verifier, f"http://127.0.0.1:{free_port()}/v1")
    for case in CASCADED:
        answer, gold, reason = case.values
        assert isinstance(answer, str) and isinstance(gold, str) and isinstance(reason, Reason)
        result = run(down.score(request(answer, gold)))
        assert result.route_reason == f"cascade:{reason.value}"
        assert (result.status, result.reason, result.blame) == (
            Status.UNSCORABLE,
            Reason.JUDGE_UNAVAILABLE,
            Blame.INFRASTRUCTURE,
        )
        assert result.reward is None and result.masked
    # what does not cascade is untouched by the judge's outage
    assert run(down.score(request("\\boxed{6}"))).reward == -1.0


def test_cascaded_results_are_cached_as_judge_work(
    verifier: SymbolicVerifier, scripted: tuple[str, Script], script: Script
) -> None:
    url = scripted[0]
    shared = MemoryCache(1000)
    off = service(verifier, url, shared, cascade=False)
    on = service(verifier, url, shared)
    unparsable = request("The answer is 七")
    # a symbolic result for the same request is never served for the cascade, nor back
    assert run(off.score(unparsable)).reason is Reason.ANSWER_UNPARSABLE
    first = run(on.score(unparsable))
    assert (first.reason, first.cached, len(script.requests)) == (Reason.JUDGE_CORRECT, False, 1)
    assert run(off.score(unparsable)).reason is Reason.ANSWER_UNPARSABLE
    again = run(on.score(unparsable))
    assert (again.reason, again.cached, len(script.requests)) == (Reason.JUDGE_CORRECT, True, 1)
    # another thinking span, same answer span: the judge's stored decision answers it
    other = ScoreRequest(response="<think>Add.</think>The answer is 七", gold="7", problem=PROBLEM)
    reused = run(on.score(other))
    assert (reused.route_reason, reused.cached, len(script.requests)) == (
        "cascade:answer.unparsable",
        True,
        1,
    )
    # another judge (served model) must ask again, not reuse the first judge's verdict
    script.mode = "incorrect"
    other_judge = service(verifier, url, shared, served_model="another/judge")
    changed = run(other_judge.score(unparsable))
    assert (changed.reason, changed.cached, len(script.requests)) == (
        Reason.JUDGE_INCORRECT,
        False,
        2,
    )
    assert script.requests[-1]["model"] == "another/judge"


def test_one_question_per_distinct_answer_in_a_batch(
    cascading: RewardService, script: Script
) -> None:
    batch = [request("The answer is 七", id=i) for i in range(8)]
    batch += [request("So Tom ends up with seven apples.", id=f"p{i}") for i in range(4)]
    results = run(cascading.score_batch(batch))
    assert {r.reason for r in results} == {Reason.JUDGE_CORRECT}
    assert len(script.requests) == 2


def test_the_registries_name_only_symbolic_reasons() -> None:
    assert not {r for r in CASCADING | CASCADING_IF_PROSE if r.value.startswith("judge")}
    never = {Reason.ANSWER_HEDGED, Reason.TOO_LARGE, Reason.TIMEOUT, Reason.WORKER_LOST}
    assert not never & (CASCADING | CASCADING_IF_PROSE)


# -- end to end: the offline CLI and the HTTP door ------------------------------------------

LINES = [
    {"id": "prose", "response": "<think>x</think>So Tom has seven apples.", "gold": "7"},
    {"id": "boxed", "response": "<think>x</think>\\boxed{7}", "gold": "7"},
    {"id": "hedge", "response": "<think>x</think>\\boxed{6} or \\boxed{7}", "gold": "7"},
]


def cli_score(*flags: str) -> dict[str, dict[str, Any]]:
    body = b"".join(json.dumps({**line, "problem": PROBLEM}).encode() + b"\n" for line in LINES)
    done = subprocess.run(
        [sys.executable, "-m", "reward_service.cli", "score", "-", "-o", "-", "-q", *flags],
        input=body,
        capture_output=True,
        timeout=180,
        cwd=ROOT,
        env={**os.environ, "REWARD_SERVICE_JUDGE__RETRIES": "0"},
    )
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    results = [json.loads(line) for line in done.stdout.splitlines()]
    return {r["id"]: r for r in results}


def test_cli_cascades_to_the_judge_and_the_flag_turns_it_off(
    scripted: tuple[str, Script], script: Script
) -> None:
    url = scripted[0]
    on = cli_score("--judge-url", url, "--workers", "1")
    assert (on["prose"]["reason"], on["prose"]["route"], on["prose"]["route_reason"]) == (
        "judge.correct",
        "judge",
        "cascade:answer.missing",
    )
    assert on["prose"]["reward"] == 1.0
    assert (on["boxed"]["reason"], on["hedge"]["reason"]) == ("answer.equivalent", "answer.hedged")
    assert len(script.requests) == 1
    off = cli_score("--judge-url", url, "--workers", "1", "--judge.cascade", "false")
    assert (off["prose"]["reason"], off["prose"]["route_reason"]) == (
        "answer.missing",
        "gold_shape",
    )
    assert off["prose"]["reward"] == -1.0 and len(script.requests) == 1


def test_http_door_carries_the_cascade(
    scripted: tuple[str, Script], script: Script, tmp_path: Path
) -> None:
    with running_server(tmp_path, judge__url=scripted[0], judge__retries="0") as server:
        body = {"requests": [{**line, "problem": PROBLEM} for line in LINES]}
        reply = httpx.post(f"{server.http_url}/v1/score/batch", json=body, timeout=60)
        assert reply.status_code == 200, reply.text
        results = {r["id"]: r for r in reply.json()["results"]}
        one = httpx.post(
            f"{server.http_url}/v1/score", json={**LINES[0], "problem": PROBLEM}, timeout=60
        ).json()
    prose = results["prose"]
    assert (prose["status"], prose["reason"], prose["route"], prose["route_reason"]) == (
        "scored",
        "judge.correct",
        "judge",
        "cascade:answer.missing",
    )
    assert (one["route_reason"], one["cached"]) == ("cascade:answer.missing", True)
    assert results["hedge"]["route_reason"] == "gold_shape"
    assert len(script.requests) == 1
