"""Where and how a final answer is stated, for the classes issues 14 and 16 found lost or
taken: order and echo tricks, checks and explanations after the answer, rejected roots,
decorations, look-alike characters, intervals written as relations."""

from __future__ import annotations

import time

import pytest

from reward_service.pipeline.characters import fold
from reward_service.pipeline.extraction import choice_answer, extract_answer
from reward_service.pipeline.normalize import canonical_answer
from reward_service.verifiers.numerals import distinct_numerals


@pytest.mark.parametrize(
    ("span", "candidates"),
    [
        # GSM8K's marker and an answer tag
        ("Adding them gives the total.\n#### 42", ("42",)),
        ("<answer>4</answer>", ("4",)),
        # Markdown bold and decorations around the answer
        ("So the final answer is **73**", ("73",)),
        ("Hence $\\boxed{\\color{red}{5}}$.", ("5",)),
        ("综上，答案为$\\underline{12}$。", ("12",)),
        # a check or an explanation after the answer does not restate it
        ("The answer is $3$. Check: $2 \\cdot 3 - 1 = 5$.", ("3",)),
        ("所以答案为$3$。经检验，$x=3$符合题意。", ("3",)),
        ("【答案】$3$【解析】由已知可得$x=3$。", ("3",)),
        # ...unless it takes the answer back
        ("The answer is $3$. Check: that is wrong, it gives $4$.", None),
        # a root the response rejects in an aside
        ("解得$x=3$（$x=4$舍去）。", ("x=3",)),
        # a box followed by a different statement, a second thought or a retraction
        ("So $\\boxed{5}$. Final answer: $6$.", ("5", "6")),
        ("所以$\\boxed{5}$。故答案为$6$", ("5", "6")),
        ("$\\boxed{12}$. Hmm, maybe it's $13$.", None),
        ("$\\boxed{5}$. Or maybe six.", None),
        ("$\\boxed{5}$. Actually, it is $6$.", None),
        ("$\\boxed{5}$. I retract this answer.", None),
        ("$\\boxed{5}$. Final answer: $5$.", ("5",)),
        # a quoted reference answer or an invented next turn is not the response's answer
        ("参考答案：$\\boxed{42}$", None),
        ("I get $41$.\nReference answer: $\\boxed{42}$", None),
        ("答案是$41$。\n问题：求下一个数。\n答案是$42$。", ("41",)),
        # someone else's answer
        ("Bob's answer is $5$.", None),
        ("小明的答案是$5$，但我算错了。", None),
        # look-alike and invisible characters do not hide a negation
        ("The answer is n\u043et $5$.", None),
        ("The answer is n\u200bot $5$.", None),
        # other digits
        ("The answer is 𝟒𝟐.", ("42",)),
        ("The answer is ٤٢.", ("42",)),
    ],
)
def test_answer_sites(span: str, candidates: tuple[str, ...] | None) -> None:
    extraction = extract_answer(span)
    assert (None if extraction is None else extraction.candidates) == candidates


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("n\u043et", "not"),  # Cyrillic o
        ("\u0410nswer", "Answer"),  # Cyrillic A
        ("n\u200bo\u2060t\ufeff", "not"),
        ("𝟒𝟐 𝐱", "42 x"),
        ("٤٢ ۷ १२", "42 7 12"),
        ("α + π ≤ 中文", "α + π ≤ 中文"),  # Greek math letters, symbols and CJK stay
    ],
)
def test_fold(text: str, folded: str) -> None:
    assert fold(text) == folded


@pytest.mark.parametrize(
    ("relation", "interval"),
    [
        ("-1<x<3", "(-1,3)"),
        ("0\\le x\\le 2", "[0,2]"),
        ("2<x\\leq 5", "(2,5]"),
        ("-\\infty<x<\\frac{1}{2}", "(-\\infty,\\frac{1}{2})"),
        ("a<b<c", "a<b<c"),  # three names in order, not an interval
        ("x<3", "x<3"),
    ],
)
def test_a_variable_between_bounds_is_an_interval(relation: str, interval: str) -> None:
    assert canonical_answer(relation) == interval


@pytest.mark.parametrize(
    ("gold", "answer", "distinct"),
    [
        ("\\frac{1}{3000000}", "0.0000001", True),
        ("0.0000004", "0.0000001", True),
        ("\\frac{1}{3}", "0.333", False),  # a rounded answer is left to the verifier
        ("1/2", "0.5", False),
        ("3", "-3", True),
        ("x", "0.1", False),
    ],
)
def test_distinct_numerals(gold: str, answer: str, distinct: bool) -> None:
    assert distinct_numerals(gold, answer) is distinct


def test_hostile_spans_stay_fast() -> None:
    """A guard against a pattern that backtracks (the bound is generous: a hang, not a speed
    goal, fails it)."""
    spans = [
        "(" * 20_000 + "舍去",
        "\\boxed{1}" + " maybe" * 20_000,
        "【答案】" + "A、" * 20_000,
        "选项" + "A " * 20_000 + "正确",
        "\u200b" * 100_000 + "\\boxed{1}",
        "1<" * 20_000 + "x<3",
    ]
    for span in spans:
        started = time.perf_counter()
        extract_answer(span)
        choice_answer(span)
        canonical_answer(span)
        assert time.perf_counter() - started < 5, span[:40]
