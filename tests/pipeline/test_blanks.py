"""Ordered blanks: which answers have parts with a position, and how an answer is split."""

from typing import Any

import pytest

from reward_service import RewardService, ScoreRequest, Template, Verdict
from reward_service.pipeline.blanks import ordered_blanks, says_order, split_parts
from tests.conftest import run


@pytest.mark.parametrize(
    ("text", "in_order", "blanks"),
    [
        ("3; 5", False, ("3", "5")),
        ("3；5", False, ("3", "5")),
        ("(1) 3 (2) 5", False, ("3", "5")),
        ("（1）3；（2）5", False, ("3", "5")),
        ("(1). $-\\frac{1}{2} ; \\quad$ (2). $\\ln 2$.", False, ("-\\frac{1}{2}", "\\ln 2")),
        ("①3 ②5 ③7", False, ("3", "5", "7")),
        ("第一空3第二空5", False, ("3", "5")),
        ("第一空：3，第二空：5", False, ("3", "5")),
        ("第1空 x>2 第2空 7", False, ("x>2", "7")),
        ("3, 5", False, None),
        ("3, 5", True, ("3", "5")),
        ("50,625", True, None),  # one number with digit grouping
        ("2,74", True, None),  # one number with a decimal comma
        ("(3, 5)", False, None),
        ("(1)(2)(3)(5)", False, None),  # statement numbers, not blanks
        ("7", True, None),
        ("(2) 3 (1) 5", False, None),  # does not open with blank 1
    ],
)
def test_ordered_blanks(text: str, in_order: bool, blanks: tuple[str, ...] | None) -> None:
    assert ordered_blanks(text, in_order) == blanks


@pytest.mark.parametrize(
    ("problem", "ordered"),
    [
        ("Find a and b respectively.", True),
        ("List the roots in order from least to greatest.", True),
        ("求a，b的值，依次填写。", True),
        ("甲、乙分别有多少个？", True),
        ("Find all roots.", False),
        (None, False),
    ],
)
def test_says_order(problem: str | None, ordered: bool) -> None:
    assert says_order(problem) is ordered


@pytest.mark.parametrize(
    ("answer", "count", "parts"),
    [
        ("3; 5", 2, ("3", "5")),
        ("3, 5", 2, ("3", "5")),
        ("(1, 2), 5", 2, ("(1, 2)", "5")),
        ("(1, 2); \\{3, 4\\}", 2, ("(1, 2)", "\\{3, 4\\}")),
        ("(1) 5 (2) 3", 2, ("5", "3")),
        ("第一空5，第二空3", 2, ("5", "3")),
        ("\\{-2, 1\\}", 2, ("-2", "1")),
        ("(1, 3)", 2, ("1", "3")),
        ("1, 2, 3", 2, None),
        ("(1) 5 (2) 3", 3, None),
        ("7", 2, None),
    ],
)
def test_split_parts(answer: str, count: int, parts: tuple[str, ...] | None) -> None:
    assert split_parts(answer, count) == parts


@pytest.mark.parametrize(
    ("response", "gold", "problem", "verdict"),
    [
        # semicolons, numbered, circled and Chinese blanks: position by position
        ("\\boxed{3; 5}", "3; 5", None, Verdict.CORRECT),
        ("\\boxed{5; 3}", "3; 5", None, Verdict.INCORRECT),
        ("\\boxed{5}, \\boxed{3}", "3；5", None, Verdict.INCORRECT),
        ("\\boxed{3}, \\boxed{5}", "3；5", None, Verdict.CORRECT),
        ("\\boxed{(1) 5 (2) 3}", "(1) 3 (2) 5", None, Verdict.INCORRECT),
        ("\\boxed{(1) 3 (2) 5}", "(1) 3 (2) 5", None, Verdict.CORRECT),
        ("\\boxed{①5 ②3}", "①3 ②5", None, Verdict.INCORRECT),
        ("【答案】第一空5，第二空3", "第一空3第二空5", None, Verdict.INCORRECT),
        ("\\boxed{3, 5}", "第一空3第二空5", None, Verdict.CORRECT),
        ("\\boxed{3; 4}", "3; 5", None, Verdict.PARTIAL),
        ("\\boxed{\\{-2, 1\\}}", "-2; 1", None, Verdict.CORRECT),
        # a plain comma list is a set, unless the problem says the order
        ("\\boxed{5, 3}", "3, 5", "Find all x.", Verdict.CORRECT),
        ("\\boxed{5, 3}", "3, 5", "Find a and b, respectively.", Verdict.INCORRECT),
        ("\\boxed{3, 5}", "3, 5", "Find a and b, respectively.", Verdict.CORRECT),
        ("\\boxed{5, 3}", "3, 5", "依次写出a，b的值。", Verdict.INCORRECT),
        ("\\boxed{50625}", "50,625", "Find the sum respectively.", Verdict.CORRECT),
    ],
)
def test_ordered_blanks_are_compared_by_position(
    service: RewardService, response: str, gold: str, problem: str | None, verdict: Verdict
) -> None:
    fields: dict[str, Any] = {"response": response, "gold": gold, "template": Template.PLAIN}
    result = run(service.score(ScoreRequest(problem=problem, **fields)))
    assert result.verdict is verdict, result
