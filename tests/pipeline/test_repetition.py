"""Calibration of the repetition filter on real responses and on degenerate loops."""

import pytest

from reward_service.pipeline.repetition import is_repetitive, longest_repeated_runs
from reward_service.settings import RepetitionSettings
from tests.conftest import load_corpus

SETTINGS = RepetitionSettings()
REAL_COT_FILES = ["auto_labelled_qwen_math_cot.jsonl", "auto_labelled_gaokao_fill_blank.jsonl"]


def test_no_real_chain_of_thought_is_filtered() -> None:
    responses = [r["response"] for name in REAL_COT_FILES for r in load_corpus(name)]
    assert len(responses) == 967
    flagged = [r[:80] for r in responses if is_repetitive(r, SETTINGS)]
    assert flagged == []
    # and with a margin: at every tier the longest run is at most a quarter of the threshold
    runs = [longest_repeated_runs(r, SETTINGS) for r in responses]
    for i, tier in enumerate(SETTINGS.tiers):
        assert max(r[i] for r in runs) <= tier.min_run_bytes // 4


def test_healthy_responses_concatenated_stay_unflagged() -> None:
    # A long healthy trace: many different real responses back to back (~100 KB).
    responses = [r["response"] for r in load_corpus(REAL_COT_FILES[0])]
    long_trace = "\n\n".join(responses[::8])
    assert len(long_trace) > 100_000
    assert not is_repetitive(long_trace, SETTINGS)


HEALTHY_START = (
    "To find the value, we first simplify both sides of the equation and collect like terms. "
    "Then we substitute x = 3 and check that the constraint holds for every case considered. "
)

LOOPS = {
    "english sentence": HEALTHY_START + "Let me double-check this calculation once more. " * 200,
    "chinese sentence": "我们先化简方程。" + "所以答案是5，让我再检查一遍。" * 300,
    "paragraph": HEALTHY_START
    + (
        "Wait, that does not look right. We should reconsider the case where the denominator is "
        "zero, because then the expression is undefined and the earlier step fails. "
        "Going back to the original equation, we expand the square and compare terms. "
    )
    * 40,
    "counter": HEALTHY_START
    + "".join(f"Try n = {i}: that does not satisfy the equation. " for i in range(1000, 1300)),
    "chinese counter": "".join(f"第{i}步：计算得到{i * 3}，不满足条件。" for i in range(1000)),
    "two-character cycle": HEALTHY_START + "ab" * 4000,
    "single character": "0" * 10_000,
}


@pytest.mark.parametrize("name", LOOPS)
def test_degenerate_loops_are_flagged(name: str) -> None:
    assert is_repetitive(LOOPS[name], SETTINGS)


def test_short_repetition_is_not_a_loop() -> None:
    # A phrase repeated a few times is emphasis, not degenerate generation.
    text = HEALTHY_START + "Check: 2 + 2 = 4. " * 5 + HEALTHY_START[::-1]
    assert not is_repetitive(text, SETTINGS)


def test_invalid_surrogates_do_not_raise() -> None:
    assert not is_repetitive("abc\udcff" * 10, SETTINGS)
    assert is_repetitive("\udcff" * 20_000, SETTINGS)
