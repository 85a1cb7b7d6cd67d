"""Calibration of the repetition filter on real responses and on degenerate loops."""

import glob
from pathlib import Path

import pytest

from reward_service.pipeline.repetition import is_repetitive, longest_repeated_runs
from reward_service.pipeline.unit_runs import unit_runs
from reward_service.settings import RepetitionSettings
from tests.conftest import CORPUS, load_corpus

SETTINGS = RepetitionSettings()
CORPUS_FILES = sorted(Path(p).name for p in glob.glob(str(CORPUS / "*.jsonl")))
REAL_COT_FILES = [
    "auto_labelled_qwen_math_cot.jsonl",
    "auto_labelled_gaokao_fill_blank.jsonl",
    "graded_gaokao_bench_mcq.jsonl",
    "auto_labelled_nemo_skills_generations.jsonl",
]
ALL_RESPONSES = [r["response"] for name in CORPUS_FILES for r in load_corpus(name)]


def test_no_corpus_response_is_filtered() -> None:
    assert len(CORPUS_FILES) == 6
    assert len(ALL_RESPONSES) == 1957
    flagged = [r[:80] for r in ALL_RESPONSES if is_repetitive(r, SETTINGS)]
    assert flagged == []


def test_corpus_margins_to_the_compression_tiers() -> None:
    """Real chains of thought stay a quarter below each tier; over all responses (one
    Math-Verify test restates its thinking in its answer) at most half."""
    real = [r["response"] for name in REAL_COT_FILES for r in load_corpus(name)]
    for responses, share in ((real, 4), (ALL_RESPONSES, 2)):
        runs = [longest_repeated_runs(r, SETTINGS) for r in responses]
        for i, tier in enumerate(SETTINGS.tiers):
            assert max(r[i] for r in runs) <= tier.min_run_bytes // share


def test_corpus_margin_to_the_unit_run_rule() -> None:
    """No run of a short unit in the corpus reaches 2/3 of the threshold (the longest is
    149 bytes); the runs with many repeats are short rules of ``*`` or ``-``."""
    rule = SETTINGS.unit_runs
    limit = rule.min_run_bytes * 2 // 3
    longest = [
        run
        for r in ALL_RESPONSES
        for run in unit_runs(r.encode(), rule.max_unit_bytes, 2 * rule.max_unit_bytes)
        if run.length >= limit
    ]
    assert longest == []


@pytest.mark.parametrize("name", [*REAL_COT_FILES, "mathverify_tests.jsonl"])
def test_corpus_files_concatenated_stay_unflagged(name: str) -> None:
    # A long healthy trace: different real responses back to back (the Qwen file has eight
    # samples of each problem; one of each is taken, so the trace does not repeat itself).
    responses = [r["response"] for r in load_corpus(name)]
    step = 8 if name == "auto_labelled_qwen_math_cot.jsonl" else 1
    trace = "\n\n".join(responses[::step])
    assert len(trace) > 60_000
    assert not is_repetitive(trace, SETTINGS)


def _healthy(name: str, size: int) -> str:
    """``size`` characters of real reasoning from a corpus file."""
    text = "\n\n".join(r["response"] for r in load_corpus(name)[::8])
    return text[:size]


EN = _healthy("auto_labelled_qwen_math_cot.jsonl", 5000)
ZH = _healthy("auto_labelled_gaokao_fill_blank.jsonl", 4000)


def embed(healthy: str, loop: str, at: int) -> str:
    """The loop inside healthy text: ``at`` characters before it, the rest after."""
    return healthy[:at] + loop + healthy[at:]


HEALTHY_START = (
    "To find the value, we first simplify both sides of the equation and collect like terms. "
    "Then we substitute x = 3 and check that the constraint holds for every case considered. "
)

# Loops a whole span is made of (caught by the compression tiers).
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

# Short loops of a few hundred repeats inside 3-8 K characters of real reasoning (caught by
# the unit-run rule; the compression tiers alone let them through).
DILUTED_LOOPS = {
    "word and comma": embed(EN, "the, " * 200, 3000),
    "short equation": embed(EN, "x = 1, " * 150, 2500),
    "sum with a full stop": embed(EN, "2 + 2 = 4. " * 100, 4000),
    "latex matrix row": embed(
        EN, "\\begin{pmatrix}\n" + "1 & 0 & 0 \\\\\n" * 100 + "\\end{pmatrix}", 3000
    ),
    "single digit": embed(EN, "0." + "3" * 300, 5000),
    "zeros": embed(EN, "1" + "0" * 400, 1000),
    "fraction": embed(EN, "\\frac{1}{2}, " * 120, 3500),
    "chinese phrase": embed(ZH, "我再想想。" * 100, 2000),
    "chinese word and comma": embed(ZH, "所以，" * 200, 1500),
    "chinese equation": embed(ZH, "解得x=1，" * 100, 3000),
    "chinese longer phrase": embed(ZH, "让我们重新计算一下，" * 50, 2500),
}

# Natural repetition of long chains of thought, inside the same real reasoning.
TABLE = "| n | n^2 | n^3 |\n|---|---|---|\n" + "".join(
    f"| {n} | {n * n} | {n**3} |\n" for n in range(1, 41)
)
HEALTHY_SHAPES = {
    "table": embed(EN, TABLE, 3000),
    "enumeration to 100": embed(EN, ", ".join(str(n) for n in range(1, 101)), 3000),
    "verification lines": embed(
        EN, "".join(f"Check n = {n}: {n}^2 = {n * n}, not a solution.\n" for n in range(60)), 2000
    ),
    "long decimal": embed(
        EN, "1/7 = 0." + "142857" * 10 + "... and 1/3 = 0.3333333333333333", 3000
    ),
    "powers of ten": embed(EN, "10^{12} = 1000000000000 and 2^{100} = " + str(2**100), 3000),
    "rules": embed(EN, "\n" + "-" * 80 + "\n" + "=" * 100 + "\n" + "*" * 72 + "\n", 3000),
    "zero matrix": embed(
        EN, "\\begin{pmatrix}\n" + "0 & 0 & 0 & 0 \\\\\n" * 4 + "\\end{pmatrix}", 3000
    ),
    "repeated emphasis": embed(EN, "Check: 2 + 2 = 4. " * 5, 3000),
    "chinese enumeration": embed(
        ZH, "".join(f"当n={n}时，f(n)={n * n + 1}，不满足；" for n in range(1, 41)), 2000
    ),
    "chinese table": embed(
        ZH, "".join(f"| {n} | {2 * n + 1} | {n * n} |\n" for n in range(1, 30)), 2000
    ),
}


@pytest.mark.parametrize("name", LOOPS)
def test_degenerate_loops_are_flagged(name: str) -> None:
    assert is_repetitive(LOOPS[name], SETTINGS)


@pytest.mark.parametrize("name", DILUTED_LOOPS)
def test_short_loops_inside_healthy_text_are_flagged(name: str) -> None:
    text = DILUTED_LOOPS[name]
    assert 3000 <= len(text) <= 8000
    assert is_repetitive(text, SETTINGS)
    # the loop is diluted: no compression tier sees it, the unit-run rule does
    tiers = longest_repeated_runs(text, SETTINGS)
    assert all(run < tier.min_run_bytes for run, tier in zip(tiers, SETTINGS.tiers, strict=True))


@pytest.mark.parametrize("name", HEALTHY_SHAPES)
def test_natural_repetition_is_not_a_loop(name: str) -> None:
    text = HEALTHY_SHAPES[name]
    assert 3000 <= len(text) <= 8000
    assert not is_repetitive(text, SETTINGS)


def test_the_unit_run_rule_follows_its_settings() -> None:
    text = DILUTED_LOOPS["word and comma"]  # "the, " x 200: 1,000 bytes, 200 repeats
    strict = RepetitionSettings(unit_runs={"min_repeats": 201})
    assert not is_repetitive(text, strict)
    short_units = RepetitionSettings(unit_runs={"max_unit_bytes": 4, "min_run_bytes": 256})
    assert not is_repetitive(text, short_units)
    with pytest.raises(ValueError, match="2 \\* max_unit_bytes"):
        RepetitionSettings(unit_runs={"max_unit_bytes": 200, "min_run_bytes": 256})


def test_invalid_surrogates_do_not_raise() -> None:
    assert not is_repetitive("abc\udcff" * 10, SETTINGS)
    assert is_repetitive("\udcff" * 20_000, SETTINGS)
