"""The value a prose sentence states: the shapes that state one, and what refuses it."""

from __future__ import annotations

import pytest

from reward_service.pipeline.statements import STATEMENT_MAX_CHARS, stated_value


@pytest.mark.parametrize(
    ("sentence", "value"),
    [
        # copula
        ("The largest $n$ is 34.", "34"),
        ("Therefore, the probability that Alice wins the game is 2/3.", "2/3"),
        ("So, the ordered pair $(x, y)$ that solves the system is $(7, 6)$.", "(7, 6)"),
        ("The sum is $A + B$", "A + B"),
        ("There are 12 ways.", "12"),
        ("The angle is [90].", "90"),
        ("Therefore, the cost is \\$10.50.", "10.50"),
        ("the number is not 10 which is 1,000.99€", "1,000.99"),
        ("综上所述，$m$ 的值为 $2$。", "2"),
        ("So, the largest possible value is $n=34$.", "n=34"),
        # a list right after the copula
        ("So the solutions are $1$ and $2$.", "1, 2"),
        ("The roots are $-1$ and $5$.", "-1, 5"),
        # label, value, filler
        ("Special matrix: $M$", "M"),
        ("Here is a zero matrix: $0$", "0"),
        ("5 apples", "5"),
        ("[45 degrees]", "45"),
        ("$E$", "E"),
        ("We find that $x \\lt 3$.", "x \\lt 3"),
        ("因此，$a = 1$。", "a = 1"),
    ],
)
def test_states(sentence: str, value: str) -> None:
    assert stated_value(sentence) == value


@pytest.mark.parametrize(
    "sentence",
    [
        # hedges, estimates, modals before the copula, questions
        "Therefore, the answer could be 3.",
        "The answer seems to be 5.",
        "It could be 5.",
        "Therefore, x is roughly 3.",
        "Therefore, x ≈ 3.",
        "Roughly 3.",
        "Likely 3.",
        "Guessing: 3.",
        "Hmm, 5.",
        "So, is the answer 12?",
        "所以，答案应该是 3 吗？",
        "所以 x 大概是 3。",
        # relations and transformations of the value
        "Therefore, x > 3.",
        "Therefore, x != 3.",
        "Therefore, x is at least 3.",
        "So, the answer is less than 10.",
        "所以 x 至少为 3。",
        "Therefore, x is negative 3.",
        "the population is 3 million",
        "5 的平方",
        # rejections, negations
        "So x = 3 is extraneous.",
        "所以 x=3 舍去。",
        "It is not $3$.",
        "not it's not 10 it's 12",
        # process steps and restated questions
        "Compute $2+3$.",
        "So, we need to find $x$ given $y = 4$.",
        "Let x = 5.",
        "Set n = 5.",
        "So far, we have 3.",
        "So, we want to prove that x = 5.",
        "So, the claim x = 5 is unproven.",
        "First we compute 3",
        "Jane started growing Sphere 3 hours ago.",
        # several values
        "Therefore, x = 3 and x = 5.",
        "so the number is 10 which is 12",
        "The answer is 3 or 4.",
        # second red-team pass
        "So we exclude x = 5.",
        "Could it be 5",
        "So it'd be 5.",
        "So x =/= 5.",
        "One possible answer is 5.",
        "My first answer was 5.",
        "An upper bound for x is 5.",
        "Error: 5",
        "The population is 5k.",
        "所以他以为是 5。",
        "所以增根为 3。",
        "So the candidates are $3$ and $5$.",
        "So $x=5$ for odd $n$.",
        # too long to be one statement
        "So, x = " + "1" * STATEMENT_MAX_CHARS + ".",
    ],
)
def test_refuses(sentence: str) -> None:
    assert stated_value(sentence) is None
