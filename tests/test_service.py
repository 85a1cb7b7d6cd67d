"""The service end to end: filters, routing, verdicts, rewards, cache and in-batch dedup."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pytest

import reward_service.pipeline.prepare as prepare_module
from reward_service import (
    Blame,
    GoldParts,
    PartialPolicy,
    Reason,
    RewardService,
    RewardTable,
    Route,
    ScoreRequest,
    Settings,
    Status,
    Template,
    Verdict,
)
from reward_service.cache.memory import MemoryCache
from reward_service.settings import SymbolicSettings
from tests.conftest import TEST_TIMEOUT_S, make_settings, run


def r1(answer: str, thinking: str = "Let me work it out.") -> str:
    return f"<think>{thinking}</think>{answer}"


def score(service: RewardService, **fields: Any) -> Any:
    return run(service.score(ScoreRequest(**fields)))


@pytest.mark.parametrize(
    ("fields", "status", "verdict", "reason", "reward"),
    [
        (
            dict(response=r1("So $\\boxed{\\dfrac{1}{3}}$."), gold="\\frac13"),
            Status.SCORED,
            Verdict.CORRECT,
            Reason.ANSWER_EQUIVALENT,
            1.0,
        ),
        (
            dict(response=r1("\\boxed{0.5}"), gold="1/3"),
            Status.SCORED,
            Verdict.INCORRECT,
            Reason.ANSWER_NOT_EQUIVALENT,
            -1.0,
        ),
        (
            dict(
                response=r1("I am not sure at all what the result of this long problem is."),
                gold="3",
            ),
            Status.SCORED,
            Verdict.INCORRECT,
            Reason.ANSWER_MISSING,
            -1.0,
        ),
        (
            dict(response=r1("\\boxed{3} or \\boxed{4}, one of them."), gold="4"),
            Status.SCORED,
            Verdict.INCORRECT,
            Reason.ANSWER_HEDGED,
            -1.0,
        ),
        (
            dict(response=r1("\\boxed{1/2}, that is \\boxed{0.5}"), gold="\\frac{1}{2}"),
            Status.SCORED,
            Verdict.CORRECT,
            Reason.ANSWER_EQUIVALENT,
            1.0,
        ),
        (
            dict(response=r1("故答案为：７π"), gold="7\\pi"),
            Status.SCORED,
            Verdict.CORRECT,
            Reason.ANSWER_EQUIVALENT,
            1.0,
        ),
        (
            dict(response="thinking</think>\\boxed{4}", gold="4", think_in_prompt=True),
            Status.SCORED,
            Verdict.CORRECT,
            Reason.ANSWER_EQUIVALENT,
            1.0,
        ),
        (
            dict(response="thinking</think>\\boxed{4}", gold="4"),
            Status.SCORED,
            Verdict.CORRECT,
            Reason.ANSWER_EQUIVALENT,
            1.0,
        ),
        (
            dict(response="thinking</think>\\boxed{4}", gold="4", think_in_prompt=False),
            Status.FILTERED,
            None,
            Reason.FORMAT_MISSING_THINK_OPEN,
            -1.0,
        ),
        (
            dict(response="<think>never closed \\boxed{4}", gold="4"),
            Status.FILTERED,
            None,
            Reason.FORMAT_MISSING_THINK_CLOSE,
            -1.0,
        ),
        (
            dict(response=r1("\\boxed{4}", "Wait, let me recheck. " * 1000), gold="4"),
            Status.FILTERED,
            None,
            Reason.REPETITION_THINKING,
            -1.0,
        ),
        (
            dict(response=r1("\\boxed{4} " + "The answer is four. " * 1000), gold="4"),
            Status.FILTERED,
            None,
            Reason.REPETITION_ANSWER,
            -1.0,
        ),
        # the filters come before the gold: a bad gold does not hide a filtered response
        (
            dict(response=r1("\\boxed{4}", "Wait, let me recheck. " * 1000), gold="\\frac{"),
            Status.FILTERED,
            None,
            Reason.REPETITION_THINKING,
            -1.0,
        ),
        (
            dict(response=r1("\\boxed{4} " + "The answer is four. " * 1000), gold="$ $"),
            Status.FILTERED,
            None,
            Reason.REPETITION_ANSWER,
            -1.0,
        ),
        (
            dict(response="<think>a</think>b</think>\\boxed{4}", gold="\\frac{"),
            Status.FILTERED,
            None,
            Reason.FORMAT_MULTIPLE_THINK,
            -1.0,
        ),
        (
            dict(response="\\boxed{4}", gold="4", template=Template.PLAIN),
            Status.SCORED,
            Verdict.CORRECT,
            Reason.ANSWER_EQUIVALENT,
            1.0,
        ),
        (
            dict(response=r1("\\boxed{4}"), gold="4", route="judge"),
            Status.UNSCORABLE,
            None,
            Reason.JUDGE_NOT_CONFIGURED,
            None,
        ),
        (
            dict(response=r1("向东"), gold="向东走三步"),
            Status.UNSCORABLE,
            None,
            Reason.JUDGE_NOT_CONFIGURED,
            None,
        ),
        (
            dict(response=r1("\\boxed{4}"), gold="\\frac{"),
            Status.UNSCORABLE,
            None,
            Reason.INVALID_GOLD,
            None,
        ),
        (
            dict(response=r1("\\boxed{4}"), gold="$ $"),
            Status.UNSCORABLE,
            None,
            Reason.INVALID_GOLD,
            None,
        ),
        (
            dict(response=r1("\\boxed{4}"), gold="\\boxed{1} so, no, \\boxed{2}"),
            Status.UNSCORABLE,
            None,
            Reason.INVALID_GOLD,
            None,
        ),
        (
            dict(response=r1("\\boxed{4}"), gold=["four apples in total", "4"]),
            Status.UNSCORABLE,
            None,
            Reason.JUDGE_NOT_CONFIGURED,
            None,
        ),
        (
            dict(response=r1("\\boxed{4}"), gold=["2^2", "4.0"]),
            Status.SCORED,
            Verdict.CORRECT,
            Reason.ANSWER_EQUIVALENT,
            1.0,
        ),
        (
            dict(response=r1("\\boxed{10^{10^{10}-1}}"), gold="4"),
            Status.UNSCORABLE,
            None,
            Reason.TIMEOUT,
            -1.0,  # the response's doing: the incorrect reward, never more
        ),
        (
            # a long sum of different terms (``1+`` x 600 is a loop: repetition.answer)
            dict(response=r1("\\boxed{" + "+".join(map(str, range(1, 400))) + "}"), gold="4"),
            Status.UNSCORABLE,
            None,
            Reason.TOO_LARGE,
            -1.0,  # the response's doing: the incorrect reward, never more
        ),
        (
            dict(response=r1(" ".join(f"\\boxed{{{i}}}" for i in range(200))), gold="4"),
            Status.SCORED,
            Verdict.INCORRECT,
            Reason.ANSWER_HEDGED,
            -1.0,
        ),
    ],
)
def test_outcomes(
    service: RewardService,
    fields: dict[str, Any],
    status: Status,
    verdict: Verdict | None,
    reason: Reason,
    reward: float | None,
) -> None:
    result = score(service, id="x", **fields)
    assert (result.status, result.verdict, result.reason, result.reward) == (
        status,
        verdict,
        reason,
        reward,
    )
    assert result.id == "x"
    assert result.provenance is not None and "math-verify" in result.provenance.verifier_versions


def test_unscorable_results_never_carry_a_reward(service: RewardService) -> None:
    result = score(service, response=r1("\\boxed{4}"), gold="4", route="judge")
    assert result.status is Status.UNSCORABLE and result.reward is None
    assert result.route is Route.JUDGE and result.route_reason == "hint"
    assert result.extracted_answer == "4"


def test_multi_part_symbolic_with_partial_policy() -> None:
    rewards = RewardTable(partial_policy=PartialPolicy.FRACTIONAL)
    svc = RewardService(make_settings(rewards=rewards))
    try:
        gold = GoldParts(parts=["3", ["5", "five"], "\\frac{1}{2}"])
        common: dict[str, Any] = dict(gold=gold, route="symbolic")
        allright = score(svc, response=r1("\\boxed{3}, \\boxed{5}, \\boxed{0.5}"), **common)
        assert (allright.verdict, allright.reward) == (Verdict.CORRECT, 1.0)
        some = score(svc, response=r1("答案：3; 6; 1/2"), **common)
        assert some.verdict is Verdict.PARTIAL and some.reward == pytest.approx(1 / 3)
        assert [p.verdict for p in some.parts or []] == [
            Verdict.CORRECT,
            Verdict.INCORRECT,
            Verdict.CORRECT,
        ]
        mismatch = score(svc, response=r1("\\boxed{3}"), **common)
        assert mismatch.reason is Reason.ANSWER_PARTS_MISMATCH
        # multi-part golds go to the judge unless routed otherwise
        judged = score(svc, response=r1("\\boxed{3}"), gold=gold)
        assert judged.reason is Reason.JUDGE_NOT_CONFIGURED
    finally:
        svc.close()


def test_routing_rules_by_data_source() -> None:
    svc = RewardService(make_settings(routing_rules={"gaokao*": "judge"}))
    try:
        result = score(svc, response=r1("\\boxed{4}"), gold="4", data_source="gaokao_2023")
        assert (result.route, result.route_reason) == (Route.JUDGE, "rule:gaokao*")
        result = score(svc, response=r1("\\boxed{4}"), gold="4", data_source="math")
        assert (result.route, result.route_reason) == (Route.SYMBOLIC, "gold_shape")
    finally:
        svc.close()


class CountingVerifierCalls:
    """Wraps the real verifier to count the comparisons that reach the worker pool."""

    def __init__(self, service: RewardService) -> None:
        self.calls = 0
        self._check = service.verifier.check
        service.verifier.check = self  # type: ignore[method-assign]

    async def __call__(self, gold: str, answer: str) -> Any:
        self.calls += 1
        return await self._check(gold, answer)


def every_comparison_in_a_worker() -> Settings:
    """These tests count the comparisons that reach the worker pool; the fast path would
    settle their numerals in-process."""
    return make_settings(
        symbolic=SymbolicSettings(workers=2, task_timeout_s=TEST_TIMEOUT_S, fast_path=False)
    )


def test_identical_work_in_a_batch_is_done_once_and_then_cached() -> None:
    svc = RewardService(every_comparison_in_a_worker())
    counter = CountingVerifierCalls(svc)
    try:
        # one GRPO group: 16 rollouts of one problem, 3 distinct final answers
        answers = ["\\frac{1}{2}", "0.5", "\\frac{1}{3}"]
        batch = [
            ScoreRequest(
                id=i, response=r1(f"thinking {i}... \\boxed{{{answers[i % 3]}}}"), gold="1/2"
            )
            for i in range(16)
        ]
        first = run(svc.score_batch(batch))
        assert counter.calls == 3
        assert [r.id for r in first] == list(range(16))
        assert [r.verdict for r in first] == [
            Verdict.INCORRECT if i % 3 == 2 else Verdict.CORRECT for i in range(16)
        ]
        assert not any(r.cached for r in first)
        second = run(svc.score_batch(batch))
        assert counter.calls == 3
        assert all(r.cached for r in second)
        assert [r.verdict for r in second] == [r.verdict for r in first]
    finally:
        svc.close()


def test_a_filtered_response_keeps_its_filter_result_and_its_answer_is_cached() -> None:
    """Comparisons start before the filters are done: a response they reject is filtered
    whatever its comparison says, and the comparison's decision is cached at the answer
    level, so a later response with the same answer span needs no worker."""
    svc = RewardService(every_comparison_in_a_worker())
    counter = CountingVerifierCalls(svc)
    try:
        looped = r1("\\boxed{\\frac{1}{2}}", "I keep checking it again and again. " * 400)
        (filtered,) = run(svc.score_batch([ScoreRequest(id=1, response=looped, gold="0.5")]))
        assert (filtered.status, filtered.reason) == (
            Status.FILTERED,
            Reason.REPETITION_THINKING,
        )
        assert filtered.verdict is None
        clean = r1("\\boxed{\\frac{1}{2}}", "Half of it.")
        (scored,) = run(svc.score_batch([ScoreRequest(id=2, response=clean, gold="0.5")]))
        assert (scored.verdict, scored.cached) == (Verdict.CORRECT, True)
        assert counter.calls == 1
    finally:
        svc.close()


def test_plain_numerals_are_settled_without_a_worker() -> None:
    # a generous deadline: the one worker comparison is the point, not its speed
    svc = RewardService(make_settings(symbolic=SymbolicSettings(workers=2, task_timeout_s=30)))
    counter = CountingVerifierCalls(svc)
    try:
        answers = ["\\frac{1}{2}", "0.5", "50\\%", "\\frac{1}{3}", "x/2"]
        batch = [ScoreRequest(id=a, response=r1(f"\\boxed{{{a}}}"), gold="1/2") for a in answers]
        results = run(svc.score_batch(batch))
        assert [r.verdict for r in results] == [
            Verdict.CORRECT,
            Verdict.CORRECT,
            Verdict.CORRECT,
            Verdict.INCORRECT,
            Verdict.INCORRECT,
        ]
        assert counter.calls == 1  # only "x/2" is not a plain numeral
        metrics = svc.metrics.render().decode()
        assert 'reward_comparisons_total{path="fast"} 4.0' in metrics
        assert 'reward_comparisons_total{path="worker"} 1.0' in metrics
    finally:
        svc.close()


class CountingCache(MemoryCache):
    def __init__(self, capacity: int) -> None:
        super().__init__(capacity)
        self.gets: list[int] = []
        self.sets = 0

    async def get_many(self, keys: Sequence[str]) -> list[str | None]:
        self.gets.append(len(keys))
        return await super().get_many(keys)

    async def set_many(self, items: Mapping[str, str]) -> None:
        self.sets += 1
        await super().set_many(items)


def test_one_lookup_and_one_store_per_batch() -> None:
    cache = CountingCache(1000)
    svc = RewardService(every_comparison_in_a_worker(), cache_backend=cache)
    counter = CountingVerifierCalls(svc)
    try:
        group = [
            ScoreRequest(id=i, response=r1(f"try {i} \\boxed{{{i % 3}}}"), gold="1")
            for i in range(12)
        ]
        run(svc.score_batch(group))  # 12 records and 3 answers looked up; "1" needs no worker
        assert (cache.gets, cache.sets, counter.calls) == ([12 + 3], 1, 2)
        run(svc.score_batch(group))  # all answered by their records
        assert (cache.gets, cache.sets, counter.calls) == ([15, 15], 1, 2)
        new = [r.model_copy(update={"response": r1(f"again \\boxed{{{r.id}}}")}) for r in group]
        results = run(svc.score_batch(new[:3]))  # new responses, known answers
        assert (cache.gets[-1], cache.sets, counter.calls) == (3 + 3, 2, 2)
        assert all(r.cached for r in results)
    finally:
        svc.close()


def test_a_batch_works_once_per_distinct_gold_and_answer(
    monkeypatch: pytest.MonkeyPatch, service: RewardService
) -> None:
    calls: Counter[str] = Counter()

    def counted(name: str, real: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            calls[name] += 1
            return real(*args, **kwargs)

        return wrapper

    for name in ("canonical_golds", "extract_answer"):
        monkeypatch.setattr(prepare_module, name, counted(name, getattr(prepare_module, name)))
    batch = [
        ScoreRequest(response=r1(f"\\boxed{{{i % 2}}}", f"rollout {i}"), gold=gold)
        for gold in ("1", "2", "1/2")
        for i in range(8)
    ]
    run(service.score_batch(batch))
    assert calls == {"canonical_golds": 3, "extract_answer": 3 * 2}


def test_unscorable_results_are_not_cached() -> None:
    cache = MemoryCache(100)
    svc = RewardService(make_settings(), cache_backend=cache)
    try:
        request = ScoreRequest(response=r1("\\boxed{10^{10^{10}-1}}"), gold="3")
        assert run(svc.score(request)).reason is Reason.TIMEOUT
        assert len(cache) == 0
        again = run(svc.score(request))
        assert again.reason is Reason.TIMEOUT and not again.cached
    finally:
        svc.close()


def test_a_ten_megabyte_response_is_rejected_quickly(service: RewardService) -> None:
    started = time.monotonic()
    result = score(service, response=r1("\\boxed{4}", "x" * 10_000_000), gold="4")
    assert (result.status, result.reason) == (Status.UNSCORABLE, Reason.TOO_LARGE)
    assert time.monotonic() - started < 2


def test_control_characters_and_broken_surrogates(service: RewardService) -> None:
    result = score(service, response=r1("\x00\x07 \\boxed{4}\udcff\x1b[2J"), gold="4")
    assert result.status is Status.SCORED and result.verdict is Verdict.CORRECT


def test_deeply_nested_braces_are_bounded(service: RewardService) -> None:
    started = time.monotonic()
    nested = "{" * 20_000 + "1" + "}" * 20_000
    result = score(service, response=r1("\\boxed{" + nested + "}"), gold="1")
    assert (result.status, result.reason) == (Status.FILTERED, Reason.REPETITION_ANSWER)
    # 1,000 levels with different terms at each (a bare run of 1,000 braces is a loop)
    nested = (
        "".join(f"{{{i}+" for i in range(1_000)) + "1" + "".join(f"}}+{i}" for i in range(1_000))
    )
    result = score(service, response=r1("\\boxed{" + nested + "}"), gold="1")
    assert (result.status, result.reason) == (Status.UNSCORABLE, Reason.TOO_LARGE)
    nested = "{" * 400 + "1" + "}" * 400
    result = score(service, response=r1("\\boxed{" + nested + "}"), gold="2")
    assert result.verdict is not Verdict.CORRECT
    assert time.monotonic() - started < TEST_TIMEOUT_S + 10


def test_code_in_an_answer_is_never_executed(service: RewardService, tmp_path: Any) -> None:
    target = tmp_path / "pwned"
    payloads = [
        f"\\boxed{{open('{target}','w').write('x') or \\pi}}",
        f"\\boxed{{__import__('os').system('touch {target}')}}",
        f"The answer is: __import__('pathlib').Path('{target}').touch()",
        f"{target}.touch()",
    ]
    results = run(
        service.score_batch([ScoreRequest(response=r1(p), gold="\\pi") for p in payloads])
    )
    assert all(r.verdict is not Verdict.CORRECT for r in results)
    assert not target.exists()


def test_a_bug_in_one_request_does_not_fail_the_batch(
    monkeypatch: pytest.MonkeyPatch, service: RewardService
) -> None:
    real = prepare_module.extract_answer

    def broken_on_marker(span: str, problem: str | None = None) -> Any:
        if "MARKER" in span:
            raise RuntimeError("simulated bug")
        return real(span, problem)

    monkeypatch.setattr(prepare_module, "extract_answer", broken_on_marker)
    results = run(
        service.score_batch(
            [
                ScoreRequest(id=1, response=r1("\\boxed{4} MARKER"), gold="4"),
                ScoreRequest(id=2, response=r1("\\boxed{4}"), gold="4"),
                ScoreRequest(id=3, response=r1("\\boxed{4} MARKER", "</think>"), gold="4"),
            ]
        )
    )
    assert (results[0].status, results[0].reason, results[0].reward) == (
        Status.UNSCORABLE,
        Reason.INTERNAL_ERROR,
        None,
    )
    assert results[1].verdict is Verdict.CORRECT
    # the filters come first, as they did before the bug was reached
    assert (results[2].status, results[2].reason) == (
        Status.FILTERED,
        Reason.FORMAT_MULTIPLE_THINK,
    )


# Each of these once earned a reward it must not (found by red-teaming the pipeline).
FALSE_POSITIVES = [
    ("\\boxed{3\\text{ cm}, 4\\text{ cm}}", "3"),
    ("\\boxed{3 \\text{ cm or } 4 \\text{ cm}}", "3"),
    ("\\boxed{3 \\text{ is not the answer}}", "3"),
    ("\\boxed{3\\text{ (not sure, maybe 4)}}", "3"),
    ("The answer is $3$ or $4$.", "3"),
    ("答案是$3$或$4$", "3"),
    ("I don't think the answer is $3$.", "3"),
    ("The answer is $3$.\nWait, that's wrong. It's actually $4$.", "3"),
    ("It is false that $x=3$.", "3"),
    ("Half of $6$ is the answer.", "6"),
    ("\\boxed{\\{3, 4\\}}", "3<x<4"),
    ("\\boxed{3} or \\boxed{4}", "3<x<4"),
    ("\\boxed{-2, 2}", "|x|<2"),
    ("\\boxed{5!}", "5"),
    ("\\boxed{2+2=5}", "5"),
    ("\\boxed{x = 4 = 3}", "3"),
    ("\\boxed{3} or \\boxed 4", "3"),
    ("\\boxed{3} \\fbox 4", "3"),
    ("\\boxed{3} \\framebox{4}", "3"),
    ("\\boxed{f'}", "f"),
    ("The final answer is $3$. I hope it is correct. Actually, the answer is $4$.", "3"),
    ("\\boxed{3} or \\boxed{4}", "3, 5"),
    ("Therefore, it is not 3.", "3"),
    ("So the answer might be 3.", "3"),
    ("First we compute 3", "3"),
    ("\\boxed{1.000}", "1,000"),
    ("\\boxed{1,000}", "1"),
    # found by red-teaming the stated-value reading and the list rules
    ("First guess: \\boxed{3}. Wait, no, 3 is wrong; the answer is \\boxed{5}.", "3, 5"),
    ("\\boxed{3} is wrong. \\boxed{5}", "3, 5"),
    ("\\boxed{2} hmm \\boxed{4}", "2, 4"),
    ("\\boxed{3.4}", "3,4"),
    ("\\boxed{-1,5}", "-1.5"),
    ("\\boxed{1,2}", "1.2"),
    ("Therefore, x = 3 and x = 5.", "5"),
    ("So x = 3 is extraneous.", "3"),
    ("所以 x 大概是 3。", "3"),
    ("Therefore, x is negative 3.", "3"),
    ("The answer is 12. I hope it is correct. Hmm, on reflection it is 13.", "12"),
    ("Hence the area is $12\\text{ cm}^2$.", "144"),
    ("I could not solve it.<｜end▁of▁sentence｜>\\boxed{5}", "5"),
    ("这个故事里有 5 个人。", "5"),
    ("\\boxed{4 + 2s}", "6"),
    ("\\boxed{2c}", "2"),
    ("\\boxed{\\text{less than } 5}", "5"),
    ("\\boxed{5\\text{ million}}", "5"),
    ("\\boxed{3} (scratch that), \\boxed{5}", "3, 5"),
    ("The answer is $5$. Wait, that's wrong.", "5"),
]


@pytest.mark.parametrize(("answer", "gold"), FALSE_POSITIVES)
def test_known_false_positives_stay_closed(service: RewardService, answer: str, gold: str) -> None:
    result = score(service, response=r1(answer), gold=gold)
    assert result.verdict is not Verdict.CORRECT, result


@pytest.mark.parametrize(
    ("answer", "gold"),
    [
        ("\\boxed{\\sqrt{4} = 2}", "2"),
        ("\\boxed{x = 5}", "5"),
        ("\\boxed{(x, y) = (1, 2)}", "(1, 2)"),
        ("\\boxed{20 \\text{ square units}}", "20"),
        ("\\boxed{5 cm}", "5"),
        ("\\boxed{\\text{Evelyn}}", "\\text{Evelyn}"),
        ("\\boxed{19, 46, \\text{ and } 82}", "19, 46, 82"),
        ("\\boxed{3!}", "6"),
        ("\\boxed{1000,99}", "1000.99"),
        ("The final answer is $10,455$.", "10455"),
        ("\\boxed{(3, 3)} for part (a) and \\boxed{(1, 1)}", "(3, 3), (1, 1)"),
        ("Final Answer: The largest $n$ is 34.", "34"),
        ("Therefore, the rate is 100%.", "100\\%"),
        ("x = \\boxed{3}, so y = \\boxed{5}", "3, 5"),
        ("The roots are $-1$ and $5$.", "-1, 5"),
    ],
)
def test_what_the_guards_still_accept(service: RewardService, answer: str, gold: str) -> None:
    assert score(service, response=r1(answer), gold=gold).verdict is Verdict.CORRECT


@pytest.mark.parametrize(
    ("gold", "answer"),
    [
        ("\\boxed{1} papers and \\boxed{2} bins", "\\boxed{1, 2}"),
        ("$1$ and $2$ and $3$", "\\boxed{1,2,3}"),
        (
            "The loss is $100\\% - 72\\% = 28\\%$. Final Answer: The final answer is $28 \\%$. "
            "I hope it is correct. Note: another approach follows.",
            "\\boxed{28\\%}",
        ),
        ("0. 98.", "\\boxed{0.98}"),
        ("2根号3", "\\boxed{2\\sqrt{3}}"),
    ],
)
def test_golds_written_as_solutions_count_by_their_answer(
    service: RewardService, gold: str, answer: str
) -> None:
    result = score(service, response=r1(answer), gold=gold)
    assert (result.route, result.verdict) == (Route.SYMBOLIC, Verdict.CORRECT), result


def test_a_gold_stating_two_values_is_not_read_as_one(service: RewardService) -> None:
    gold = "Final Answer: The largest $n$ is 34 and the smallest is 2."
    assert score(service, response=r1("\\boxed{2}"), gold=gold).verdict is not Verdict.CORRECT


def test_a_bomb_costs_one_deadline_then_is_quarantined() -> None:
    svc = RewardService(make_settings())
    try:
        # a bomb the magnitude screen cannot read (a difference may cancel), so it reaches a worker
        bomb = ScoreRequest(response=r1("\\boxed{10^{10^{10}-1}}"), gold="7")
        started = time.monotonic()
        assert run(svc.score(bomb)).reason is Reason.TIMEOUT
        first = time.monotonic() - started
        restarts = svc.verifier.restarts
        started = time.monotonic()
        again = run(svc.score_batch([bomb] * 3))
        assert [r.reason for r in again] == [Reason.TIMEOUT] * 3
        assert all(r.reward == -1.0 and r.blame is Blame.RESPONSE for r in again)
        assert svc.verifier.restarts == restarts  # no worker was tied up again
        assert time.monotonic() - started < first
    finally:
        svc.close()
