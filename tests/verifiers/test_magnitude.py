"""The magnitude screen on its own: towers and huge factorials are astronomical, ordinary
answers never are."""

import pytest

from reward_service.verifiers.magnitude import astronomical


@pytest.mark.parametrize(
    "latex",
    [
        "9^{9^{9^{9}}}",
        "2^{2^{2^{100}}}",
        "10^{10^{10}}!",
        "(10^{10})!",
        "10^{-10^{10}}",  # tiny, but just as costly to build
        "10^{10^{7}}",
        "2^{2^{22}}",
        "\\left(\\frac{1}{2}\\right)^{10^{7}}",
        "\\sqrt{2^{3^{50}}}",
        "x + 9^{9^{9}}",
        "10^{10^{10}} - 10^{10^{10}}",  # each power is built before they cancel
        "1.5^{10^{9}}",
        "\\frac{1}{(10^{6})!}",
        "2^{" + "1" * 400 + "}",
    ],
)
def test_astronomical(latex: str) -> None:
    assert astronomical(latex)


@pytest.mark.parametrize(
    "latex",
    [
        "2^{10}",
        "10^{100}",
        "100!",
        "\\frac{1}{2004!}",
        "2^{2004}",
        "(2004!)^{2}",
        "2^{10}!",
        "2^{2^{2^{2^{2}}}}",  # 2^65536: under 20,000 digits
        "10^{10^{6}}",  # a million digits: sympy builds it in milliseconds
        "2^{100000+100000}",
        "1^{10^{100}}",
        "3 \\cdot 10^{8}",
        "10^{100}+1",
        "x^{10^{6}}",  # symbolic: sympy never expands it
        "e^{10^{10}}",  # a named constant is unknown, never astronomical
        "10^{10^{10}-10^{10}}",  # a difference may cancel: unknown
        "\\frac{10^{7}}{10^{6}}",
        "",
        "}{)(^!",
        "{" * 500 + "2^{2^{2^{100}}}" + "}" * 500,  # too deep to read: unknown
        "(1, 2, 3)",
        ".",
        "1.^{.}",
        "0.000^{10^{100}}",
        "0.5^{20}",
        "(" + "7" * 400 + ")^{2}",  # a 400-digit number squared: 800 digits
        "\\{x \\mid x > 0\\}",
    ],
)
def test_ordinary(latex: str) -> None:
    assert not astronomical(latex)
